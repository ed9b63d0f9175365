// The NBD face of one volume for its whole life. The NBD server holds it from GO until the
// connection ends, while the volume's role can change under it (pair create and delete, swap,
// takeover, split --svol-writable). So nothing is decided when the connection is opened: each
// request is routed when it executes, to the pair's rules while the volume is paired and to the
// plain volume otherwise. Requests still running are counted, so a role change can wait until
// every request that began under the old role has finished (drain).
import type { BlockDevice } from '../blockDevice.js';

export class VolumeRoute implements BlockDevice {
  /** Both the plain volume and a paired one flush the whole file (and the peer's). */
  readonly flushCoversAllConnections = true;
  /** Neither keeps `data` after write() returns or resolves. */
  readonly retainsWriteData = false;
  private running = 0;
  private idle: (() => void)[] = [];

  constructor(
    readonly plain: BlockDevice,
    private readonly paired: () => BlockDevice | undefined,
  ) {}

  private get current(): BlockDevice {
    return this.paired() ?? this.plain;
  }

  get size(): number {
    return this.plain.size;
  }

  get readOnly(): boolean {
    return this.current.readOnly;
  }

  read(offset: number, into: Buffer): void | Promise<void> {
    return this.track(() => this.current.read(offset, into));
  }

  write(offset: number, data: Buffer, fua: boolean): void | Promise<void> {
    return this.track(() => this.current.write(offset, data, fua));
  }

  flush(): void | Promise<void> {
    return this.track(() => this.current.flush());
  }

  trim(offset: number, length: number, fua: boolean): void | Promise<void> {
    return this.track(() => this.current.trim(offset, length, fua));
  }

  writeZeroes(offset: number, length: number, fua: boolean, mayPunch: boolean): void | Promise<void> {
    return this.track(() => this.current.writeZeroes(offset, length, fua, mayPunch));
  }

  /** Resolves once every request that is running now (asynchronously) has finished. */
  drain(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private track(run: () => void | Promise<void>): void | Promise<void> {
    const result = run();
    if (!(result instanceof Promise)) return result;
    this.running++;
    return result.finally(() => {
      if (--this.running > 0) return;
      const waiting = this.idle;
      this.idle = [];
      for (const resolve of waiting) resolve();
    });
  }
}
