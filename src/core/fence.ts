// SPEC §3.3: what happens to a P-VOL write whose copy to the S-VOL failed, by fence level.
import type { Fence } from './types.js';

export interface CopyFailureOutcome {
  /** Acknowledge the write to the host. */
  ack: boolean;
  errno: 'EIO' | null;
  /** Record the region in the bitmap so the next resync copies it. */
  markBitmap: boolean;
  next: 'PSUE';
}

/**
 * remoteMarkedSuspended: the array managed to mark the S side PSUE before answering (the
 * only thing fence `status` looks at). In PSUE with fence status, the array keeps trying
 * to mark the S side before each write until it succeeds, and asks again with the result.
 * The region is always marked: the local write may have landed even when the host gets
 * EIO, and a region marked for nothing costs one region copy, a missed one costs data.
 */
export function onCopyFailure(fence: Fence, remoteMarkedSuspended: boolean): CopyFailureOutcome {
  const ack = fence === 'never' || (fence === 'status' && remoteMarkedSuspended);
  return { ack, errno: ack ? null : 'EIO', markBitmap: true, next: 'PSUE' };
}
