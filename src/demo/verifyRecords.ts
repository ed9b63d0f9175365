// Reading the demo application's records back from a volume: the highest valid record (where
// a restarted application continues) and the check that every acknowledged record survived.
import { readAckLog, type AckEntry } from './ackLog.js';
import { RECORD_SIZE, decodeRecord, recordOffset, slotCount, type DecodedRecord } from './record.js';

/** What the checker needs from a volume: an NbdClient is one. */
export interface VolumeReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
}

const SCAN_CHUNK = 2 * 1024 * 1024;
const SCAN_READS_IN_FLIGHT = 4;

/** Decodes every slot of the volume, in slot order (a few reads in flight at a time). */
export async function readAllSlots(volume: VolumeReader): Promise<DecodedRecord[]> {
  const end = slotCount(volume.size) * RECORD_SIZE;
  const offsets: number[] = [];
  for (let at = 0; at < end; at += SCAN_CHUNK) offsets.push(at);
  const chunks: Buffer[] = new Array<Buffer>(offsets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < offsets.length) {
      const i = next++;
      chunks[i] = await volume.read(offsets[i], Math.min(SCAN_CHUNK, end - offsets[i]));
    }
  };
  await Promise.all(Array.from({ length: SCAN_READS_IN_FLIGHT }, worker));
  const out: DecodedRecord[] = [];
  for (const chunk of chunks) for (let i = 0; i < chunk.length; i += RECORD_SIZE) out.push(decodeRecord(chunk.subarray(i, i + RECORD_SIZE)));
  return out;
}

/** The highest sequence number of a valid record on the volume, 0 when there is none. */
export async function highestRecord(volume: VolumeReader): Promise<number> {
  let highest = 0;
  for (const d of await readAllSlots(volume)) if (d.kind === 'valid' && d.record.seq > highest) highest = d.record.seq;
  return highest;
}

export interface Lost extends AckEntry {
  /** What the slot holds instead. */
  found: string;
}

export interface VerifyReport {
  /** Acknowledged records checked (every line of every ack log). */
  acknowledged: number;
  /** Acknowledged records not on the volume (slot empty, older, or written by another host). */
  missing: Lost[];
  /** Acknowledged records whose slot fails the magic or CRC check. */
  corrupt: Lost[];
  highestSeq: number;
}

function describe(d: DecodedRecord): string {
  if (d.kind === 'valid') return `seq ${d.record.seq} by ${d.record.host}`;
  return d.kind === 'empty' ? 'an empty slot' : `a corrupt block (${d.why})`;
}

/**
 * Every acknowledged record of the given ack logs must be on the volume, written by the host
 * that acknowledged it — or overwritten by a later lap of the same slot (seq + k * slots).
 */
export async function verifyRecords(volume: VolumeReader, ackLogs: readonly string[]): Promise<VerifyReport> {
  // Logs first: whatever they hold was acknowledged before the volume is read.
  const acks = ackLogs.flatMap((path) => readAckLog(path));
  const slots = await readAllSlots(volume);
  const n = slots.length;
  const report: VerifyReport = { acknowledged: 0, missing: [], corrupt: [], highestSeq: 0 };
  for (const d of slots) if (d.kind === 'valid') report.highestSeq = Math.max(report.highestSeq, d.record.seq);
  for (const ack of acks) {
    report.acknowledged++;
    const d = slots[recordOffset(ack.seq, n) / RECORD_SIZE];
    if (d.kind === 'corrupt') report.corrupt.push({ ...ack, found: describe(d) });
    else if (d.kind === 'empty') report.missing.push({ ...ack, found: describe(d) });
    else if (d.record.seq === ack.seq ? d.record.host !== ack.host : d.record.seq < ack.seq) report.missing.push({ ...ack, found: describe(d) });
  }
  return report;
}
