// Deterministic simulation from the command line:
//   node --import tsx src/sim/cli.ts --seeds N [--from S] [--threads T]   run seeds S..S+N-1
//   node --import tsx src/sim/cli.ts --seed S [--verbose]                 replay one seed
// Options that plant bugs (the simulation must catch them): --planted-bug (the S side reserves
// with the link down), --bug-unrelated-generations and --bug-swap-in-pair (two bugs the
// simulation found and that were fixed; docs/simulation.md). Exit 1 when any seed fails.
import { parseArgs } from 'node:util';
import { runSeedsParallel, type RunOptions } from './seeds.js';
import { simulate } from './world.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    from: { type: 'string', default: '0' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'planted-bug': { type: 'boolean', default: false },
    'bug-unrelated-generations': { type: 'boolean', default: false },
    'bug-swap-in-pair': { type: 'boolean', default: false },
  },
  strict: true,
});

function int(name: string, text: string | undefined): number {
  const n = Number(text);
  if (text === undefined || !Number.isInteger(n) || n < 0) {
    console.error(`--${name} needs a non-negative integer, got ${text ?? 'nothing'}`);
    process.exit(2);
  }
  return n;
}

const opts: RunOptions = {
  bugs: { unrelatedGenerations: values['bug-unrelated-generations'], sSideReservesWithLinkDown: values['planted-bug'] },
  swapCommand: values['bug-swap-in-pair'] ? { kind: 'swap' } : { kind: 'takeover', force: false },
};

if (values.seed !== undefined) {
  const r = simulate({ ...opts, seed: int('seed', values.seed), fullTrace: values.verbose });
  console.log(r.trace.join('\n'));
  console.log(r.violation ? `seed ${r.seed}: VIOLATION ${r.violation.invariant} at ${r.violation.time} ms: ${r.violation.message}` : `seed ${r.seed}: ok (${r.events} events, ${r.acknowledged} writes acknowledged)`);
  process.exit(r.violation ? 1 : 0);
} else if (values.seeds !== undefined) {
  const from = int('from', values.from);
  const count = int('seeds', values.seeds);
  const started = performance.now();
  const s = await runSeedsParallel(from, count, Math.max(1, int('threads', values.threads)), opts);
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  for (const f of s.failures) console.log(`seed ${f.seed}: ${f.violation!.invariant} at ${f.violation!.time} ms: ${f.violation!.message}`);
  console.log(`${s.runs} seeds in ${secs} s: ${s.failures.length} failed, ${s.forcedTakeovers} with a forced takeover, ${s.acknowledged} writes acknowledged`);
  if (s.failures.length > 0) console.log(`replay one with: node --import tsx src/sim/cli.ts --seed ${s.failures[0].seed} --verbose`);
  process.exit(s.failures.length > 0 ? 1 : 0);
} else {
  console.error('usage: cli.ts --seeds N [--from S] [--threads T] | --seed S [--verbose]  [--planted-bug] [--bug-unrelated-generations] [--bug-swap-in-pair]');
  process.exit(2);
}
