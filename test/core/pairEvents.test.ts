import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onCopyComplete, onLinkLost, onLinkRestored, reconcileOnReconnect } from '../../src/core/pairCommand.js';
import { PAIR_STATES } from '../../src/core/types.js';
import type { PairState } from '../../src/core/types.js';

test('copy complete: COPY -> PAIR, every other state unchanged', () => {
  const expected: Record<PairState, PairState> = { SMPL: 'SMPL', COPY: 'PAIR', PAIR: 'PAIR', PSUS: 'PSUS', PSUE: 'PSUE', SSWS: 'SSWS' };
  for (const s of PAIR_STATES) assert.equal(onCopyComplete(s), expected[s], s);
});

test('link lost: COPY and PAIR -> PSUE, every other state unchanged', () => {
  const expected: Record<PairState, PairState> = { SMPL: 'SMPL', COPY: 'PSUE', PAIR: 'PSUE', PSUS: 'PSUS', PSUE: 'PSUE', SSWS: 'SSWS' };
  for (const s of PAIR_STATES) assert.equal(onLinkLost(s), expected[s], s);
});

test('link restored: only a PSUE pair with a resync pending starts copying its bitmap', () => {
  assert.deepEqual(onLinkRestored('PSUE', true), { next: 'COPY', copy: 'bitmap' });
  assert.deepEqual(onLinkRestored('PSUE', false), { next: 'PSUE', copy: 'none' });
  for (const s of PAIR_STATES.filter((x) => x !== 'PSUE')) {
    for (const pending of [false, true]) assert.deepEqual(onLinkRestored(s, pending), { next: s, copy: 'none' }, `${s} ${pending}`);
  }
});

test('reconnect: a delete on either side wins, then a forced takeover, then the P side', () => {
  const rows: [PairState, PairState, PairState][] = [
    ['SMPL', 'PSUE', 'SMPL'],
    ['SMPL', 'SSWS', 'SMPL'],
    ['PSUE', 'SMPL', 'SMPL'],
    ['PSUE', 'SSWS', 'SSWS'],
    ['PSUS', 'SSWS', 'SSWS'],
    ['PSUE', 'PSUE', 'PSUE'],
    ['PSUE', 'PSUS', 'PSUE'], // resync accepted on the P side while apart
    ['PSUS', 'PSUE', 'PSUS'], // split on the P side while apart
    ['PSUS', 'PSUS', 'PSUS'],
  ];
  for (const [p, s, next] of rows) assert.equal(reconcileOnReconnect(p, s), next, `${p}/${s}`);
});
