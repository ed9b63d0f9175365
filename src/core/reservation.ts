// SPEC §6.1 (FIG.5) and §6.2 (FIG.6): paired volume control on the local determining volume.
// The pair command it issues is then executed by the arrays, atomically with the local
// reservation, and answered by FIG.4 (decidePairCommand).
import type { Abnormal, Attribute, PairState } from './types.js';
import { abnormal } from './types.js';

export interface ReservationView {
  attribute: Attribute;
  state: PairState;
  /** Host holding the local reservation, if any. */
  holder: string | null;
}

export type ReserveDecision = { action: 'renewed' } | { action: 'issue'; command: 'resync' | 'swap' } | Abnormal;

export function decideReserve(v: ReservationView, host: string): ReserveDecision {
  // Step 1: renewal by the holder of a held pair: nothing is issued.
  if (v.attribute === 'P-VOL' && (v.state === 'COPY' || v.state === 'PAIR') && v.holder === host) return { action: 'renewed' };
  // Step 2: another host of this site holds it.
  if (v.holder !== null && v.holder !== host) return abnormal('held-by-other', `the determining pair is reserved by ${v.holder}`);
  // Step 3: race for the pair; the array answers by FIG.4.
  if (v.attribute === 'P-VOL') return { action: 'issue', command: 'resync' };
  if (v.attribute === 'S-VOL') return { action: 'issue', command: 'swap' };
  return abnormal('not-paired', 'the determining volume is not paired (SMPL)');
}

/** RELEASE: only the holder may; it splits the pair back to PSUS (free) and drops the reservation. */
export function decideRelease(v: ReservationView, host: string): { action: 'split' } | Abnormal {
  if (v.holder !== host) {
    return abnormal('not-holder', v.holder === null ? 'the determining pair is not reserved' : `the determining pair is reserved by ${v.holder}, not ${host}`);
  }
  return { action: 'split' };
}
