// The decision for every pair command (SPEC §3, §3.1; acceptance table in docs/pair-commands.md).
// The array holding the P-VOL evaluates it: commands given to the S side are forwarded there.
// Only when the S array cannot reach the P side does it evaluate a command itself, with
// peerReachable=false; then it can only refuse (peer-unreachable) or take over by force.
import type { Abnormal, Attribute, Fence, PairState } from './types.js';
import { abnormal } from './types.js';
import { fig4Response } from './fig4.js';

export { onCopyComplete, onLinkLost, onLinkRestored, reconcileOnReconnect } from './pairEvents.js';

export type PairCommand =
  | { kind: 'create'; nocopy: boolean }
  | { kind: 'split'; svolWritable: boolean }
  | { kind: 'resync'; discard?: 'local' | 'remote' } // discard: operator's split-brain choice
  | { kind: 'swap'; discard?: 'local' | 'remote' } // swap resync
  | { kind: 'delete' }
  | { kind: 'takeover'; force: boolean };

export interface PairSnapshot {
  /** State as decided by the P side ('SMPL' when not paired). */
  state: PairState;
  /** Split with --svol-writable. */
  svolWritable: boolean;
  fence: Fence;
  /** Generation check found both sides written independently. */
  splitBrain: boolean;
  /** Operator lifted the fence-data write failure on the P side (P-VOL takeover). */
  pvolTakeover: boolean;
}

export interface Change {
  end: 'NORMAL';
  noop: false;
  next: PairState;
  /** P-VOL and S-VOL exchange roles (swap resync, or a discard that keeps the S-VOL's data). */
  swapRoles: boolean;
  /** What the copy engine must copy, in the (possibly new) P -> S direction. */
  copy: 'full' | 'bitmap' | 'none';
  svolWritable: boolean;
  pvolTakeover: boolean;
  /** Accepted while the link is down: stays PSUE and resumes when the link returns. */
  deferred: boolean;
}

export type Decision = { end: 'NORMAL'; noop: true } | Change | Abnormal;

interface Ctx {
  peerReachable: boolean;
}

const NOOP: Decision = { end: 'NORMAL', noop: true };

function change(next: PairState, fields: Partial<Omit<Change, 'end' | 'noop' | 'next'>> = {}): Change {
  return {
    end: 'NORMAL',
    noop: false,
    next,
    swapRoles: false,
    copy: 'none',
    svolWritable: false,
    pvolTakeover: false,
    deferred: false,
    ...fields,
  };
}

export function decidePairCommand(pair: PairSnapshot, givenTo: Attribute, cmd: PairCommand, ctx: Ctx): Decision {
  if (pair.state === 'SMPL') return decideUnpaired(cmd, ctx);
  if (givenTo === 'SMPL') {
    return abnormal('bad-request', `a volume with attribute SMPL cannot be in state ${pair.state}`);
  }
  // Rules that hold whatever the state: where each command may be given.
  if (cmd.kind === 'create' && givenTo === 'S-VOL') {
    return abnormal('invalid-state', 'pair create is given to the array that will hold the P-VOL; this volume is an S-VOL');
  }
  if (cmd.kind === 'resync' && givenTo === 'S-VOL') {
    return abnormal('invalid-state', 'pair resync is given to the P-VOL; from the S-VOL side use swap resync');
  }
  if (cmd.kind === 'swap' && givenTo === 'P-VOL') {
    return abnormal('invalid-state', 'pair swap resync is given to the S-VOL');
  }
  if (givenTo === 'S-VOL' && !ctx.peerReachable) {
    if (cmd.kind === 'takeover') return decideSvolTakeoverAlone(pair, cmd.force);
    return abnormal('peer-unreachable', `the P side cannot be reached; ${cmd.kind} needs it`);
  }
  switch (cmd.kind) {
    case 'create':
      return pair.state === 'COPY' || pair.state === 'PAIR'
        ? NOOP
        : abnormal('invalid-state', `pair create is not accepted in ${pair.state}: the volume is already paired`);
    case 'split':
      return decideSplit(pair, cmd.svolWritable);
    case 'resync':
      return decideResync(pair, cmd.discard, ctx);
    case 'swap':
      return decideSwap(pair, cmd.discard);
    case 'delete':
      return change('SMPL');
    case 'takeover':
      return givenTo === 'P-VOL' ? decidePvolTakeover(pair) : decidePlannedSwap(pair);
  }
}

function decideUnpaired(cmd: PairCommand, ctx: Ctx): Decision {
  switch (cmd.kind) {
    case 'create':
      if (!ctx.peerReachable) return abnormal('peer-unreachable', 'pair create needs the peer array, which cannot be reached');
      return cmd.nocopy ? change('PAIR') : change('COPY', { copy: 'full' });
    case 'delete':
      return NOOP;
    default:
      return abnormal('not-paired', `the volume is not paired (SMPL): nothing to ${cmd.kind}`);
  }
}

function decideSplit(pair: PairSnapshot, svolWritable: boolean): Decision {
  switch (pair.state) {
    case 'COPY':
    case 'PAIR':
      return change('PSUS', { svolWritable });
    case 'PSUS':
      return pair.svolWritable === svolWritable ? NOOP : change('PSUS', { svolWritable });
    case 'PSUE':
      // Unlike Hitachi (no-op), PSUE -> PSUS: a PSUE pair resyncs by itself when the link
      // returns, so splitting it is how an operator (or RESET/RELEASE) says "stay split".
      return change('PSUS', { svolWritable });
    default:
      return abnormal('invalid-state', 'the S-VOL was taken over (SSWS): only swap resync from the S-VOL side or delete resolve it');
  }
}

function decideResync(pair: PairSnapshot, discard: 'local' | 'remote' | undefined, ctx: Ctx): Decision {
  if (pair.state === 'SSWS') {
    return abnormal('invalid-state', 'the S-VOL was taken over (SSWS): normal resync is rejected; run swap resync from the S-VOL side');
  }
  if (fig4Response('resync', 'P-VOL', pair.state) === 'ABNORMAL') {
    return abnormal('invalid-state', `pair resync is not accepted in ${pair.state}`);
  }
  if (pair.splitBrain && discard === undefined) return splitBrain();
  if (discard === 'local') {
    // Keep the S-VOL's data: it becomes the P-VOL and overwrites this side in full.
    if (!ctx.peerReachable) return abnormal('peer-unreachable', 'discarding the P-VOL data needs the S side, which cannot be reached');
    return change('COPY', { swapRoles: true, copy: 'full' });
  }
  const copy = discard === 'remote' ? 'full' : 'bitmap';
  if (!ctx.peerReachable) return change('PSUE', { copy, deferred: true, pvolTakeover: pair.state === 'PSUE' && pair.pvolTakeover });
  return change('COPY', { copy });
}

function decideSwap(pair: PairSnapshot, discard: 'local' | 'remote' | undefined): Decision {
  const accepted = pair.state === 'SSWS' || fig4Response('swap', 'S-VOL', pair.state) === 'NORMAL';
  if (!accepted) return abnormal('invalid-state', `pair swap resync is not accepted in ${pair.state}`);
  if (pair.splitBrain && discard === undefined) return splitBrain();
  // Given to the S-VOL: 'local' is the S-VOL's data, 'remote' the P-VOL's.
  if (discard === 'local') return change('COPY', { copy: 'full' });
  return change('COPY', { swapRoles: true, copy: discard === 'remote' ? 'full' : 'bitmap' });
}

/** Takeover from the S side with the P side reachable: a planned swap, also from PAIR. */
function decidePlannedSwap(pair: PairSnapshot): Decision {
  if (pair.state === 'PAIR') return pair.splitBrain ? splitBrain() : change('COPY', { swapRoles: true, copy: 'bitmap' });
  return decideSwap(pair, undefined);
}

/** Takeover on the P side: lift a fence that failed the P-VOL's writes, otherwise nothing to do. */
function decidePvolTakeover(pair: PairSnapshot): Decision {
  if (pair.state === 'SSWS') {
    return abnormal('invalid-state', 'the S-VOL was taken over (SSWS): run swap resync from the S-VOL side first');
  }
  const fenced = pair.state === 'PSUE' && (pair.fence === 'data' || pair.fence === 'status');
  if (!fenced || pair.pvolTakeover) return NOOP;
  return change('PSUE', { pvolTakeover: true });
}

/** Takeover evaluated by the S array itself because the P side cannot be reached. */
function decideSvolTakeoverAlone(pair: PairSnapshot, force: boolean): Decision {
  if (pair.state === 'SSWS') return NOOP;
  if (pair.state !== 'PSUS' && pair.state !== 'PSUE') {
    return abnormal(
      'invalid-state',
      pair.state === 'COPY'
        ? 'the S-VOL is inconsistent while the copy runs (COPY): it cannot take over'
        : `the pair is still ${pair.state} on this side: wait until the link loss is detected (PSUE)`,
    );
  }
  if (!force) {
    return abnormal('force-required', 'the P side cannot be reached: taking over the S-VOL needs --force and may lose data written to the P-VOL');
  }
  return change('SSWS');
}

function splitBrain(): Abnormal {
  return abnormal('split-brain', 'both sides were written independently: choose the side whose data is discarded (--discard local|remote)');
}
