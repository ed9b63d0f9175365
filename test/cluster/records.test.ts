// The demo application's records and the checker, on an in-memory volume: encoding and CRC,
// where a restarted application resumes (also after the slots wrap), and what counts as lost.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD_SIZE, decodeRecord, encodeRecord, recordOffset } from '../../src/demo/record.js';
import { findHighestRecord } from '../../src/demo/resumePoint.js';
import { verifyRecords, type VolumeReader } from '../../src/demo/verifyRecords.js';

class MemoryVolume implements VolumeReader {
  readonly data: Buffer;
  reads = 0;
  constructor(readonly size: number) {
    this.data = Buffer.alloc(size);
  }
  read(offset: number, length: number): Promise<Buffer> {
    this.reads++;
    return Promise.resolve(Buffer.from(this.data.subarray(offset, offset + length)));
  }
  put(seq: number, host = 'host-a'): void {
    encodeRecord({ seq, host, timeMs: 1 }).copy(this.data, recordOffset(seq, this.size / RECORD_SIZE));
  }
}

function ackLog(lines: string[]): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'pairvol-acks-'));
  const path = join(dir, 'acks.log');
  writeFileSync(path, lines.map((l) => `${l}\n`).join(''));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

describe('demo records', () => {
  it('round-trips, and any changed byte fails the CRC', () => {
    const b = encodeRecord({ seq: 42, host: 'host-b', timeMs: 1234 });
    assert.equal(b.length, RECORD_SIZE);
    assert.deepEqual(decodeRecord(b), { kind: 'valid', record: { seq: 42, host: 'host-b', timeMs: 1234 } });
    for (const at of [8, 30, 4095]) {
      const bad = Buffer.from(b);
      bad[at] ^= 1;
      assert.equal(decodeRecord(bad).kind, 'corrupt', `byte ${at}`);
    }
    assert.equal(decodeRecord(Buffer.alloc(RECORD_SIZE)).kind, 'empty');
  });

  it('resumes after the highest record with a handful of reads, also after the slots wrapped', async () => {
    const v = new MemoryVolume(64 * RECORD_SIZE);
    assert.equal(await findHighestRecord(v), 0);
    for (let s = 1; s <= 37; s++) v.put(s);
    v.reads = 0;
    assert.equal(await findHighestRecord(v), 37);
    assert.ok(v.reads < 10, `${v.reads} reads`);
    for (let s = 38; s <= 64 + 20; s++) v.put(s, s > 50 ? 'host-b' : 'host-a');
    assert.equal(await findHighestRecord(v), 84);
  });

  it('falls back to a full scan when the layout is broken', async () => {
    const v = new MemoryVolume(64 * RECORD_SIZE);
    for (let s = 1; s <= 10; s++) v.put(s);
    v.data[recordOffset(5, 64) + 100] ^= 1; // slot 5 corrupt: the run ends early
    assert.equal(await findHighestRecord(v), 10);
  });

  it('verifyRecords reports acknowledged records that are missing, overwritten by another host, or corrupt', async () => {
    const v = new MemoryVolume(16 * RECORD_SIZE);
    for (let s = 1; s <= 6; s++) v.put(s);
    v.put(7, 'host-b'); // host-a acknowledged 7, but host-b's 7 is there: a lost acknowledgement
    v.data[recordOffset(3, 16) + 200] ^= 1;
    const log = ackLog(['host-a 1', 'host-a 2', 'host-a 3', 'host-a 7', 'host-a 9', 'torn']);
    try {
      const r = await verifyRecords(v, [log.path]);
      assert.equal(r.acknowledged, 5);
      assert.deepEqual(r.corrupt.map((l) => l.seq), [3]);
      assert.deepEqual(r.missing.map((l) => l.seq), [7, 9]);
      assert.equal(r.highestSeq, 7);
    } finally {
      log.remove();
    }
  });

  it('a slot overwritten by a later lap of the same writer is not a loss', async () => {
    const v = new MemoryVolume(4 * RECORD_SIZE);
    for (let s = 1; s <= 6; s++) v.put(s);
    const log = ackLog(['host-a 1', 'host-a 2', 'host-a 5', 'host-a 6']);
    try {
      const r = await verifyRecords(v, [log.path]);
      assert.deepEqual([...r.missing, ...r.corrupt], []);
    } finally {
      log.remove();
    }
  });
});
