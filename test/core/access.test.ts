import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostAccess } from '../../src/core/access.js';
import type { AccessView } from '../../src/core/access.js';
import { FENCES } from '../../src/core/types.js';
import type { Attribute, PairState } from '../../src/core/types.js';

const RW = { read: true, write: 'allowed' };
const RO = { read: true, write: 'EPERM' };
const FENCED = { read: true, write: 'EIO' };

function view(attribute: Attribute, state: PairState, over: Partial<AccessView> = {}): AccessView {
  return { attribute, state, fence: 'never', svolWritable: false, pvolTakeover: false, ...over };
}

// SPEC §3.2, with the cells it leaves open decided in docs/pair-commands.md (P-VOL in SSWS: read only).
const TABLE: [Attribute, PairState, Partial<AccessView>, object][] = [
  ['SMPL', 'SMPL', {}, RW],
  ['P-VOL', 'COPY', {}, RW],
  ['P-VOL', 'PAIR', {}, RW],
  ['P-VOL', 'PSUS', {}, RW],
  ['P-VOL', 'PSUE', { fence: 'never' }, RW],
  ['P-VOL', 'PSUE', { fence: 'status' }, RW],
  ['P-VOL', 'PSUE', { fence: 'data' }, FENCED],
  ['P-VOL', 'PSUE', { fence: 'data', pvolTakeover: true }, RW],
  ['P-VOL', 'SSWS', {}, RO],
  ['S-VOL', 'COPY', {}, RO],
  ['S-VOL', 'PAIR', {}, RO],
  ['S-VOL', 'PSUS', {}, RO],
  ['S-VOL', 'PSUS', { svolWritable: true }, RW],
  ['S-VOL', 'PSUE', {}, RO],
  ['S-VOL', 'SSWS', {}, RW],
];

for (const [attribute, state, over, expected] of TABLE) {
  test(`host access: ${attribute} ${state} ${JSON.stringify(over)}`, () => {
    assert.deepEqual(hostAccess(view(attribute, state, over)), expected);
  });
}

test('the S-VOL write flag only matters in PSUS, the fence only on a PSUE P-VOL', () => {
  for (const state of ['COPY', 'PAIR', 'PSUE'] as const) {
    assert.deepEqual(hostAccess(view('S-VOL', state, { svolWritable: true })), RO, state);
  }
  for (const fence of FENCES) {
    for (const state of ['COPY', 'PAIR', 'PSUS'] as const) {
      assert.deepEqual(hostAccess(view('P-VOL', state, { fence })), RW, `${state} ${fence}`);
    }
  }
});

test('a volume whose pair was deleted (state SMPL) is read/write whatever its last attribute', () => {
  assert.deepEqual(hostAccess(view('S-VOL', 'SMPL')), RW);
  assert.deepEqual(hostAccess(view('P-VOL', 'SMPL', { fence: 'data' })), RW);
});
