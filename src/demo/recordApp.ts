// The demo application: writes numbered 4 KiB records through NBD to its host's data volume,
// each with FUA, and logs the sequence number of every acknowledged record to an fsync'd ack
// log — only after the array acknowledged the FUA write. On start it scans the volume for the
// highest valid record and continues after it, so it picks up where the other site left off.
import { setTimeout as sleep } from 'node:timers/promises';
import { NbdClient } from '../protocol/nbdClient.js';
import { AckLogWriter } from './ackLog.js';
import { encodeRecord, recordOffset, slotCount } from './record.js';
import { findHighestRecord } from './resumePoint.js';

export interface RecordAppOptions {
  nbdUri: string;
  ackLog: string;
  host: string;
  /** Pause between records (default 20 ms). */
  intervalMs?: number;
  /** Stop after this many records (default: until aborted). */
  count?: number;
  /** Stops the loop after the record in flight has been acknowledged and logged. */
  signal?: AbortSignal;
  /** Called once the scan is done, with the first sequence number this run will write. */
  onStart?: (firstSeq: number) => void;
}

export interface RecordAppResult {
  firstSeq: number;
  /** Records acknowledged (and logged) by this run. */
  written: number;
}

/** Runs until aborted or `count` records are written; rejects on the first failed write. */
export async function runRecordApp(opts: RecordAppOptions): Promise<RecordAppResult> {
  const client = await NbdClient.connect(opts.nbdUri);
  let log: AckLogWriter | null = null;
  try {
    if (client.readOnly) throw new Error(`${opts.nbdUri} is exported read-only: this host's volume is not the P-VOL`);
    const slots = slotCount(client.size);
    if (slots === 0) throw new Error(`${opts.nbdUri} is smaller than one record`);
    const firstSeq = (await findHighestRecord(client)) + 1;
    log = new AckLogWriter(opts.ackLog);
    opts.onStart?.(firstSeq);
    let written = 0;
    for (let seq = firstSeq; !opts.signal?.aborted && written !== opts.count; seq++) {
      await client.write(recordOffset(seq, slots), encodeRecord({ seq, host: opts.host, timeMs: Date.now() }), { fua: true });
      log.append({ host: opts.host, seq });
      written++;
      if (opts.intervalMs !== 0) await sleep(opts.intervalMs ?? 20);
    }
    return { firstSeq, written };
  } finally {
    log?.close();
    client.close();
  }
}
