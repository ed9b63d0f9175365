import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideRelease, decideReserve } from '../../src/core/reservation.js';
import { decidePairCommand } from '../../src/core/pairCommand.js';
import { isAbnormal } from '../../src/core/types.js';
import type { PairState } from '../../src/core/types.js';

test('FIG.5 step 1: the holder of a P-VOL in COPY or PAIR renews without issuing anything', () => {
  for (const state of ['COPY', 'PAIR'] as const) {
    assert.deepEqual(decideReserve({ attribute: 'P-VOL', state, holder: 'a1' }, 'a1'), { action: 'renewed' });
  }
});

test('FIG.5 step 2: a reservation held by another host of the site is refused', () => {
  for (const attribute of ['P-VOL', 'S-VOL', 'SMPL'] as const) {
    const d = decideReserve({ attribute, state: attribute === 'SMPL' ? 'SMPL' : 'PAIR', holder: 'a2' }, 'a1');
    assert.ok(isAbnormal(d));
    assert.equal(d.reason, 'held-by-other');
    assert.match(d.message, /a2/);
  }
});

test('FIG.5 step 3: P-VOL issues resync, S-VOL issues swap resync, SMPL is refused', () => {
  for (const state of ['PSUS', 'PSUE', 'COPY', 'PAIR'] as const) {
    assert.deepEqual(decideReserve({ attribute: 'P-VOL', state, holder: null }, 'a1'), { action: 'issue', command: 'resync' });
    assert.deepEqual(decideReserve({ attribute: 'S-VOL', state, holder: null }, 'b1'), { action: 'issue', command: 'swap' });
  }
  // A holder whose pair is no longer held (e.g. it became the S-VOL) races again.
  assert.deepEqual(decideReserve({ attribute: 'S-VOL', state: 'PAIR', holder: 'a1' }, 'a1'), { action: 'issue', command: 'swap' });
  assert.deepEqual(decideReserve({ attribute: 'P-VOL', state: 'PSUS', holder: 'a1' }, 'a1'), { action: 'issue', command: 'resync' });
  const d = decideReserve({ attribute: 'SMPL', state: 'SMPL', holder: null }, 'a1');
  assert.ok(isAbnormal(d));
  assert.equal(d.reason, 'not-paired');
});

test('FIG.6: release by the holder splits; by anyone else it is refused', () => {
  assert.deepEqual(decideRelease({ attribute: 'P-VOL', state: 'PAIR', holder: 'a1' }, 'a1'), { action: 'split' });
  for (const holder of ['a2', null]) {
    const d = decideRelease({ attribute: 'P-VOL', state: 'PAIR', holder }, 'a1');
    assert.ok(isAbnormal(d));
    assert.equal(d.reason, 'not-holder');
  }
});

// Two sites race for the determining pair: host A at the site holding the P-VOL, host B at
// the other. Each decides from what it reads, then the P-side array executes the commands
// one after the other (or the S array refuses alone when the link is down).
interface Race {
  state: PairState;
  pSite: 'A' | 'B';
  link: boolean;
}

function execute(w: Race, host: 'A' | 'B', command: 'resync' | 'swap'): boolean {
  const givenTo = w.pSite === host ? 'P-VOL' : 'S-VOL';
  const d = decidePairCommand({ state: w.state, svolWritable: false, fence: 'never', splitBrain: false, pvolTakeover: false }, givenTo, { kind: command }, { peerReachable: w.link });
  if (isAbnormal(d)) return false;
  if (d.noop) assert.fail('a racing command is never a no-op');
  w.state = d.next;
  if (d.swapRoles) w.pSite = w.pSite === 'A' ? 'B' : 'A';
  return true;
}

function issued(w: Race, host: 'A' | 'B'): 'resync' | 'swap' {
  const d = decideReserve({ attribute: w.pSite === host ? 'P-VOL' : 'S-VOL', state: w.state, holder: null }, host);
  assert.ok(!isAbnormal(d) && d.action === 'issue');
  return d.command;
}

test('§6.1 race from a free pair: whoever the P side executes first wins; with the link down only the P side can', () => {
  for (const link of [true, false]) {
    for (const order of [['A', 'B'], ['B', 'A']] as const) {
      const w: Race = { state: 'PSUS', pSite: 'A', link };
      const commands = { A: issued(w, 'A'), B: issued(w, 'B') };
      const winners = order.filter((h) => execute(w, h, commands[h]));
      assert.deepEqual(winners, link ? [order[0]] : ['A'], `link ${link}, order ${order.join('')}`);
      assert.ok(link ? w.state === 'COPY' : w.state === 'PSUE');
      assert.equal(w.pSite, winners[0] === 'B' ? 'B' : 'A', 'a winning swap moves the P-VOL to the winner');
    }
  }
});

test('§6.3 challenge: after RESET, a live holder renews first and the challenger loses; a dead one loses', () => {
  const reset = (w: Race) => {
    const d = decidePairCommand({ state: w.state, svolWritable: false, fence: 'never', splitBrain: false, pvolTakeover: false }, 'S-VOL', { kind: 'split', svolWritable: false }, { peerReachable: w.link });
    if (isAbnormal(d) || d.noop) assert.fail('RESET splits a held pair');
    w.state = d.next;
  };
  const alive: Race = { state: 'PAIR', pSite: 'A', link: true };
  reset(alive);
  assert.equal(alive.state, 'PSUS');
  assert.equal(execute(alive, 'A', issued(alive, 'A')), true, 'renewal of the live holder');
  assert.equal(execute(alive, 'B', 'swap'), false);

  const dead: Race = { state: 'PAIR', pSite: 'A', link: true };
  reset(dead);
  assert.equal(execute(dead, 'B', issued(dead, 'B')), true);
  assert.equal(dead.pSite, 'B');
});
