// Pair state changes driven by the copy engine and the peer link, not by commands (SPEC §3).
import type { PairState } from './types.js';

/** The initial copy or a resync finished: COPY -> PAIR. */
export function onCopyComplete(state: PairState): PairState {
  return state === 'COPY' ? 'PAIR' : state;
}

/** The peer cannot be reached: a pair that was copying or synchronised is suspended by failure. */
export function onLinkLost(state: PairState): PairState {
  return state === 'COPY' || state === 'PAIR' ? 'PSUE' : state;
}

/**
 * The link is back. A PSUE pair resumes copying its bitmap when a resync is pending: the
 * caller passes resyncPending=true when the pair was suspended by the link failure or a
 * resync was accepted while the link was down, and false after a split brain (which needs
 * an operator's choice) or when the operator split the pair.
 */
export function onLinkRestored(state: PairState, resyncPending: boolean): { next: PairState; copy: 'bitmap' | 'none' } {
  if (state === 'PSUE' && resyncPending) return { next: 'COPY', copy: 'bitmap' };
  return { next: state, copy: 'none' };
}

/**
 * On reconnect each side knows only what happened on its own side while they were apart.
 * The state the pair adopts (then fed to onLinkRestored):
 * - deleted on either side -> SMPL (the other side drops the pair too);
 * - the S side took over by force -> SSWS (the old P-VOL stops accepting writes; only a swap
 *   resync from the S-VOL side resolves it);
 * - otherwise the P side decides.
 */
export function reconcileOnReconnect(pSide: PairState, sSide: PairState): PairState {
  if (pSide === 'SMPL' || sSide === 'SMPL') return 'SMPL';
  if (sSide === 'SSWS') return 'SSWS';
  return pSide;
}
