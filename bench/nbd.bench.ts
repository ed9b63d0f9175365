// NBD data path: fio (nbd engine) against `pairvol array` (the real daemon, adopting the
// benchmark file as a volume) and against nbdkit's file plugin, files on the same filesystem, alternating
// the two systems cell by cell for several rounds. Reports medians and pairvol/nbdkit ratios.
// Knobs: BENCH_ROUNDS (3), BENCH_RUNTIME seconds per run (5), BENCH_CELLS (substring filter).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE_SIZE = 512 * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const RUNTIME = Number(process.env.BENCH_RUNTIME ?? 5);
const CELL_FILTER = process.env.BENCH_CELLS ?? '';
const repoRoot = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Cell {
  name: string;
  args: string[];
  unit: 'MiB/s' | 'IOPS';
}

const CELLS: Cell[] = [
  { name: 'seq write 1 MiB QD1', args: ['--rw=write', '--bs=1M', '--iodepth=1'], unit: 'MiB/s' },
  { name: 'seq write 1 MiB QD8', args: ['--rw=write', '--bs=1M', '--iodepth=8'], unit: 'MiB/s' },
  { name: 'seq read 1 MiB QD1', args: ['--rw=read', '--bs=1M', '--iodepth=1'], unit: 'MiB/s' },
  { name: 'seq read 1 MiB QD8', args: ['--rw=read', '--bs=1M', '--iodepth=8'], unit: 'MiB/s' },
  { name: '4 KiB randread QD1', args: ['--rw=randread', '--bs=4k', '--iodepth=1'], unit: 'IOPS' },
  { name: '4 KiB randread QD16', args: ['--rw=randread', '--bs=4k', '--iodepth=16'], unit: 'IOPS' },
  { name: '4 KiB randwrite QD1', args: ['--rw=randwrite', '--bs=4k', '--iodepth=1'], unit: 'IOPS' },
  { name: '4 KiB randwrite QD16', args: ['--rw=randwrite', '--bs=4k', '--iodepth=16'], unit: 'IOPS' },
  { name: '4 KiB randwrite QD1 fsync=1', args: ['--rw=randwrite', '--bs=4k', '--iodepth=1', '--fsync=1'], unit: 'IOPS' },
];

interface System {
  name: 'pairvol' | 'nbdkit';
  file: string;
  uri: string;
  process: ChildProcess;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Fills a file with random data so reads hit real page-cache pages, not holes. */
function makeFile(file: string): void {
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(4 * 1024 * 1024);
  for (let at = 0; at < FILE_SIZE; at += chunk.length) fs.writeSync(fd, crypto.randomFillSync(chunk), 0, chunk.length, at);
  fs.closeSync(fd);
}

/**
 * Reads the whole file (idle page-cache pages get evicted after about a minute here) and
 * writes back what the previous run dirtied, so no run pays for another's writeback.
 */
function warm(file: string): void {
  const fd = fs.openSync(file, 'r+');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  while (fs.readSync(fd, buf, 0, buf.length, null) > 0);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}

function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}

/** The real daemon (`pairvol array`, built by `npm run bench`), adopting the benchmark file as a volume. */
async function startPairvol(file: string): Promise<System> {
  const dir = path.dirname(file);
  const [nbdPort, controlPort, peerPort, nobody] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const token = crypto.randomBytes(16).toString('hex');
  const config = path.join(dir, 'array.yaml');
  fs.writeFileSync(
    config,
    [
      'name: bench',
      'dataDir: ./array-data',
      'logLevel: warn',
      `nbd: { listen: "127.0.0.1:${nbdPort}" }`,
      `control: { listen: "127.0.0.1:${controlPort}", token: "${token}" }`,
      `peer: { listen: "127.0.0.1:${peerPort}", connect: "127.0.0.1:${nobody}", secret: "unused" }`,
    ].join('\n'),
  );
  const child = spawn(process.execPath, [path.join(repoRoot, 'bin/pairvol.js'), 'array', '--config', config], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  await waitForLine(child, /pairvol array bench ready/, 30_000);
  const res = await fetch(`http://127.0.0.1:${controlPort}/v1/volumes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', path: file }),
  });
  if (!res.ok) throw new Error(`cannot adopt the benchmark file as a volume: ${await res.text()}`);
  return { name: 'pairvol', file, uri: `nbd://127.0.0.1:${nbdPort}/bench`, process: child };
}

async function startNbdkit(file: string): Promise<System> {
  const port = await freePort();
  const child = spawn('nbdkit', ['-f', '-p', String(port), '-i', '127.0.0.1', 'file', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  for (let i = 0; i < 100; i++) {
    if (spawnSync('nbdinfo', ['--size', `nbd://127.0.0.1:${port}`]).status === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name: 'nbdkit', file, uri: `nbd://127.0.0.1:${port}`, process: child };
}

/** One fio run; returns MiB/s or IOPS of the direction the cell measures. */
function fio(sys: System, cell: Cell): number {
  const r = spawnSync(
    'fio',
    ['--name=bench', '--ioengine=nbd', `--uri=${sys.uri}`, `--size=${FILE_SIZE}`, '--time_based', `--runtime=${RUNTIME}`, '--output-format=json', ...cell.args],
    { encoding: 'utf8', timeout: (RUNTIME + 60) * 1000 },
  );
  if (r.status !== 0) throw new Error(`fio failed on ${sys.name} ${cell.name}: ${r.stderr}`);
  const job = (JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: { read: { iops: number; bw_bytes: number }; write: { iops: number; bw_bytes: number } }[] }).jobs[0];
  const side = cell.args.some((a) => a.includes('write')) ? job.write : job.read;
  return cell.unit === 'IOPS' ? side.iops : side.bw_bytes / 2 ** 20;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function fmt(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1);
}

export async function run(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pairvol-bench-'));
  const systems: System[] = [];
  try {
    const pvFile = path.join(dir, 'pairvol.img');
    const kitFile = path.join(dir, 'nbdkit.img');
    // Both files are made the same way: on this kernel a file written in large chunks sits in
    // large page-cache folios and later 4 KiB writes to it cost several times more kernel
    // time than writes to a copied file, which alone skewed an earlier run by 3x.
    const template = path.join(dir, 'template.img');
    makeFile(template);
    fs.copyFileSync(template, pvFile);
    fs.copyFileSync(template, kitFile);
    fs.rmSync(template);
    systems.push(await startPairvol(pvFile), await startNbdkit(kitFile));
    const cells = CELLS.filter((c) => c.name.includes(CELL_FILTER));
    const results = new Map<string, { pairvol: number[]; nbdkit: number[] }>(cells.map((c) => [c.name, { pairvol: [], nbdkit: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const cell of cells) {
        // Alternate which system goes first so drift in the machine's load hits both.
        const order = round % 2 === 0 ? systems : [...systems].reverse();
        for (const sys of order) {
          warm(sys.file);
          const v = fio(sys, cell);
          results.get(cell.name)![sys.name].push(v);
          console.error(`round ${round + 1} ${cell.name} ${sys.name}: ${fmt(v)} ${cell.unit}`);
        }
      }
    }
    const rows = cells.map((c) => {
      const r = results.get(c.name)!;
      const pv = median(r.pairvol);
      const kit = median(r.nbdkit);
      return `| ${c.name} | ${c.unit} | ${fmt(pv)} | ${fmt(kit)} | ${(pv / kit).toFixed(2)} |`;
    });
    return [
      '## NBD data path: pairvol vs nbdkit (file plugin)',
      '',
      `fio ${spawnSync('fio', ['--version'], { encoding: 'utf8' }).stdout.trim()} with \`--ioengine=nbd\` over loopback TCP; ` +
        `${FILE_SIZE / 2 ** 20} MiB files in the page cache (re-read before every run), ${RUNTIME} s per run, ` +
        `${ROUNDS} rounds alternating the two servers; medians. pairvol is the real \`pairvol array\` daemon serving the file as an adopted volume (metrics on). ` +
        'Client and server share the machine\'s CPUs.',
      '',
      '| cell | unit | pairvol | nbdkit | pairvol/nbdkit |',
      '|---|---|---:|---:|---:|',
      ...rows,
      '',
      'What limits pairvol here: every request costs a fixed amount of Node work (the socket stream, ' +
        'the event-loop turn, the JS to C++ calls) that nbdkit, a C server, does not pay. A null device ' +
        'measured on this machine showed that share directly: about 15-40 us of user CPU per request for ' +
        'pairvol against about 3 us for nbdkit, the rest being kernel time both pay. At queue depth 1 that cost is ' +
        'latency; at queue depth 16 it is spread over the requests that one socket read delivers, ' +
        'and replies leave in one write per event-loop turn. Large writes arrive as 64 KiB socket ' +
        'chunks that are copied into one (pooled) buffer before pwrite. FLUSH/FUA use fdatasync on ' +
        "libuv's thread pool (concurrent ones share one call), which adds a thread hop per sync. " +
        'The machine is shared with other work; rounds alternate the two servers to spread that noise.',
    ].join('\n');
  } finally {
    for (const s of systems) s.process.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
