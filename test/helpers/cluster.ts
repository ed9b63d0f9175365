// Helpers for the real-process cluster scenarios: a lab in a temporary directory, the safety
// invariant sampled continuously, and a seeded random source for jitter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab, type LabOptions, type Site } from '../../src/lab/lab.js';
import assert from 'node:assert/strict';
import { API, type PairInfo, type ReservationResponse } from '../../src/protocol/control.js';

/** A lab in a fresh temporary directory; `dispose` stops it and removes the directory. */
export async function startLab(opts: Omit<LabOptions, 'dir'> = {}): Promise<Lab & { dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'pairvol-lab-'));
  let lab: Lab;
  try {
    lab = await Lab.start({ ...opts, dir });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return Object.assign(lab, {
    async dispose() {
      await lab.stop();
      if (process.env.PAIRVOL_KEEP_LAB) console.log(`lab kept in ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    },
  });
}

async function dataAccess(lab: Lab, site: Site): Promise<PairInfo['access'] | 'down'> {
  if (!lab.arrays[site].process.running) return 'down';
  const r = await lab.client(site, 1000).get<{ pair: PairInfo }>(API.pair('db'));
  return r.result === 'NORMAL' ? r.pair.access : 'down';
}

/**
 * The safety invariant of SPEC §6.5, sampled every ~50 ms: never `access: 'read-write'` on both
 * arrays' volumes of the data pair at once. The two arrays cannot be asked at one instant, so a
 * sample asks X, then Y, then X again: read-write on all three answers means both were writable
 * at the moment Y answered (X cannot flip to read-only and back within one sample).
 */
export class SafetySampler {
  samples = 0;
  readonly violations: string[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly lab: Lab) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const [x, y]: Site[] = i % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
      const first = await dataAccess(this.lab, x);
      const second = first === 'read-write' ? await dataAccess(this.lab, y) : 'skipped';
      const third = second === 'read-write' ? await dataAccess(this.lab, x) : 'skipped';
      this.samples++;
      if (third === 'read-write') this.violations.push(`${new Date().toISOString()}: db read-write on both arrays (asked ${x}, ${y}, ${x})`);
      await sleep(50);
    }
  }

  /** Stops sampling (e.g. before an explicit --force) and returns the violations seen. */
  async stop(): Promise<string[]> {
    this.running = false;
    await this.loop;
    return this.violations;
  }
}


/** What the lab's hosts say they are, as "a:ACTIVE b:STANDBY" (for assertion messages). */
export async function roles(lab: Lab): Promise<string> {
  const [a, b] = await Promise.all([lab.hostStatus('a'), lab.hostStatus('b')]);
  return `a:${a?.role ?? 'down'} b:${b?.role ?? 'down'}`;
}

/** Samples both hosts' roles every ~100 ms; `stop` returns every role each host was seen in. */
export class RoleWatch {
  readonly seen: Record<Site, Set<string>> = { a: new Set(), b: new Set() };
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly lab: Lab) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const [a, b] = await Promise.all([this.lab.hostStatus('a'), this.lab.hostStatus('b')]);
      this.seen.a.add(a?.role ?? 'down');
      this.seen.b.add(b?.role ?? 'down');
      await sleep(100);
    }
  }

  async stop(): Promise<Record<Site, Set<string>>> {
    this.running = false;
    await this.loop;
    return this.seen;
  }
}

/** Asserts-friendly summary of a verify report. */
export function lostRecords(r: { missing: { host: string; seq: number; found: string }[]; corrupt: { host: string; seq: number; found: string }[] }): string[] {
  return [...r.missing, ...r.corrupt].slice(0, 10).map((l) => `${l.host} seq ${l.seq}: found ${l.found}`);
}

export type TestLab = Awaited<ReturnType<typeof startLab>>;

/** A lab in steady state: host A ACTIVE with the application writing, B STANDBY, the safety sampler running. */
export async function startSteadyLab(opts: Omit<LabOptions, 'dir'> = {}): Promise<{ lab: TestLab; sampler: SafetySampler }> {
  const lab = await startLab(opts);
  await lab.waitForRole('a', 'ACTIVE', 30_000);
  await lab.waitForRole('b', 'STANDBY');
  await lab.waitForAcks('a', 5);
  return { lab, sampler: new SafetySampler(lab) };
}

/** Wait (bounded) until the data pair is PAIR on both arrays again. */
export async function waitResynced(lab: Lab): Promise<void> {
  await lab.waitFor('db PAIR on both arrays again', async () => (await lab.pairs('a')).db?.state === 'PAIR' && (await lab.pairs('b')).db?.state === 'PAIR', 20_000);
}

/** A host's RESERVE of the determining pair, through its own array. */
export function reserveQuorum(lab: Lab, site: Site): Promise<ReservationResponse> {
  return lab.client(site).post(API.pairCommand('quorum', 'reserve'), { host: `host-${site}` });
}

export async function quorumInfo(lab: Lab, site: Site): Promise<PairInfo> {
  const r = await lab.client(site).get<{ pair: PairInfo }>(API.pair('quorum'));
  assert.equal(r.result, 'NORMAL');
  return r.pair;
}

/** Both arrays report the determining pair in `state` (PSUS reads SSUS on the S side). */
export async function waitQuorumBoth(lab: Lab, state: string): Promise<void> {
  await lab.waitFor(`quorum ${state} on both arrays`, async () => (await quorumInfo(lab, 'a')).state === state && (await quorumInfo(lab, 'b')).state === state, 5000);
}
