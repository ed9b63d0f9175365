// A volume backed by a regular file (or a raw device path): the plain BlockDevice.
// Reads and writes use synchronous pread/pwrite: on page-cache hits they cost less than the
// libuv thread-pool hop on a small machine. Only fdatasync, which waits for the disk, goes
// through the thread pool, and concurrent durability requests share one fdatasync.
import fs from 'node:fs';
import { BlockError, Errno, type BlockDevice } from './blockDevice.js';

/** Zeroing works in slices of this size and yields to the event loop between slices. */
const ZERO_SLICE = 1024 * 1024;
const ZEROES = Buffer.alloc(ZERO_SLICE);

/** Translates a filesystem error into the errno an NBD client should see. */
function toBlockError(err: unknown, what: string): BlockError {
  if (err instanceof BlockError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  const errno = code === 'ENOSPC' || code === 'EDQUOT' ? Errno.ENOSPC : code === 'EROFS' || code === 'EACCES' ? Errno.EPERM : Errno.EIO;
  return new BlockError(errno, `${what}: ${(err as Error).message}`);
}

/**
 * Coalesces fdatasync calls: a waiter is covered by a sync that *starts* after it asked, so
 * while one sync runs, every new waiter joins the next one, which covers them all.
 */
class DataSyncCoalescer {
  private running = false;
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly fd: () => number) {}

  sync(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) this.start();
    });
  }

  private start(): void {
    const batch = this.waiting;
    this.waiting = [];
    this.running = true;
    fs.fdatasync(this.fd(), (err) => {
      this.running = false;
      for (const w of batch) {
        if (err) w.reject(toBlockError(err, 'fdatasync'));
        else w.resolve();
      }
      if (this.waiting.length > 0) this.start();
    });
  }
}

export class FileBlockDevice implements BlockDevice {
  /** flush() syncs the file itself, so it covers writes that came through any connection. */
  readonly flushCoversAllConnections = true;
  /** write() has copied `data` into the page cache when it returns, so callers may reuse it. */
  readonly retainsWriteData = false;
  private fd: number;
  private readonly syncer = new DataSyncCoalescer(() => this.fd);

  private constructor(
    readonly path: string,
    readonly size: number,
    fd: number,
    public readOnly: boolean,
  ) {
    this.fd = fd;
  }

  /**
   * Opens an existing file; its current size is the device size. The file is opened for
   * writing even when `readOnly` (unless the file itself is read-only) because `readOnly`
   * changes while the device is in use, e.g. when a pair is split with a writable S-VOL.
   */
  static open(path: string, opts: { readOnly?: boolean } = {}): FileBlockDevice {
    const readOnly = opts.readOnly ?? false;
    const fd = openForWritingIfAllowed(path, readOnly);
    try {
      const st = fs.fstatSync(fd);
      if (!st.isFile() && !st.isBlockDevice()) throw new Error(`${path} is neither a regular file nor a block device`);
      const size = st.isFile() ? st.size : blockDeviceSize(st.rdev);
      return new FileBlockDevice(path, size, fd, readOnly);
    } catch (err) {
      fs.closeSync(fd);
      throw err;
    }
  }

  read(offset: number, into: Buffer): void {
    this.checkOpen();
    try {
      let done = 0;
      while (done < into.length) {
        const n = fs.readSync(this.fd, into, done, into.length - done, offset + done);
        if (n === 0) {
          // Past the end of a file that shrank underneath us: the missing part reads as zeroes.
          into.fill(0, done);
          return;
        }
        done += n;
      }
    } catch (err) {
      throw toBlockError(err, `read ${this.path}`);
    }
  }

  write(offset: number, data: Buffer, fua: boolean): void | Promise<void> {
    this.checkWritable();
    try {
      let done = 0;
      while (done < data.length) done += fs.writeSync(this.fd, data, done, data.length - done, offset + done);
    } catch (err) {
      throw toBlockError(err, `write ${this.path}`);
    }
    return fua ? this.syncer.sync() : undefined;
  }

  flush(): Promise<void> {
    this.checkOpen();
    return this.syncer.sync();
  }

  /** A discard makes the range read as zeroes; Node offers no hole punching, so it zeroes. */
  trim(offset: number, length: number, fua: boolean): void | Promise<void> {
    return this.writeZeroes(offset, length, fua, true);
  }

  /**
   * Zeroes only the slices that are not already zero, so a sparse file stays sparse when a
   * client zeroes (or discards) unallocated space. Large ranges yield between slices.
   */
  writeZeroes(offset: number, length: number, fua: boolean, _mayPunch: boolean): void | Promise<void> {
    this.checkWritable();
    if (length <= ZERO_SLICE) {
      this.zeroSlice(offset, length);
      return fua ? this.syncer.sync() : undefined;
    }
    return this.zeroRange(offset, length, fua);
  }

  private async zeroRange(offset: number, length: number, fua: boolean): Promise<void> {
    const end = offset + length;
    for (let at = offset; at < end; at += ZERO_SLICE) {
      this.checkWritable();
      this.zeroSlice(at, Math.min(ZERO_SLICE, end - at));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (fua) await this.syncer.sync();
  }

  private zeroSlice(offset: number, length: number): void {
    const current = Buffer.allocUnsafe(length);
    this.read(offset, current);
    if (current.equals(ZEROES.subarray(0, length))) return;
    try {
      let done = 0;
      while (done < length) done += fs.writeSync(this.fd, ZEROES, 0, length - done, offset + done);
    } catch (err) {
      throw toBlockError(err, `zero ${this.path}`);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
  }

  private checkOpen(): void {
    if (this.fd < 0) throw new BlockError(Errno.EIO, `${this.path} is closed`);
  }

  private checkWritable(): void {
    this.checkOpen();
    if (this.readOnly) throw new BlockError(Errno.EPERM, `${this.path} is read-only`);
  }
}

/** Size of a block device from sysfs (fstat reports 0 for block devices). */
function blockDeviceSize(rdev: number): number {
  const major = (rdev >> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  const sectors = Number(fs.readFileSync(`/sys/dev/block/${major}:${minor}/size`, 'utf8').trim());
  return sectors * 512;
}

function openForWritingIfAllowed(path: string, readOnly: boolean): number {
  try {
    return fs.openSync(path, 'r+');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (readOnly && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) return fs.openSync(path, 'r');
    throw err;
  }
}
