// The safety invariant of SPEC §6.5: at no moment do two hosts have write access to the two
// volumes of the same pair, except after an explicit operator choice.
import type { AccessView } from './access.js';
import { hostAccess } from './access.js';

/** Both volumes accept host writes right now. */
export function writableBoth(a: AccessView, b: AccessView): boolean {
  return hostAccess(a).write === 'allowed' && hostAccess(b).write === 'allowed';
}

/**
 * Why two volumes may both be writable without breaking the invariant:
 * - 'not-a-pair': both are SMPL (the pair was deleted);
 * - 'forced-takeover': a side is SSWS, reachable only through `pair takeover --force`;
 * - 'svol-writable-split': the operator split the pair with --svol-writable (PSUS/SSUS).
 * 'none' when nothing explains it.
 */
export type DualWriteSanction = 'none' | 'not-a-pair' | 'forced-takeover' | 'svol-writable-split';

export function dualWriteSanction(a: AccessView, b: AccessView): DualWriteSanction {
  const views = [a, b];
  if (views.every((v) => v.attribute === 'SMPL' || v.state === 'SMPL')) return 'not-a-pair';
  if (views.some((v) => v.state === 'SSWS')) return 'forced-takeover';
  if (views.some((v) => v.attribute === 'S-VOL' && v.state === 'PSUS' && v.svolWritable)) return 'svol-writable-split';
  return 'none';
}

/** The invariant itself: dual write only when an operator's explicit choice explains it. */
export function safetyHolds(a: AccessView, b: AccessView): boolean {
  return !writableBoth(a, b) || dualWriteSanction(a, b) !== 'none';
}
