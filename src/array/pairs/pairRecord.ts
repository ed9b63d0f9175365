// One array's durable record of one pair. The array holding the P-VOL owns the pair's state;
// the S side keeps a mirror that the P side updates over the peer link.
import type { Attribute, Fence, PairState } from '../../core/types.js';
import type { Generation } from '../../core/generation.js';
import type { CreateMsg } from './peerMessages.js';

export interface PairRecord {
  name: string;
  group: string | null;
  /** Attribute of this array's volume: P-VOL or S-VOL (a record is deleted when the pair is). */
  attribute: Exclude<Attribute, 'SMPL'>;
  state: PairState;
  fence: Fence;
  localVolume: string;
  remoteVolume: string;
  remoteArray: string;
  svolWritable: boolean;
  /** The operator lifted the fence-`data` write failure on the P side (P-VOL takeover). */
  pvolTakeover: boolean;
  /** Generations say that both sides were written independently: no automatic resync. */
  splitBrain: boolean;
  /** A resync was accepted (or the link failed in PAIR): copy as soon as the link is up. */
  resyncPending: boolean;
  /**
   * This side took host writes while its peer was not receiving them, since the last copy
   * completed (its generation forked then, if it is the P-VOL or in SSWS).
   */
  diverged: boolean;
  /** Fence status: the S side is known to have been marked PSUE since the pair last suspended. */
  remoteMarked: boolean;
  /** This side handed the P-VOL role to the peer and has not yet heard that the peer took it. */
  swapping: boolean;
  /** Copy rate limit in bytes per second; 0 = unlimited. */
  pace: number;
  generation: Generation;
  /** Host holding this array's reservation of the volume (determining pairs, SPEC §6). */
  holder: string | null;
  /** Regions to copy when the current copy started (for copy %). */
  copyTotal: number;
}

/** A new pair's record on either array, from the creation both arrays agreed on. */
export function recordFromCreate(m: CreateMsg, attribute: 'P-VOL' | 'S-VOL', remoteArray: string): PairRecord {
  const primary = attribute === 'P-VOL';
  return {
    name: m.name,
    group: m.group,
    attribute,
    state: m.state,
    fence: m.fence,
    localVolume: primary ? m.pvol : m.svol,
    remoteVolume: primary ? m.svol : m.pvol,
    remoteArray,
    svolWritable: false,
    pvolTakeover: false,
    splitBrain: false,
    resyncPending: false,
    remoteMarked: false,
    diverged: false,
    swapping: false,
    pace: m.pace,
    generation: m.generation,
    holder: null,
    copyTotal: 0,
  };
}
