import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareGenerations, forkGeneration } from '../../src/core/generation.js';
import type { Generation } from '../../src/core/generation.js';

const base: Generation = { current: 'g1', parent: 'g0' };

test('fork: new current, parent is the old current; the old one is untouched', () => {
  assert.deepEqual(forkGeneration(base, 'g2'), { current: 'g2', parent: 'g1' });
  assert.deepEqual(base, { current: 'g1', parent: 'g0' });
  assert.throws(() => forkGeneration(base, 'g1'), RangeError);
});

test('compare: every outcome', () => {
  const pForked = forkGeneration(base, 'p2');
  const sForked = forkGeneration(base, 's2');
  const rows: [Generation, Generation, string][] = [
    [base, base, 'same'],
    [pForked, base, 'local-newer'], // only this side was written while apart
    [base, sForked, 'remote-newer'],
    [pForked, sForked, 'split-brain'], // both forked from the same generation
    [{ current: 'a', parent: null }, { current: 'b', parent: null }, 'unrelated'],
    [{ current: 'a', parent: 'x' }, { current: 'b', parent: 'y' }, 'unrelated'],
    [forkGeneration(pForked, 'p3'), base, 'unrelated'], // forked twice: no common generation left
    [{ current: 'g1', parent: 'other' }, base, 'same'], // equal current ids need no sync
  ];
  for (const [local, remote, expected] of rows) {
    assert.equal(compareGenerations(local, remote), expected, `${JSON.stringify(local)} vs ${JSON.stringify(remote)}`);
  }
});

test('compare is symmetric: newer on one side is older on the other', () => {
  const mirror: Record<string, string> = { same: 'same', 'local-newer': 'remote-newer', 'remote-newer': 'local-newer', 'split-brain': 'split-brain', unrelated: 'unrelated' };
  const gens: Generation[] = [base, forkGeneration(base, 'p2'), forkGeneration(base, 's2'), { current: 'z', parent: null }];
  for (const a of gens) for (const b of gens) assert.equal(compareGenerations(b, a), mirror[compareGenerations(a, b)]);
});
