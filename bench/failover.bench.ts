// Failover and reservation latency on the two-site lab (real processes, default agent timings).
//  - failover: kill -9 the ACTIVE host (agent and application), measure until the survivor is
//    ACTIVE and until its application's first acknowledged record; the killed host is restarted
//    as STANDBY and the next run kills the other side. Target <= 3 s.
//  - reserve: a host's RESERVE through the control API on loopback, from a free determining pair
//    (pair resync or swap resync on the arrays) and as a renewal. Target <= 20 ms.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab, otherSite, type Site } from '../src/lab/lab.js';
import { API, type ReservationResponse } from '../src/protocol/control.js';

const FAILOVER_RUNS = 10;
const RESERVE_CYCLES = 100;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function stats(values: number[]): { median: number; p99: number; max: number } {
  const s = [...values].sort((x, y) => x - y);
  return { median: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] };
}

async function withLab<T>(opts: { hosts: boolean }, fn: (lab: Lab) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pairvol-bench-'));
  const lab = await Lab.start({ dir, hosts: opts.hosts });
  try {
    return await fn(lab);
  } finally {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function failoverRuns(lab: Lab): Promise<{ active: number[]; firstAck: number[] }> {
  const active: number[] = [];
  const firstAck: number[] = [];
  await lab.waitForRole('a', 'ACTIVE', 30_000);
  await lab.waitForRole('b', 'STANDBY');
  let victim: Site = 'a';
  for (let run = 0; run < FAILOVER_RUNS; run++) {
    const survivor = otherSite(victim);
    await lab.waitForAcks(victim, 5);
    await sleep(1500); // the survivor has heard the victim's heartbeat as ACTIVE for a while
    const acksBefore = lab.acks(survivor);
    const t0 = performance.now();
    await lab.killHost(victim, 'SIGKILL');
    let activeAt: number | null = null;
    const deadline = t0 + 20_000;
    while (performance.now() < deadline && lab.acks(survivor) === acksBefore) {
      if (activeAt === null && (await lab.hostStatus(survivor))?.role === 'ACTIVE') activeAt = performance.now();
      await sleep(10);
    }
    const ackAt = performance.now();
    if (lab.acks(survivor) === acksBefore) throw new Error(`run ${run}: no failover to host-${survivor} within 20 s`);
    active.push((activeAt ?? ackAt) - t0);
    firstAck.push(ackAt - t0);
    await lab.restartHost(victim);
    await lab.waitForRole(victim, 'STANDBY');
    victim = survivor;
  }
  return { active, firstAck };
}

async function reserveLatency(lab: Lab): Promise<{ reserve: number[]; renew: number[] }> {
  const reserve: number[] = [];
  const renew: number[] = [];
  for (let i = 0; i < RESERVE_CYCLES; i++) {
    const site: Site = i % 2 === 0 ? 'a' : 'b';
    const client = lab.client(site);
    const path = API.pairCommand('quorum', 'reserve');
    let t = performance.now();
    const r = await client.post<ReservationResponse>(path, { host: `host-${site}` });
    reserve.push(performance.now() - t);
    t = performance.now();
    const again = await client.post<ReservationResponse>(path, { host: `host-${site}` });
    renew.push(performance.now() - t);
    if (r.result !== 'NORMAL' || again.result !== 'NORMAL' || again.action !== 'renewed') throw new Error(`cycle ${i}: ${JSON.stringify([r, again])}`);
    const reset = await client.post<ReservationResponse>(API.pairCommand('quorum', 'reset'), {});
    if (reset.result !== 'NORMAL') throw new Error(`cycle ${i}: reset ${JSON.stringify(reset)}`);
    await lab.waitFor('quorum free on both arrays', async () => (await lab.pairs('a')).quorum?.state === 'PSUS' && (await lab.pairs('b')).quorum?.state === 'PSUS', 5000);
  }
  return { reserve, renew };
}

const ms = (x: number): string => x.toFixed(x < 10 ? 1 : 0);

export async function run(): Promise<string> {
  const failover = await withLab({ hosts: true }, failoverRuns);
  const latency = await withLab({ hosts: false }, reserveLatency);
  const fa = stats(failover.active);
  const ff = stats(failover.firstAck);
  const rs = stats(latency.reserve);
  const rn = stats(latency.renew);
  const all = stats([...latency.reserve, ...latency.renew]);
  const verdict = (ok: boolean): string => (ok ? 'met' : '**missed**');
  return [
    '## Failover and reservation latency (`bench/failover.bench.ts`)',
    '',
    `Two-site lab, real processes, default agent timings (heartbeatTimeout 1000 ms, challengeWait 1000 ms, renewInterval 300 ms); the demo application writes a 4 KiB FUA record every 20 ms. ${FAILOVER_RUNS} runs, alternating sides: kill -9 of the ACTIVE host (agent and application) until the survivor's agent says ACTIVE, and until its application's first acknowledged record (the failover the user sees).`,
    '',
    '| measure | median | max | target |',
    '|---|---|---|---|',
    `| kill -9 -> survivor ACTIVE | ${ms(fa.median)} ms | ${ms(fa.max)} ms | |`,
    `| kill -9 -> first acknowledged record on the survivor | ${ms(ff.median)} ms | ${ms(ff.max)} ms | <= 3000 ms: ${verdict(ff.max <= 3000)} |`,
    '',
    `RESERVE through the control API on loopback, ${RESERVE_CYCLES} from a free pair (alternating sides: pair resync on the P side, swap resync from the S side) and ${RESERVE_CYCLES} renewals, reset between cycles.`,
    '',
    '| measure | median | p99 | target |',
    '|---|---|---|---|',
    `| reserve from free | ${ms(rs.median)} ms | ${ms(rs.p99)} ms | |`,
    `| renewal | ${ms(rn.median)} ms | ${ms(rn.p99)} ms | |`,
    `| all ${latency.reserve.length + latency.renew.length} | ${ms(all.median)} ms | ${ms(all.p99)} ms | <= 20 ms: ${verdict(all.p99 <= 20)} |`,
  ].join('\n');
}
