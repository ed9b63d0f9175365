// Deterministic simulation of the core logic (docs/simulation.md): many seeded adversarial
// schedules, determinism of a seed, and proof that the checker catches a planted bug.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSeeds, runSeedsParallel, type RunOptions } from '../../src/sim/seeds.js';
import { simulate } from '../../src/sim/world.js';

/** The arrays and hosts as built; the bugs the simulation found are fixed (docs/simulation.md). */
const FIXED: RunOptions = {};

function describeFailures(failures: { seed: number; violation: { invariant: string; message: string } | null; trace: string[] }[]): string {
  const first = failures[0];
  if (!first) return '';
  return `${failures.length} seeds failed, first ${first.seed}: ${first.violation?.invariant}: ${first.violation?.message}\n${first.trace.join('\n')}`;
}

describe('simulation', () => {
  it('10,000 seeded schedules keep every invariant', async () => {
    const summary = await runSeedsParallel(0, 10_000, 2, FIXED);
    assert.equal(summary.runs, 10_000);
    assert.deepEqual(
      summary.failures.map((f) => f.seed),
      [],
      describeFailures(summary.failures),
    );
    assert.ok(summary.acknowledged > 100_000, `the application wrote (${summary.acknowledged} acknowledged writes)`);
    assert.ok(summary.forcedTakeovers > 0, 'some schedules include an operator forced takeover');
  });

  it('a seed replays the identical trace', () => {
    const first = simulate({ ...FIXED, seed: 42, fullTrace: true });
    const second = simulate({ ...FIXED, seed: 42, fullTrace: true });
    assert.ok(first.trace.length > 500, `a full trace (${first.trace.length} lines)`);
    assert.deepEqual(second.trace, first.trace);
    assert.notDeepEqual(simulate({ ...FIXED, seed: 43, fullTrace: true }).trace, first.trace, 'another seed is another schedule');
  });

  it('catches arrays that let the S side reserve with the link down', () => {
    const planted: RunOptions = { bugs: { sSideReservesWithLinkDown: true } };
    const summary = runSeeds(0, 300, planted);
    const caught = summary.failures.find((f) => f.violation?.invariant === 'two-holders');
    assert.ok(caught, `the planted bug is caught (${summary.failures.length} failures: ${summary.failures.map((f) => f.violation?.invariant).join(', ')})`);
    assert.ok(caught.trace.length > 0 && caught.trace.length <= 50, 'the failure carries the last events');
    assert.match(caught.trace.at(-1)!, /VIOLATION two-holders/);
    assert.deepEqual(runSeeds(0, 300, FIXED).failures, [], 'the same seeds pass without the bug');
  });

  it('still catches the unrelated-generations bug it found (regression seed)', () => {
    const generations = simulate({ seed: 764, bugs: { unrelatedGenerations: true } });
    assert.equal(generations.violation?.invariant, 'no-single-active', 'unrelated generations leave no host ACTIVE');
    assert.equal(simulate({ seed: 764 }).violation, null, 'the fixed arrays pass the same seed');
  });
});
