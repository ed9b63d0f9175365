// One chaos run: a lab with the demo application writing, the seeded schedule of faults applied
// to the real processes until the time is up, and after every fault: heal it, wait (bounded)
// for the lab to be steady again, and check that every acknowledged record is on the P-VOL.
// The safety invariant is sampled all along.
import { setTimeout as sleep } from 'node:timers/promises';
import { Lab, SITES, otherSite, type Site } from '../../src/lab/lab.js';
import { takeSnapshot } from '../../src/demoScript/snapshot.js';
import { summaryLine } from '../../src/demoScript/statusTable.js';
import { SafetySampler, lostRecords } from '../helpers/cluster.js';
import { FailoverWatch } from './failoverWatch.js';
import { chaosSchedule, describeStep, type ChaosStep, type FaultKind, type Target } from './schedule.js';

export interface ChaosOptions {
  seed: number;
  minutes: number;
  /** Lab directory (configs, data, logs). */
  dir: string;
  log: (line: string) => void;
  /** Aborting (Ctrl-C) ends the run at once; the lab is stopped. */
  signal?: AbortSignal;
}

export interface ChaosReport {
  seed: number;
  steps: number;
  faults: Partial<Record<FaultKind, number>>;
  failovers: number;
  /** Safety invariant breaches and acknowledged records found lost. */
  violations: string[];
  /** Steps after which the lab did not become steady again (bounded wait). */
  unrecovered: string[];
  acknowledged: number;
  lost: number;
  safetySamples: number;
}

const SETTLE_MS = 45_000;

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { log } = opts;
  const started = Date.now();
  const stamp = (): string => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  const report: ChaosReport = { seed: opts.seed, steps: 0, faults: {}, failovers: 0, violations: [], unrecovered: [], acknowledged: 0, lost: 0, safetySamples: 0 };
  log(`${stamp()} starting the lab in ${opts.dir} (seed ${opts.seed}, ${opts.minutes} min of faults)`);
  const lab = await Lab.start({ dir: opts.dir, dataSize: '16M' });
  let sampler: SafetySampler | null = null;
  let watch: FailoverWatch | null = null;
  try {
    await settle(lab, opts.signal);
    sampler = new SafetySampler(lab);
    watch = new FailoverWatch(lab);
    log(`${stamp()} steady: ${await describeLab(lab)}`);
    const deadline = Date.now() + opts.minutes * 60_000;
    for (const step of chaosSchedule(opts.seed)) {
      if (Date.now() >= deadline || opts.signal?.aborted) break;
      const site = await resolve(lab, step.target);
      log(`${stamp()} #${step.index} ${describeStep(step)}${site ? ` (${step.target?.endsWith('host') ? 'host' : 'site'}-${site})` : ''}`);
      report.steps++;
      report.faults[step.kind] = (report.faults[step.kind] ?? 0) + 1;
      const faultAt = Date.now();
      const stuck = await applyStep(lab, step, site, log, opts.signal);
      if (opts.signal?.aborted) break;
      if (stuck) {
        report.unrecovered.push(`#${step.index} ${describeStep(step)}: ${stuck}`);
        log(`${stamp()}   NOT RECOVERED: ${stuck}`);
        break;
      }
      const check = await checkRecords(lab);
      report.acknowledged = check.acknowledged;
      report.lost = check.lost;
      if (check.lost > 0) report.violations.push(`after #${step.index}: ${check.lost} acknowledged records lost (${check.examples.slice(0, 3).join('; ')})`);
      log(`${stamp()}   steady after ${((Date.now() - faultAt) / 1000).toFixed(1)} s: ${await describeLab(lab)}; ${check.acknowledged} acknowledged, ${check.lost} lost`);
    }
  } finally {
    report.failovers = (await watch?.stop()) ?? 0;
    report.violations.push(...((await sampler?.stop()) ?? []));
    report.safetySamples = sampler?.samples ?? 0;
    await lab.stop();
  }
  return report;
}

/** The site a step's target names right now (the ACTIVE host, the P-VOL's array, ...). */
async function resolve(lab: Lab, target: Target): Promise<Site | null> {
  if (target === null) return null;
  if (target === 'active-host' || target === 'standby-host') {
    const active = (await lab.activeHosts())[0] ?? 'a';
    return target === 'active-host' ? active : otherSite(active);
  }
  const views = await Promise.all(SITES.map((s) => lab.pairs(s)));
  const pvol = SITES.find((_, i) => views[i].db?.attribute === 'P-VOL') ?? 'a';
  return target === 'pvol-array' ? pvol : otherSite(pvol);
}

async function inject(lab: Lab, step: ChaosStep, site: Site | null, log: (line: string) => void, signal?: AbortSignal): Promise<void> {
  const mode = step.mode ?? 'cut';
  switch (step.kind) {
    case 'kill-host':
      await lab.killHost(site!, 'SIGKILL');
      break;
    case 'stop-host':
      await lab.killHost(site!, 'SIGTERM');
      break;
    case 'kill-app':
      lab.killApp(site!);
      break;
    case 'kill-array':
      await lab.killArray(site!, 'SIGKILL');
      break;
    case 'heartbeat-partition':
      lab.cutHeartbeat(mode);
      break;
    case 'link-partition':
      lab.cutLink(mode);
      break;
    case 'full-partition':
      lab.cutHeartbeat(mode);
      lab.cutLink(mode);
      break;
    case 'switchover': {
      const standby = otherSite((await lab.activeHosts())[0] ?? 'a');
      const r = await lab.switchover(standby);
      if (r.result === 'ABNORMAL') log(`           switchover refused: ${r.reason}: ${r.message}`);
      break;
    }
  }
  await sleep(step.holdMs, undefined, { signal });
}

/** Undo every fault: links back, every stopped array and host started again (arrays first). */
async function heal(lab: Lab): Promise<void> {
  lab.restoreHeartbeat();
  lab.restoreLink();
  await Promise.all(SITES.filter((s) => !lab.arrays[s].process.running).map((s) => lab.arrays[s].process.start()));
  await Promise.all(SITES.filter((s) => !lab.hosts[s].process.running).map((s) => lab.hosts[s].process.start()));
}

/**
 * Steady: one ACTIVE and one STANDBY host, db PAIR on both arrays, and the host ACTIVE at that
 * moment has acknowledged 3 records since the wait began (an ACTIVE host that is about to hand
 * over, e.g. after its application died, does not count).
 */
async function settle(lab: Lab, signal?: AbortSignal): Promise<void> {
  const before = { a: lab.acks('a'), b: lab.acks('b') };
  await lab.waitFor('one ACTIVE host writing, one STANDBY host, db PAIR on both arrays', async () => {
    signal?.throwIfAborted();
    const [hosts, views] = await Promise.all([Promise.all(SITES.map((s) => lab.hostStatus(s))), Promise.all(SITES.map((s) => lab.pairs(s)))]);
    const active = SITES.find((_, i) => hosts[i]?.role === 'ACTIVE');
    if (!active || hosts[SITES.indexOf(otherSite(active))]?.role !== 'STANDBY') return false;
    return views.every((v) => v.db?.state === 'PAIR') && lab.acks(active) >= before[active] + 3;
  }, SETTLE_MS);
}

/** Inject, hold, heal, settle: null when the lab is steady again, what went wrong otherwise. */
async function applyStep(lab: Lab, step: ChaosStep, site: Site | null, log: (line: string) => void, signal?: AbortSignal): Promise<string | null> {
  try {
    await inject(lab, step, site, log, signal);
    await heal(lab);
    await settle(lab, signal);
    return null;
  } catch (err) {
    return `${(err as Error).message}; lab: ${await describeLab(lab)}`;
  }
}

async function describeLab(lab: Lab): Promise<string> {
  return summaryLine(await takeSnapshot(lab, []));
}

/** Every acknowledged record of both hosts must be on the array that holds db's P-VOL. */
async function checkRecords(lab: Lab): Promise<{ acknowledged: number; lost: number; examples: string[] }> {
  const views = await Promise.all(SITES.map((s) => lab.pairs(s)));
  const pvol = SITES.find((_, i) => views[i].db?.attribute === 'P-VOL');
  if (!pvol) throw new Error('no array reports itself the P-VOL of db');
  const report = await lab.verify(pvol);
  return { acknowledged: report.acknowledged, lost: report.missing.length + report.corrupt.length, examples: lostRecords(report) };
}
