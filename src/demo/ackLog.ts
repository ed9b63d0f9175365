// The demo application's acknowledgement log: one line "HOST SEQ" per record whose FUA write
// the array acknowledged, appended and fsync'd before the next record is written. It is what
// the checker holds the surviving volume to: every line must be on it.
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface AckEntry {
  host: string;
  seq: number;
}

export class AckLogWriter {
  private readonly fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'a');
  }

  /** Durable before it returns: a crash after this call cannot lose the line. */
  append(entry: AckEntry): void {
    writeSync(this.fd, `${entry.host} ${entry.seq}\n`);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Every complete line of an ack log (a missing file is an empty log; a torn last line is skipped). */
export function readAckLog(path: string): AckEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const entries: AckEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) (\d+)$/.exec(line);
    if (m) entries.push({ host: m[1], seq: Number(m[2]) });
  }
  return entries;
}
