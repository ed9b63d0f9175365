// Where the pair layer keeps what must survive a crash: pair records (production: SQLite,
// src/array/pairs/pairStore.ts) and one region bitmap per pair (production: a file,
// src/array/pairs/bitmapFile.ts), and the volumes it reads and writes.
import type { PairRecord } from '../array/pairs/pairRecord.js';

export interface PairRecordStore {
  load(): PairRecord[];
  /** Durable when it returns (synchronous=FULL); throws when it cannot be written. */
  save(rec: PairRecord): void;
  remove(name: string): void;
}

/** One pair's bitmap as stored: `bytes` is the stored content, read at open. */
export interface RegionFile {
  readonly bytes: Uint8Array;
  /** Write these bytes of `source` (survives a process crash; durable after sync()). */
  persistBytes(source: Uint8Array, byteIndexes: Iterable<number>): void;
  persistAll(source: Uint8Array): void;
  sync(): Promise<void>;
  close(): void;
}

export interface RegionStore {
  open(pair: string, byteLength: number): RegionFile;
  remove(pair: string): void;
}

/** A volume as the pair layer reads and writes it (production: FileBlockDevice). */
export interface VolumeIO {
  readonly size: number;
  /** Synchronous: a copy's read and its send happen in one turn (see copyEngine.ts). */
  read(offset: number, into: Buffer): void;
  write(offset: number, data: Buffer, fua: boolean): void | Promise<void>;
  writeZeroes(offset: number, length: number, fua: boolean, mayPunch: boolean): void | Promise<void>;
  flush(): void | Promise<void>;
}

/** The array's volumes, by name. */
export interface VolumeDirectory {
  get(name: string): { size: number; device: VolumeIO } | undefined;
}
