// The shared vocabulary of pairvol (SPEC §1, §3). Pure types: no I/O anywhere in src/core.

/** Pair states of SPEC §3 (seed FIG.3). SSUS is how PSUS is shown on the S side. */
export const PAIR_STATES = ['SMPL', 'COPY', 'PAIR', 'PSUS', 'PSUE', 'SSWS'] as const;
export type PairState = (typeof PAIR_STATES)[number];

/** Attribute of a volume: primary, secondary or not paired. */
export const ATTRIBUTES = ['P-VOL', 'S-VOL', 'SMPL'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** Fence level of a data pair (SPEC §3.3). */
export const FENCES = ['data', 'status', 'never'] as const;
export type Fence = (typeof FENCES)[number];

/** Machine-readable reasons carried by every ABNORMAL END. */
export const REASONS = [
  'invalid-state', // the command is not accepted in this attribute/state (FIG.4 and docs/pair-commands.md)
  'peer-unreachable', // the P side (or the peer array) cannot be reached
  'array-unreachable', // a client (CLI, host agent) cannot reach the array it talks to
  'not-paired', // the volume is SMPL
  'not-found', // no such volume / pair / group
  'exists', // name already used
  'held-by-other', // reservation held by another host (§6.1 step 2)
  'not-holder', // release by a host that does not hold the reservation (§6.2)
  'split-brain', // both sides written independently; operator must choose (§3.4)
  'force-required', // forced S-VOL takeover needs --force (§6.4)
  'bad-request', // malformed input
  'unauthorized', // wrong or missing token
  'io-error', // the array failed to read/write its disk
  'busy', // another command on the same pair is in progress
] as const;
export type Reason = (typeof REASONS)[number];

/** The two answers an array gives to a pair command (seed FIG.4: NORMAL END / ABNORMAL END). */
export type End = 'NORMAL' | 'ABNORMAL';

/** An ABNORMAL END changes nothing and says why. */
export interface Abnormal {
  result: 'ABNORMAL';
  reason: Reason;
  message: string;
}
export type Normal<T extends object = object> = { result: 'NORMAL' } & T;
export type CommandResult<T extends object = object> = Normal<T> | Abnormal;

export function abnormal(reason: Reason, message: string): Abnormal {
  return { result: 'ABNORMAL', reason, message };
}

/** How the state is shown to an operator on a given side (PSUS reads SSUS on the S-VOL side). */
export function displayState(attribute: Attribute, state: PairState): string {
  return attribute === 'S-VOL' && state === 'PSUS' ? 'SSUS' : state;
}

/** Tells an ABNORMAL END from any NORMAL answer (results and decisions alike). */
export function isAbnormal<T extends object>(x: T | Abnormal): x is Abnormal {
  return (x as Partial<Abnormal>).result === 'ABNORMAL';
}
