// Remote copy benchmarks (issue: pairs): initial copy vs a raw file copy, replicated vs
// unreplicated writes through NBD, and resync of 1 % changed regions vs a full copy.
// Both arrays, fio and the copies share this machine's cores; every comparison is made
// in one run, alternating.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API } from '../src/protocol/control.js';
import { normal, qemuIo, run as runCommand, startTwoSites, waitLinked, waitState, type TwoSites } from '../test/helpers/twoSites.js';

const VOLUME = 256 * 1024 * 1024;
const ROUNDS = 3;
const RUNTIME = 5;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Read the file once so both copies start from the page cache (asynchronously: the proxies run here). */
async function warm(path: string): Promise<void> {
  await readFile(path);
}

interface FioResult {
  bw: number;
  iops: number;
  latUs: number;
}

/** Asynchronous: the fault proxies of the peer link live in this process and must keep relaying. */
async function fio(uri: string, args: string[]): Promise<FioResult> {
  const r = await runCommand('fio', ['--name=rep', '--ioengine=nbd', `--uri=${uri}`, `--size=64M`, '--time_based', `--runtime=${RUNTIME}`, '--output-format=json', ...args], (RUNTIME + 60) * 1000);
  if (r.code !== 0) throw new Error(`fio failed: ${r.out}`);
  const w = (JSON.parse(r.out.slice(r.out.indexOf('{'))) as { jobs: { write: { iops: number; bw_bytes: number; clat_ns: { percentile?: Record<string, number>; mean: number } } }[] }).jobs[0].write;
  return { bw: w.bw_bytes / 2 ** 20, iops: w.iops, latUs: (w.clat_ns.percentile?.['50.000000'] ?? w.clat_ns.mean) / 1000 };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function cpTime(src: string, dst: string): Promise<number> {
  return timed(
    () =>
      new Promise((resolve, reject) => {
        const c = spawn('dd', [`if=${src}`, `of=${dst}`, 'bs=1M', 'conv=fsync', 'status=none']);
        c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`dd exited ${code}`))));
      }),
  );
}

export async function run(): Promise<string> {
  const s: TwoSites = await startTwoSites({ extra: { logLevel: 'error' }, peerTiming: { heartbeatMs: 500, deadAfterMs: 2000 }, direct: true });
  try {
    await waitLinked(s);
    const a = s.a.client();
    const b = s.b.client();
    const rows: string[] = [];

    // Unreplicated vs replicated writes: the same volume SMPL, then P-VOL in PAIR.
    normal(await a.post(API.volumes, { name: 'w-a', size: VOLUME }));
    normal(await b.post(API.volumes, { name: 'w-b', size: VOLUME }));
    const uri = s.a.nbdUri('w-a');
    const cells = [
      { name: 'seq write 1 MiB QD8 (MiB/s)', args: ['--rw=write', '--bs=1M', '--iodepth=8'], pick: (r: FioResult) => r.bw },
      { name: '4 KiB randwrite QD1 (IOPS)', args: ['--rw=randwrite', '--bs=4k', '--iodepth=1'], pick: (r: FioResult) => r.iops },
      { name: '4 KiB randwrite QD1 p50 latency (µs)', args: ['--rw=randwrite', '--bs=4k', '--iodepth=1'], pick: (r: FioResult) => r.latUs },
    ];
    const plain: number[][] = cells.map(() => []);
    const repl: number[][] = cells.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, c] of cells.entries()) plain[i].push(c.pick(await fio(uri, c.args)));
      normal(await a.post(API.pairs, { name: 'w', pvol: 'w-a', svol: 'w-b', nocopy: true }));
      await waitState(s.b, 'w', 'PAIR');
      for (const [i, c] of cells.entries()) repl[i].push(c.pick(await fio(uri, c.args)));
      normal(await a.delete(API.pair('w')));
    }
    for (const [i, c] of cells.entries()) {
      const p = median(plain[i]);
      const r = median(repl[i]);
      rows.push(`| ${c.name} | ${p.toFixed(0)} | ${r.toFixed(0)} | ${(r / p).toFixed(2)} |`);
    }

    // Initial copy of a full volume vs dd of the same file on the same disk.
    normal(await a.post(API.volumes, { name: 'c-a', size: VOLUME }));
    normal(await b.post(API.volumes, { name: 'c-b', size: VOLUME }));
    await qemuIo(s.a.nbdUri('c-a'), `write -P 0x6b 0 ${VOLUME / 2 ** 20}M`);
    const src = join(s.a.dataDir, 'volumes', 'c-a.img');
    const copies: number[] = [];
    const dds: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await warm(src);
      dds.push(await cpTime(src, join(s.a.dataDir, 'dd-copy.img')));
      rmSync(join(s.a.dataDir, 'dd-copy.img'), { force: true });
      await warm(src);
      copies.push(
        await timed(async () => {
          normal(await a.post(API.pairs, { name: 'c', pvol: 'c-a', svol: 'c-b' }));
          await waitState(s.a, 'c', 'PAIR', 120);
        }),
      );
      if (round < ROUNDS - 1) normal(await a.delete(API.pair('c')));
    }
    const mib = VOLUME / 2 ** 20;
    const copyRate = mib / median(copies);
    const ddRate = mib / median(dds);
    const copyRows = [`| initial copy of ${mib} MiB | ${ddRate.toFixed(0)} MiB/s (dd, fsync) | ${copyRate.toFixed(0)} MiB/s | ${(copyRate / ddRate).toFixed(2)} |`];

    // Resync of 1 % changed regions vs the full copy above.
    const resyncs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      normal(await a.post(API.pairCommand('c', 'split'), {}));
      const regions = VOLUME / (64 * 1024);
      const cmds = Array.from({ length: Math.round(regions / 100) }, (_, i) => `write -P ${(round + i) % 200} ${(((i * 7919) % regions) * 64) | 0}k 64k`);
      await qemuIo(s.a.nbdUri('c-a'), ...cmds);
      resyncs.push(
        await timed(async () => {
          normal(await a.post(API.pairCommand('c', 'resync'), {}));
          await waitState(s.a, 'c', 'PAIR', 120);
        }),
      );
    }
    const resync = median(resyncs);
    const full = median(copies);
    copyRows.push(`| resync of 1 % changed regions | full copy ${full.toFixed(2)} s | ${resync.toFixed(3)} s | ${(resync / full).toFixed(3)} of the full copy |`);

    return [
      '## Remote copy (pairs)',
      '',
      `Two \`pairvol array\` processes on loopback, ${mib} MiB volumes, fio ${RUNTIME} s per cell, medians of ${ROUNDS} rounds.`,
      '',
      '| fio through NBD on the P-VOL | unreplicated (SMPL) | replicated (PAIR) | replicated / unreplicated |',
      '|---|---|---|---|',
      ...rows,
      '',
      '| what | baseline | pairvol | ratio |',
      '|---|---|---|---|',
      ...copyRows,
    ].join('\n');
  } finally {
    await s.dispose();
  }
}
