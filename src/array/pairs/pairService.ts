// What the control API and the CLI need from the pair layer of one array (SPEC §3, §5, §6).
// Implemented by PairManager (src/array/pairs/pairManager.ts).
import type { EventEmitter } from 'node:events';
import type { CommandResult, PairState } from '../../core/types.js';
import type { ArrayEvent, PairCreateRequest, PairInfo, PairListResponse } from '../../protocol/control.js';

export type PairOp =
  | { kind: 'split'; svolWritable: boolean }
  | { kind: 'resync'; discard?: 'local' | 'remote' }
  | { kind: 'swap'; discard?: 'local' | 'remote' }
  | { kind: 'takeover'; force: boolean };

export type PairResult = CommandResult<{ pair: PairInfo }>;
export type ReservationResult = CommandResult<{ pair: PairInfo; action: 'renewed' | 'reserved' | 'released' | 'reset' }>;

export interface PairService {
  list(): PairInfo[];
  get(name: string): PairInfo | undefined;
  create(req: PairCreateRequest): Promise<PairResult>;
  command(name: string, op: PairOp): Promise<PairResult>;
  delete(name: string): Promise<PairResult>;
  /** Split or resync every pair of a consistency group as one step. */
  groupCommand(group: string, op: PairOp): Promise<PairListResponse>;
  reserve(name: string, host: string): Promise<ReservationResult>;
  release(name: string, host: string): Promise<ReservationResult>;
  reset(name: string): Promise<ReservationResult>;
  /** Emits 'event' with an ArrayEvent on every pair state / reservation / peer change. */
  readonly events: EventEmitter;
  /** Resolves when the pair reaches `state` on this array (NORMAL) or after timeoutMs (ABNORMAL invalid-state). */
  waitForState(name: string, state: PairState, timeoutMs: number): Promise<PairResult>;
}

export type { ArrayEvent };
