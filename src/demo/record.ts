// The demo application's on-volume record: one 4 KiB block per sequence number, written to slot
// (seq - 1) mod slots. Layout (big endian):
//   0  u32 magic "PVRC"        4  u32 CRC32 of bytes 8..4095
//   8  u64 sequence number     16 u64 write time (ms since epoch)
//   24 u8  writer host length  25 host name (UTF-8, at most 64 bytes)
//   89 filler derived from the sequence number, so that every byte is covered by the CRC
import { crc32 } from 'node:zlib';

export const RECORD_SIZE = 4096;
export const RECORD_MAGIC = 0x50565243; // "PVRC"
const MAX_HOST_BYTES = 64;
const FILLER_AT = 25 + MAX_HOST_BYTES;
const ZERO_BLOCK = Buffer.alloc(RECORD_SIZE);

export interface AppRecord {
  seq: number;
  host: string;
  timeMs: number;
}

export type DecodedRecord = { kind: 'valid'; record: AppRecord } | { kind: 'empty' } | { kind: 'corrupt'; why: string };

export function slotCount(volumeSize: number): number {
  return Math.floor(volumeSize / RECORD_SIZE);
}

/** Byte offset of the slot that holds sequence number `seq` (seq >= 1). */
export function recordOffset(seq: number, slots: number): number {
  return ((seq - 1) % slots) * RECORD_SIZE;
}

export function encodeRecord(r: AppRecord): Buffer {
  const host = Buffer.from(r.host, 'utf8');
  if (host.length === 0 || host.length > MAX_HOST_BYTES) throw new Error(`host name must be 1-${MAX_HOST_BYTES} bytes`);
  if (!Number.isSafeInteger(r.seq) || r.seq < 1) throw new Error(`sequence number must be a positive integer, got ${r.seq}`);
  const b = Buffer.alloc(RECORD_SIZE);
  b.writeUInt32BE(RECORD_MAGIC, 0);
  b.writeBigUInt64BE(BigInt(r.seq), 8);
  b.writeBigUInt64BE(BigInt(r.timeMs), 16);
  b.writeUInt8(host.length, 24);
  host.copy(b, 25);
  for (let i = FILLER_AT; i < RECORD_SIZE; i++) b[i] = (r.seq + i) & 0xff;
  b.writeUInt32BE(crc32(b.subarray(8)), 4);
  return b;
}

/** An all-zero block is an empty slot; anything else must carry the magic and a matching CRC. */
export function decodeRecord(b: Buffer): DecodedRecord {
  if (b.length !== RECORD_SIZE) return { kind: 'corrupt', why: `record is ${b.length} bytes, not ${RECORD_SIZE}` };
  if (b.readUInt32BE(0) !== RECORD_MAGIC) return b.equals(ZERO_BLOCK) ? { kind: 'empty' } : { kind: 'corrupt', why: 'bad magic' };
  if (crc32(b.subarray(8)) !== b.readUInt32BE(4)) return { kind: 'corrupt', why: 'CRC mismatch' };
  const hostLength = b.readUInt8(24);
  if (hostLength === 0 || hostLength > MAX_HOST_BYTES) return { kind: 'corrupt', why: 'bad host length' };
  return {
    kind: 'valid',
    record: { seq: Number(b.readBigUInt64BE(8)), timeMs: Number(b.readBigUInt64BE(16)), host: b.toString('utf8', 25, 25 + hostLength) },
  };
}
