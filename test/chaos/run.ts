// `npm run chaos -- --seed N --minutes M [--plan K]`: the chaos runner (issue 5). Runs the seeded
// fault schedule against a real lab and prints a summary; exit 1 on any violation (safety
// invariant, lost acknowledged record) or when the lab did not recover from a fault.
// `--plan K` prints the first K steps of the seed's schedule and runs nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderTable } from '../../src/cli/table.js';
import { runChaos, type ChaosReport } from './chaosRun.js';
import { describeStep, planFor } from './schedule.js';

const USAGE = 'usage: npm run chaos -- --seed N --minutes M [--plan K]\n';

function numberOption(text: string | undefined, name: string, fallback: number, integer: boolean): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n))) throw new Error(`--${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got "${text}"`);
  return n;
}

function summary(r: ChaosReport): string {
  const rows: string[][] = [
    ['seed', String(r.seed)],
    ['steps run', String(r.steps)],
    ...Object.entries(r.faults).map(([kind, n]) => [`  faults: ${kind}`, String(n)]),
    ['failovers (ACTIVE host changed)', String(r.failovers)],
    ['safety samples', String(r.safetySamples)],
    ['violations', String(r.violations.length)],
    ['not recovered', String(r.unrecovered.length)],
    ['acknowledged records', String(r.acknowledged)],
    ['lost records', String(r.lost)],
  ];
  const details = [...r.violations.map((v) => `VIOLATION: ${v}`), ...r.unrecovered.map((u) => `NOT RECOVERED: ${u}`)];
  return renderTable(['CHAOS SUMMARY', ''], rows) + details.map((d) => `${d}\n`).join('');
}

async function main(): Promise<number> {
  let values: { seed?: string; minutes?: string; plan?: string };
  try {
    ({ values } = parseArgs({ options: { seed: { type: 'string' }, minutes: { type: 'string' }, plan: { type: 'string' } }, strict: true, allowPositionals: false }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  let seed: number, minutes: number, plan: number;
  try {
    seed = numberOption(values.seed, 'seed', 1, true);
    minutes = numberOption(values.minutes, 'minutes', 1, false);
    plan = numberOption(values.plan, 'plan', 0, true);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (plan > 0) {
    for (const step of planFor(seed, plan)) process.stdout.write(`#${step.index} ${describeStep(step)}\n`);
    return 0;
  }
  const dir = mkdtempSync(join(tmpdir(), 'pairvol-chaos-'));
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let report: ChaosReport;
  try {
    report = await runChaos({ seed, minutes, dir, log: (line) => process.stdout.write(`${line}\n`), signal: stop.signal });
  } catch (err) {
    if (stop.signal.aborted) return 130;
    process.stderr.write(`chaos: ${(err as Error).message}\nlab directory kept for its logs: ${dir}\n`);
    return 1;
  }
  process.stdout.write(`\n${summary(report)}`);
  const failed = report.violations.length > 0 || report.unrecovered.length > 0;
  if (failed) process.stdout.write(`lab directory kept for its logs: ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
  return failed ? 1 : stop.signal.aborted ? 130 : 0;
}

process.exitCode = await main();
