// Where a (re)started demo application continues: after the highest valid record on its volume.
// The application writes slot after slot, so the volume holds one run of consecutive sequence
// numbers from slot 0 (then, after a wrap, the rest of the previous lap). A binary search for the
// end of that run reads ~15 blocks instead of the whole volume — it is on the failover path.
// When the layout does not look like that (a corrupt or foreign block), it scans every slot.
import { decodeRecord, RECORD_SIZE, slotCount, type DecodedRecord } from './record.js';
import { highestRecord, type VolumeReader } from './verifyRecords.js';

async function slot(volume: VolumeReader, i: number): Promise<DecodedRecord> {
  return decodeRecord(await volume.read(i * RECORD_SIZE, RECORD_SIZE));
}

/** The highest sequence number of a valid record on the volume, 0 when there is none. */
export async function findHighestRecord(volume: VolumeReader): Promise<number> {
  const n = slotCount(volume.size);
  if (n === 0) return 0;
  const first = await slot(volume, 0);
  if (first.kind === 'empty') return 0;
  if (first.kind === 'corrupt') return highestRecord(volume);
  const base = first.record.seq;
  const inRun = (d: DecodedRecord, i: number): boolean => d.kind === 'valid' && d.record.seq === base + i;
  let lo = 0; // slot lo holds base + lo
  let hi = n; // slot hi and later are not part of the run (or past the end)
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (inRun(await slot(volume, mid), mid)) lo = mid;
    else hi = mid;
  }
  if (lo + 1 < n) {
    // The slot after the run must be empty or the previous lap's record for that slot.
    const after = await slot(volume, lo + 1);
    const previousLap = after.kind === 'valid' && after.record.seq === base + lo + 1 - n;
    if (after.kind !== 'empty' && !previousLap) return highestRecord(volume);
  }
  return base + lo;
}
