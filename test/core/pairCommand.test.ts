import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePairCommand } from '../../src/core/pairCommand.js';
import type { Decision, PairCommand, PairSnapshot } from '../../src/core/pairCommand.js';
import { fig4Response } from '../../src/core/fig4.js';
import type { Fig4State } from '../../src/core/fig4.js';
import { FENCES, PAIR_STATES, REASONS, isAbnormal } from '../../src/core/types.js';
import type { Attribute, PairState } from '../../src/core/types.js';

// Decisions are summarised as short strings so the tables below read like docs/pair-commands.md:
// 'noop' | '!<reason>' | '<next> [swap] [full|bitmap] [deferred] [svol-rw] [pvol-takeover]'.
function summary(d: Decision): string {
  if (isAbnormal(d)) return `!${d.reason}`;
  if (d.noop) return 'noop';
  const parts: string[] = [d.next];
  if (d.swapRoles) parts.push('swap');
  if (d.copy !== 'none') parts.push(d.copy);
  if (d.deferred) parts.push('deferred');
  if (d.svolWritable) parts.push('svol-rw');
  if (d.pvolTakeover) parts.push('pvol-takeover');
  return parts.join(' ');
}

type Side = 'P' | 'P/down' | 'S' | 'S/down';
const SIDES: Record<Side, { givenTo: Attribute; peerReachable: boolean }> = {
  P: { givenTo: 'P-VOL', peerReachable: true },
  'P/down': { givenTo: 'P-VOL', peerReachable: false },
  S: { givenTo: 'S-VOL', peerReachable: true },
  'S/down': { givenTo: 'S-VOL', peerReachable: false },
};

const COMMANDS: Record<string, PairCommand> = {
  create: { kind: 'create', nocopy: false },
  'create --nocopy': { kind: 'create', nocopy: true },
  split: { kind: 'split', svolWritable: false },
  'split --svol-writable': { kind: 'split', svolWritable: true },
  resync: { kind: 'resync' },
  swap: { kind: 'swap' },
  delete: { kind: 'delete' },
  takeover: { kind: 'takeover', force: false },
  'takeover --force': { kind: 'takeover', force: true },
};

function snapshot(state: PairState, over: Partial<PairSnapshot> = {}): PairSnapshot {
  return { state, svolWritable: false, fence: 'data', splitBrain: false, pvolTakeover: false, ...over };
}

function decide(state: PairState, side: Side, cmd: PairCommand, over: Partial<PairSnapshot> = {}): Decision {
  const { givenTo, peerReachable } = SIDES[side];
  return decidePairCommand(Object.freeze(snapshot(state, over)), givenTo, Object.freeze({ ...cmd }), Object.freeze({ peerReachable }));
}

const INV = '!invalid-state';
const PEER = '!peer-unreachable';
const NP = '!not-paired';

// Columns: SMPL, COPY, PAIR, PSUS, PSUE, SSWS. Fence data, no split brain, S-VOL read-only.
const TABLE: [command: string, side: Side, expected: [string, string, string, string, string, string]][] = [
  ['create', 'P', ['COPY full', 'noop', 'noop', INV, INV, INV]],
  ['create', 'P/down', [PEER, 'noop', 'noop', INV, INV, INV]],
  ['create', 'S', ['COPY full', INV, INV, INV, INV, INV]],
  ['create', 'S/down', [PEER, INV, INV, INV, INV, INV]],
  ['create --nocopy', 'P', ['PAIR', 'noop', 'noop', INV, INV, INV]],
  ['create --nocopy', 'P/down', [PEER, 'noop', 'noop', INV, INV, INV]],
  ['create --nocopy', 'S', ['PAIR', INV, INV, INV, INV, INV]],
  ['create --nocopy', 'S/down', [PEER, INV, INV, INV, INV, INV]],
  ['split', 'P', [NP, 'PSUS', 'PSUS', 'noop', 'PSUS', INV]],
  ['split', 'P/down', [NP, 'PSUS', 'PSUS', 'noop', 'PSUS', INV]],
  ['split', 'S', [NP, 'PSUS', 'PSUS', 'noop', 'PSUS', INV]],
  ['split', 'S/down', [NP, PEER, PEER, PEER, PEER, PEER]],
  ['split --svol-writable', 'P', [NP, 'PSUS svol-rw', 'PSUS svol-rw', 'PSUS svol-rw', 'PSUS svol-rw', INV]],
  ['split --svol-writable', 'P/down', [NP, 'PSUS svol-rw', 'PSUS svol-rw', 'PSUS svol-rw', 'PSUS svol-rw', INV]],
  ['split --svol-writable', 'S', [NP, 'PSUS svol-rw', 'PSUS svol-rw', 'PSUS svol-rw', 'PSUS svol-rw', INV]],
  ['split --svol-writable', 'S/down', [NP, PEER, PEER, PEER, PEER, PEER]],
  ['resync', 'P', [NP, INV, INV, 'COPY bitmap', 'COPY bitmap', INV]],
  ['resync', 'P/down', [NP, INV, INV, 'PSUE bitmap deferred', 'PSUE bitmap deferred', INV]],
  ['resync', 'S', [NP, INV, INV, INV, INV, INV]],
  ['resync', 'S/down', [NP, INV, INV, INV, INV, INV]],
  ['swap', 'P', [NP, INV, INV, INV, INV, INV]],
  ['swap', 'P/down', [NP, INV, INV, INV, INV, INV]],
  ['swap', 'S', [NP, INV, INV, 'COPY swap bitmap', INV, 'COPY swap bitmap']],
  ['swap', 'S/down', [NP, PEER, PEER, PEER, PEER, PEER]],
  ['delete', 'P', ['noop', 'SMPL', 'SMPL', 'SMPL', 'SMPL', 'SMPL']],
  ['delete', 'P/down', ['noop', 'SMPL', 'SMPL', 'SMPL', 'SMPL', 'SMPL']],
  ['delete', 'S', ['noop', 'SMPL', 'SMPL', 'SMPL', 'SMPL', 'SMPL']],
  ['delete', 'S/down', ['noop', PEER, PEER, PEER, PEER, PEER]],
  ['takeover', 'P', [NP, 'noop', 'noop', 'noop', 'PSUE pvol-takeover', INV]],
  ['takeover', 'P/down', [NP, 'noop', 'noop', 'noop', 'PSUE pvol-takeover', INV]],
  ['takeover', 'S', [NP, INV, 'COPY swap bitmap', 'COPY swap bitmap', INV, 'COPY swap bitmap']],
  ['takeover', 'S/down', [NP, INV, INV, '!force-required', '!force-required', 'noop']],
  ['takeover --force', 'P', [NP, 'noop', 'noop', 'noop', 'PSUE pvol-takeover', INV]],
  ['takeover --force', 'P/down', [NP, 'noop', 'noop', 'noop', 'PSUE pvol-takeover', INV]],
  ['takeover --force', 'S', [NP, INV, 'COPY swap bitmap', 'COPY swap bitmap', INV, 'COPY swap bitmap']],
  ['takeover --force', 'S/down', [NP, INV, INV, 'SSWS', 'SSWS', 'noop']],
];

test('the acceptance table covers every command x side', () => {
  assert.equal(TABLE.length, Object.keys(COMMANDS).length * Object.keys(SIDES).length);
  assert.equal(new Set(TABLE.map(([c, s]) => `${c}/${s}`)).size, TABLE.length);
});

for (const [name, side, expected] of TABLE) {
  test(`acceptance: ${name} given to ${side}`, () => {
    const got = PAIR_STATES.map((state) => summary(decide(state, side, COMMANDS[name])));
    assert.deepEqual(got, expected);
  });
}

test('a volume given as SMPL behaves as not paired, and SMPL with a pair state is refused', () => {
  const d = decidePairCommand(snapshot('SMPL'), 'SMPL', COMMANDS.create, { peerReachable: true });
  assert.equal(summary(d), 'COPY full');
  assert.equal(summary(decidePairCommand(snapshot('SMPL'), 'SMPL', COMMANDS.split, { peerReachable: true })), NP);
  for (const state of PAIR_STATES.filter((s) => s !== 'SMPL')) {
    assert.equal(summary(decidePairCommand(snapshot(state), 'SMPL', COMMANDS.delete, { peerReachable: true })), '!bad-request');
  }
});

test('resync and swap agree with FIG.4 in its five states, whatever the fence and flags', () => {
  const fig4States: Fig4State[] = ['SMPL', 'COPY', 'PAIR', 'PSUS', 'PSUE'];
  for (const state of fig4States) {
    for (const fence of FENCES) {
      for (const svolWritable of [false, true]) {
        for (const [kind, givenTo] of [['resync', 'P-VOL'], ['resync', 'S-VOL'], ['swap', 'P-VOL'], ['swap', 'S-VOL']] as const) {
          const d = decidePairCommand(snapshot(state, { fence, svolWritable }), givenTo, { kind }, { peerReachable: true });
          const end = isAbnormal(d) ? 'ABNORMAL' : 'NORMAL';
          assert.equal(end, fig4Response(kind, givenTo, state), `${kind} to ${givenTo} in ${state}`);
        }
      }
    }
  }
});

test('a resync accepted in PSUE with the link down is NORMAL, stays PSUE and is deferred', () => {
  const d = decide('PSUE', 'P/down', COMMANDS.resync);
  assert.equal(summary(d), 'PSUE bitmap deferred');
  // A P-VOL takeover already done stays in force while the pair waits for the link.
  assert.equal(summary(decide('PSUE', 'P/down', COMMANDS.resync, { pvolTakeover: true })), 'PSUE bitmap deferred pvol-takeover');
  // Once the resync runs the fence is armed again.
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.resync, { pvolTakeover: true })), 'COPY bitmap');
});

test('split brain: resync and swap need an explicit discard; the discarded side is overwritten in full', () => {
  const sb = { splitBrain: true };
  for (const state of ['PSUS', 'PSUE'] as const) {
    assert.equal(summary(decide(state, 'P', COMMANDS.resync, sb)), '!split-brain');
    assert.equal(summary(decide(state, 'P', { kind: 'resync', discard: 'remote' }, sb)), 'COPY full');
    assert.equal(summary(decide(state, 'P', { kind: 'resync', discard: 'local' }, sb)), 'COPY swap full');
    assert.equal(summary(decide(state, 'P/down', { kind: 'resync', discard: 'remote' }, sb)), 'PSUE full deferred');
    assert.equal(summary(decide(state, 'P/down', { kind: 'resync', discard: 'local' }, sb)), PEER);
  }
  for (const state of ['PSUS', 'SSWS'] as const) {
    assert.equal(summary(decide(state, 'S', COMMANDS.swap, sb)), '!split-brain');
    assert.equal(summary(decide(state, 'S', { kind: 'swap', discard: 'remote' }, sb)), 'COPY swap full');
    assert.equal(summary(decide(state, 'S', { kind: 'swap', discard: 'local' }, sb)), 'COPY full');
    assert.equal(summary(decide(state, 'S', COMMANDS.takeover, sb)), '!split-brain');
  }
  assert.equal(summary(decide('PAIR', 'S', COMMANDS.takeover, sb)), '!split-brain');
  // Split brain never opens a state FIG.4 closes.
  assert.equal(summary(decide('PAIR', 'P', { kind: 'resync', discard: 'remote' }, sb)), INV);
  assert.equal(summary(decide('PSUE', 'S', { kind: 'swap', discard: 'remote' }, sb)), INV);
  // Other commands do not care about split brain.
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.split, sb)), 'PSUS');
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.delete, sb)), 'SMPL');
});

test('discard without split brain forces a full copy in the chosen direction', () => {
  assert.equal(summary(decide('PSUS', 'P', { kind: 'resync', discard: 'remote' })), 'COPY full');
  assert.equal(summary(decide('PSUS', 'S', { kind: 'swap', discard: 'remote' })), 'COPY swap full');
});

test('P-VOL takeover lifts the write failure of fence data and status only, once', () => {
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.takeover, { fence: 'status' })), 'PSUE pvol-takeover');
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.takeover, { fence: 'never' })), 'noop');
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.takeover, { pvolTakeover: true })), 'noop');
});

test('split in PSUS changes only the S-VOL write flag, or is a no-op', () => {
  const rw = { svolWritable: true };
  assert.equal(summary(decide('PSUS', 'P', COMMANDS['split --svol-writable'], rw)), 'noop');
  assert.equal(summary(decide('PSUS', 'P', COMMANDS.split, rw)), 'PSUS');
  // Leaving PSUE drops a P-VOL takeover: in PSUS the P-VOL is writable anyway.
  assert.equal(summary(decide('PSUE', 'P', COMMANDS.split, { pvolTakeover: true })), 'PSUS');
});

test('every ABNORMAL END carries a known reason and a message, and no input is changed', () => {
  let abnormalCount = 0;
  for (const state of PAIR_STATES) {
    for (const side of Object.keys(SIDES) as Side[]) {
      for (const cmd of [...Object.values(COMMANDS), { kind: 'resync', discard: 'local' } as const, { kind: 'swap', discard: 'remote' } as const]) {
        for (const fence of FENCES) {
          for (const flag of [false, true]) {
            const pair = snapshot(state, { fence, svolWritable: flag, splitBrain: flag, pvolTakeover: flag });
            const before = structuredClone(pair);
            const cmdBefore = structuredClone(cmd);
            const d = decidePairCommand(Object.freeze(pair), SIDES[side].givenTo, Object.freeze({ ...cmd }), { peerReachable: SIDES[side].peerReachable });
            assert.deepEqual(pair, before);
            assert.deepEqual(cmd, cmdBefore);
            if (isAbnormal(d)) {
              abnormalCount++;
              assert.ok(REASONS.includes(d.reason), d.reason);
              assert.ok(d.message.length > 10, `message for ${d.reason}`);
              assert.deepEqual(Object.keys(d).sort(), ['message', 'reason', 'result']);
            } else {
              assert.equal(d.end, 'NORMAL');
            }
          }
        }
      }
    }
  }
  assert.ok(abnormalCount > 100);
});
