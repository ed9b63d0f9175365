// Pair-level requests between the two arrays, carried as JSON requests on the peer link.
// The array holding the P-VOL decides; the S side forwards commands and mirrors state.
import type { Generation } from '../../core/generation.js';
import type { Attribute, Fence, PairState } from '../../core/types.js';
import type { PairResult, PairOp } from './pairService.js';

export const PeerKind = {
  create: 'pair.create', // P -> S: make the S-VOL record
  update: 'pair.update', // P -> S: the pair's new state (mirror)
  command: 'pair.command', // S -> P: a command given to the S side, for the P side to decide
  group: 'pair.group', // S -> P: a group command given to the S side
  remove: 'pair.delete', // P -> S: the pair is deleted
  flush: 'pair.flush', // P -> S: make every replicated write durable
  suspend: 'pair.suspend', // P -> S: mark PSUE (fence status)
  promote: 'pair.promote', // old P -> old S: swap, you are the P-VOL now
  sync: 'pair.sync', // P -> S at link up: compare views, get the S bitmap
  bits: 'pair.bits', // P -> S: send me your changed regions (resync)
  reset: 'pair.reset', // S -> P: reset the determining pair (split to PSUS, drop reservations)
  dropHolder: 'pair.dropHolder', // P -> S: drop your local reservation
} as const;

export interface CreateMsg {
  name: string;
  group: string | null;
  fence: Fence;
  pace: number;
  pvolArray: string;
  pvol: string;
  svol: string;
  state: PairState;
  generation: Generation;
  regionSize: number;
  size: number;
}

export interface UpdateMsg {
  name: string;
  state: PairState;
  fence: Fence;
  group: string | null;
  svolWritable: boolean;
  splitBrain: boolean;
  generation: Generation;
  /** The S side may forget its own changed regions (the P side took the union). */
  clearBits: boolean;
}

export interface CommandMsg {
  name: string;
  op: PairOp | { kind: 'delete' };
}
export type CommandReply = PairResult;

export interface GroupMsg {
  group: string;
  op: PairOp;
}

export interface PromoteMsg {
  name: string;
  /** The old P side's changed regions, base64. */
  bits: string;
  generation: Generation;
}

export interface SyncMsg {
  name: string;
  state: PairState;
  generation: Generation;
}
export interface SyncReply {
  known: boolean;
  attribute?: Attribute;
  state?: PairState;
  generation?: Generation;
  diverged?: boolean;
  bits?: string;
}

export interface NameMsg {
  name: string;
}

/** Errors cross the link as messages "reason: text" so the other side can return them as ABNORMAL END. */
export function encodeReason(reason: string, message: string): Error {
  return new Error(`${reason}: ${message}`);
}
