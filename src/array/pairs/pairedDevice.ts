// The NBD face of a paired volume (SPEC §3.2, §3.3): every host request is checked against
// the pair's current attribute and state at the moment it arrives (so an access change takes
// effect on connections already open), and P-VOL writes in COPY/PAIR are copied to the peer
// before they are acknowledged.
import { BlockError, Errno, type BlockDevice } from '../blockDevice.js';
import type { PairRuntime } from './pairRuntime.js';

export class PairedDevice implements BlockDevice {
  /** FLUSH fsyncs the whole local file and asks the peer to fsync its whole file: it covers every connection. */
  readonly flushCoversAllConnections = true;
  /**
   * `data` is written locally before write() returns and, when replicated, sent to the peer
   * before the returned promise resolves (the peer acknowledged it): the NBD server may reuse it then.
   */
  readonly retainsWriteData = false;

  constructor(private readonly rt: PairRuntime) {}

  get size(): number {
    return this.rt.volume.size;
  }

  /** Advertised READ_ONLY only where writes are refused by attribute (EPERM), not when fenced (EIO). */
  get readOnly(): boolean {
    return this.rt.access().write === 'EPERM';
  }

  read(offset: number, into: Buffer): void | Promise<void> {
    if (!this.rt.access().read) throw new BlockError(Errno.EPERM, `volume ${this.rt.rec.localVolume} is not readable in this pair state`);
    return this.rt.volume.read(offset, into);
  }

  write(offset: number, data: Buffer, fua: boolean): void | Promise<void> {
    return this.rt.hostWrite(offset, data, fua);
  }

  flush(): void | Promise<void> {
    return this.rt.hostFlush();
  }

  trim(offset: number, length: number, fua: boolean): void | Promise<void> {
    // A trimmed range reads back unspecified: zeroing it keeps both sides identical.
    return this.rt.hostZero(offset, length, fua);
  }

  writeZeroes(offset: number, length: number, fua: boolean): void | Promise<void> {
    return this.rt.hostZero(offset, length, fua);
  }
}
