// Reuses large I/O buffers (1 MiB reads and writes) instead of allocating fresh memory per
// request: fresh memory costs page faults on every use, which showed up as a large share of
// sequential throughput. Small buffers are cheap to allocate and are not pooled.
const MIN_POOLED = 32 * 1024;
const MAX_POOLED = 4 * 1024 * 1024;

export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  private pooledBytes = 0;

  constructor(private readonly maxBytes = 16 * 1024 * 1024) {}

  take(size: number): Buffer {
    const b = this.free.get(size)?.pop();
    if (b === undefined) return Buffer.allocUnsafeSlow(size);
    this.pooledBytes -= size;
    return b;
  }

  /** Hands a buffer back; the caller must not touch it afterwards. */
  give(b: Buffer): void {
    if (b.length < MIN_POOLED || b.length > MAX_POOLED || this.pooledBytes + b.length > this.maxBytes) return;
    let list = this.free.get(b.length);
    if (list === undefined) this.free.set(b.length, (list = []));
    list.push(b);
    this.pooledBytes += b.length;
  }
}
