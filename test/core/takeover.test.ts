import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideTakeover } from '../../src/core/takeover.js';
import type { RemoteView, TakeoverAction } from '../../src/core/takeover.js';
import type { Attribute, Fence, PairState } from '../../src/core/types.js';

const P = (state: PairState): RemoteView => ({ attribute: 'P-VOL', state });
const S = (state: PairState): RemoteView => ({ attribute: 'S-VOL', state });
const U: RemoteView = 'unknown';

// The table of docs/pair-commands.md ("Takeover by the cluster agent"), row by row.
// [local attribute, local state, fence, remote, force, action, data-loss risk]
const TABLE: [Attribute, PairState, Fence, RemoteView, boolean, TakeoverAction, boolean][] = [
  ['SMPL', 'SMPL', 'never', U, false, 'reject', false],
  ['SMPL', 'SMPL', 'never', P('PAIR'), true, 'reject', false],
  ['P-VOL', 'PAIR', 'data', P('PAIR'), false, 'reject', false], // unconformable
  ['P-VOL', 'PAIR', 'data', { attribute: 'SMPL', state: 'SMPL' }, false, 'reject', false],
  ['P-VOL', 'COPY', 'data', S('COPY'), false, 'nop', false],
  ['P-VOL', 'PAIR', 'data', S('PAIR'), false, 'nop', false],
  ['P-VOL', 'PAIR', 'data', U, false, 'nop', false],
  ['P-VOL', 'PSUS', 'data', S('PSUS'), false, 'resync', false],
  ['P-VOL', 'PSUS', 'data', U, false, 'nop', false],
  ['P-VOL', 'PSUE', 'data', S('PSUE'), false, 'resync', false],
  ['P-VOL', 'PSUE', 'never', S('PSUE'), false, 'resync', false],
  ['P-VOL', 'PSUE', 'data', U, false, 'wait-fenced', false],
  ['P-VOL', 'PSUE', 'data', U, true, 'wait-fenced', false],
  ['P-VOL', 'PSUE', 'status', U, false, 'wait-fenced', false],
  ['P-VOL', 'PSUE', 'never', U, false, 'nop', false],
  ['P-VOL', 'SSWS', 'never', S('SSWS'), false, 'reject', false],
  ['S-VOL', 'SSWS', 'data', U, false, 'nop', false],
  ['S-VOL', 'SSWS', 'data', P('SSWS'), false, 'swap', false],
  ['S-VOL', 'PAIR', 'data', P('PAIR'), false, 'swap', false],
  ['S-VOL', 'PSUS', 'data', P('PSUS'), false, 'swap', false],
  ['S-VOL', 'COPY', 'data', P('COPY'), false, 'reject', false],
  ['S-VOL', 'PSUE', 'data', P('PSUE'), true, 'reject', false],
  ['S-VOL', 'PAIR', 'data', S('PAIR'), false, 'reject', false], // unconformable
  ['S-VOL', 'PAIR', 'data', { attribute: 'SMPL', state: 'SMPL' }, false, 'reject', false],
  ['S-VOL', 'COPY', 'data', U, true, 'reject', false],
  ['S-VOL', 'PAIR', 'data', U, true, 'reject', false],
  ['S-VOL', 'PSUS', 'never', U, false, 'reject', false],
  ['S-VOL', 'PSUE', 'data', U, false, 'reject', false],
  ['S-VOL', 'PSUS', 'never', U, true, 'svol-takeover', true],
  ['S-VOL', 'PSUE', 'data', U, true, 'svol-takeover', true],
  ['S-VOL', 'PSUE', 'status', U, true, 'svol-takeover', true],
];

for (const [attribute, state, fence, remote, force, action, dataLossRisk] of TABLE) {
  test(`takeover: local ${attribute} ${state} fence ${fence}, remote ${JSON.stringify(remote)}, force ${force} -> ${action}`, () => {
    const d = decideTakeover({ attribute, state, fence }, remote, { force });
    assert.equal(d.action, action);
    assert.equal(d.dataLossRisk, dataLossRisk);
    assert.ok(d.reason.length > 10);
  });
}

test('an S-VOL is never taken over by force without --force, whatever the state and fence', () => {
  for (const state of ['COPY', 'PAIR', 'PSUS', 'PSUE', 'SSWS'] as const) {
    for (const fence of ['data', 'status', 'never'] as const) {
      assert.notEqual(decideTakeover({ attribute: 'S-VOL', state, fence }, 'unknown', { force: false }).action, 'svol-takeover');
    }
  }
});

test('the reasons tell the operator what to do', () => {
  assert.match(decideTakeover({ attribute: 'S-VOL', state: 'PSUE', fence: 'data' }, 'unknown', { force: false }).reason, /--force/);
  assert.match(decideTakeover({ attribute: 'P-VOL', state: 'PSUE', fence: 'data' }, 'unknown', { force: false }).reason, /pair takeover/);
  assert.match(decideTakeover({ attribute: 'P-VOL', state: 'PAIR', fence: 'data' }, P('PAIR'), { force: false }).reason, /unconformable/);
});
