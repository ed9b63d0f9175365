// Property test of the safety invariant (SPEC §6.5) over the pure core: two arrays, a link
// that fails and returns, random pair commands given to either side. Each array keeps its
// own view of the pair; while the link is up the P side decides for both, while it is down
// each side decides alone. After every step the two volumes must not both accept host
// writes unless an operator's explicit choice explains it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decidePairCommand, onCopyComplete, onLinkLost, onLinkRestored, reconcileOnReconnect } from '../../src/core/pairCommand.js';
import type { Change, PairCommand } from '../../src/core/pairCommand.js';
import type { AccessView } from '../../src/core/access.js';
import { dualWriteSanction, safetyHolds, writableBoth } from '../../src/core/invariants.js';
import { FENCES, isAbnormal } from '../../src/core/types.js';
import type { Attribute, Fence, PairState } from '../../src/core/types.js';
import { seededRandom } from '../helpers/seededRandom.js';

interface Side {
  attribute: Attribute;
  state: PairState;
  svolWritable: boolean;
  pvolTakeover: boolean;
  resyncPending: boolean;
}
interface World {
  sides: [Side, Side];
  link: boolean;
  fence: Fence;
}

const COMMANDS: PairCommand[] = [
  { kind: 'create', nocopy: false },
  { kind: 'create', nocopy: true },
  { kind: 'split', svolWritable: false },
  { kind: 'split', svolWritable: true },
  { kind: 'resync' },
  { kind: 'resync', discard: 'local' },
  { kind: 'resync', discard: 'remote' },
  { kind: 'swap' },
  { kind: 'swap', discard: 'local' },
  { kind: 'delete' },
  { kind: 'takeover', force: false },
  { kind: 'takeover', force: true },
];


function side(attribute: Attribute, state: PairState, svolWritable = false): Side {
  return { attribute, state, svolWritable, pvolTakeover: false, resyncPending: false };
}

function view(s: Side, fence: Fence): AccessView {
  return { attribute: s.attribute, state: s.state, fence, svolWritable: s.svolWritable, pvolTakeover: s.pvolTakeover };
}

function applyChange(s: Side, d: Change): void {
  s.state = d.next;
  s.svolWritable = d.svolWritable;
  s.pvolTakeover = d.pvolTakeover;
  s.resyncPending = d.deferred;
  if (d.next === 'SMPL') s.attribute = 'SMPL';
  else if (d.swapRoles) s.attribute = s.attribute === 'P-VOL' ? 'S-VOL' : 'P-VOL';
}

function command(w: World, i: 0 | 1, cmd: PairCommand): void {
  const me = w.sides[i];
  const other = w.sides[1 - i];
  if (me.state === 'SMPL') {
    if (cmd.kind === 'create' && other.state !== 'SMPL') return; // the array refuses: the peer volume is in a pair
    const d = decidePairCommand(snapshot(me, w.fence), 'SMPL', cmd, { peerReachable: w.link });
    if (isAbnormal(d) || d.noop) return;
    Object.assign(me, side('P-VOL', d.next));
    Object.assign(other, side('S-VOL', d.next));
    return;
  }
  // With the link up a command given to the S side is forwarded to the P side, which decides for both.
  const evaluator = me.attribute === 'S-VOL' && w.link ? other : me;
  if (w.link) assert.equal(evaluator.attribute, 'P-VOL', 'with the link up the P side decides');
  const d = decidePairCommand(snapshot(evaluator, w.fence), me.attribute, cmd, { peerReachable: w.link });
  if (isAbnormal(d) || d.noop) return;
  for (const s of w.link ? w.sides : [me]) applyChange(s, d);
}

function snapshot(s: Side, fence: Fence) {
  return { state: s.state, svolWritable: s.svolWritable, fence, splitBrain: false, pvolTakeover: s.pvolTakeover };
}

function linkLost(w: World): void {
  w.link = false;
  for (const s of w.sides) {
    const next = onLinkLost(s.state);
    if (next !== s.state) s.resyncPending = true;
    s.state = next;
  }
}

function linkRestored(w: World): void {
  w.link = true;
  const p = w.sides.find((s) => s.attribute === 'P-VOL');
  const s = w.sides.find((x) => x.attribute === 'S-VOL');
  const agreed = reconcileOnReconnect(p?.state ?? 'SMPL', s?.state ?? 'SMPL');
  if (agreed === 'SMPL' || p === undefined || s === undefined) {
    for (const x of w.sides) Object.assign(x, side('SMPL', 'SMPL'));
    return;
  }
  const { next } = onLinkRestored(agreed, p.resyncPending);
  const flags = agreed === 'SSWS' ? s : p;
  for (const x of w.sides) {
    x.state = next;
    x.svolWritable = flags.svolWritable;
    x.pvolTakeover = flags.pvolTakeover;
    x.resyncPending = next === 'COPY' ? false : p.resyncPending;
  }
}

function step(w: World, rnd: () => number): string {
  const r = rnd();
  if (r < 0.1) {
    if (w.link) linkLost(w);
    else linkRestored(w);
    return w.link ? 'link-restored' : 'link-lost';
  }
  if (r < 0.25) {
    if (w.link) for (const s of w.sides) s.state = onCopyComplete(s.state);
    return 'copy-complete';
  }
  const i = rnd() < 0.5 ? 0 : 1;
  const cmd = COMMANDS[Math.floor(rnd() * COMMANDS.length)];
  command(w, i, cmd);
  return `${JSON.stringify(cmd)} to side ${i}`;
}

function starts(): World[] {
  const out: World[] = [];
  for (const fence of FENCES) {
    for (const link of [true, false]) {
      out.push({ sides: [side('SMPL', 'SMPL'), side('SMPL', 'SMPL')], link, fence });
      for (const state of ['COPY', 'PAIR', 'PSUS', 'PSUE'] as const) {
        if (link && state === 'PSUE') continue;
        const downState = link ? state : onLinkLost(state);
        out.push({ sides: [side('P-VOL', downState), side('S-VOL', downState)], link, fence });
      }
      out.push({ sides: [side('P-VOL', 'PSUS'), side('S-VOL', 'PSUS', true)], link, fence });
    }
    out.push({ sides: [side('P-VOL', 'PSUE'), side('S-VOL', 'SSWS')], link: false, fence });
  }
  return out;
}

test('safety: no two volumes of a pair accept writes unless --force or --svol-writable explains it', () => {
  const rnd = seededRandom(20240611);
  const seen = new Set<string>();
  const sanctions = new Set<string>();
  for (const start of starts()) {
    for (let run = 0; run < 60; run++) {
      const w: World = structuredClone(start);
      const trace: string[] = [];
      for (let n = 0; n < 30; n++) {
        trace.push(step(w, rnd));
        const [a, b] = w.sides.map((s) => view(s, w.fence));
        for (const s of w.sides) seen.add(`${s.attribute} ${s.state}`);
        if (writableBoth(a, b)) sanctions.add(dualWriteSanction(a, b));
        assert.ok(safetyHolds(a, b), `both writable: ${JSON.stringify(w)} after\n${trace.join('\n')}`);
      }
    }
  }
  // The random walk really went everywhere, including the sanctioned dual-write cases.
  for (const v of ['SMPL SMPL', 'P-VOL COPY', 'P-VOL PAIR', 'P-VOL PSUS', 'P-VOL PSUE', 'P-VOL SSWS', 'S-VOL COPY', 'S-VOL PAIR', 'S-VOL PSUS', 'S-VOL PSUE', 'S-VOL SSWS']) {
    assert.ok(seen.has(v), `never reached ${v}`);
  }
  assert.deepEqual([...sanctions].sort(), ['forced-takeover', 'not-a-pair', 'svol-writable-split']);
});

test('the invariant catches a dual write nothing explains', () => {
  const pvol: AccessView = { attribute: 'P-VOL', state: 'PAIR', fence: 'never', svolWritable: false, pvolTakeover: false };
  // An S side that dropped the pair on its own (what refusing S-side delete without the P side prevents).
  const orphan: AccessView = { attribute: 'SMPL', state: 'SMPL', fence: 'never', svolWritable: false, pvolTakeover: false };
  assert.equal(writableBoth(pvol, orphan), true);
  assert.equal(dualWriteSanction(pvol, orphan), 'none');
  assert.equal(safetyHolds(pvol, orphan), false);
  const svol: AccessView = { ...pvol, attribute: 'S-VOL' };
  assert.equal(writableBoth(pvol, svol), false);
  assert.equal(safetyHolds(pvol, svol), true);
  assert.equal(dualWriteSanction(pvol, { ...svol, state: 'SSWS' }), 'forced-takeover');
  assert.equal(dualWriteSanction({ ...pvol, state: 'PSUS' }, { ...svol, state: 'PSUS', svolWritable: true }), 'svol-writable-split');
});
