// The on-disk copy of a pair's region bitmap: one bit per region, one file per pair.
// A bit is persisted (pwrite of its byte, page cache) before the write that needs it is
// acknowledged, so a kill -9 of the array never loses a changed region; sync() makes the
// file durable against power loss and is called with every FLUSH/FUA of the pair's volume.
import { closeSync, fdatasync, openSync, readSync, writeSync, fstatSync, ftruncateSync } from 'node:fs';

export class BitmapFile {
  private constructor(
    private fd: number,
    readonly path: string,
    readonly bytes: Uint8Array,
  ) {}

  /** Open (or create zeroed) the bitmap file of `byteLength` bytes and read its bits. */
  static open(path: string, byteLength: number): BitmapFile {
    const fd = openSync(path, 'a+');
    closeSync(fd);
    const rw = openSync(path, 'r+');
    if (fstatSync(rw).size !== byteLength) ftruncateSync(rw, byteLength);
    const bytes = new Uint8Array(byteLength);
    let done = 0;
    while (done < byteLength) {
      const n = readSync(rw, bytes, done, byteLength - done, done);
      if (n === 0) break;
      done += n;
    }
    return new BitmapFile(rw, path, bytes);
  }

  /** Write the bytes at these indexes from `source` (the in-memory persisted view). */
  persistBytes(source: Uint8Array, byteIndexes: Iterable<number>): void {
    for (const i of byteIndexes) {
      this.bytes[i] = source[i];
      writeSync(this.fd, this.bytes, i, 1, i);
    }
  }

  /** Replace the whole file content (after a full-bitmap operation such as a swap). */
  persistAll(source: Uint8Array): void {
    this.bytes.set(source);
    writeSync(this.fd, this.bytes, 0, this.bytes.length, 0);
  }

  sync(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
