// Batches the replies of one connection into as few socket writes as possible.
// Replies are carved in output order from a bump-allocated slab, so consecutive replies are
// contiguous memory and go out as one buffer (one writev when a large read or an async
// completion interleaves). Slab memory is never reused: a slab is dropped when full and the
// garbage collector frees it once the socket no longer holds it.
import type { Socket } from 'node:net';
import { BufferPool } from './bufferPool.js';

const SLAB_SIZE = 256 * 1024;
/** Replies larger than this get their own buffer instead of slab space. */
const LARGE_REPLY = 32 * 1024;

/** Space for one reply whose payload is filled in before (or, if detached, after) it is sent. */
export interface ReplySlot {
  buffer: Buffer;
  /** True when the slot has its own buffer already queued; false when it lives in the slab. */
  dedicated: boolean;
  /** Start of the slot in the slab (slab slots only). */
  slabStart: number;
}

export class ReplyWriter {
  private slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
  private pos = 0;
  private regionStart = 0;
  private pending: Buffer[] = [];
  /** Parallel to `pending`: true for pooled buffers, returned to the pool once written. */
  private pooled: boolean[] = [];
  private readonly pool = new BufferPool();
  private flushScheduled = false;
  private readonly flushSoon = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  constructor(private readonly socket: Socket) {}

  /** Reserves `size` contiguous bytes at the current end of the output. */
  reserve(size: number): ReplySlot {
    if (size > LARGE_REPLY) {
      this.closeRegion();
      const buffer = this.pool.take(size);
      this.push(buffer, true);
      return { buffer, dedicated: true, slabStart: 0 };
    }
    this.ensureRoom(size);
    const slabStart = this.pos;
    this.pos += size;
    return { buffer: this.slab.subarray(slabStart, this.pos), dedicated: false, slabStart };
  }

  /** Gives back the most recently reserved slot, unused (its filler failed synchronously). */
  unreserve(slot: ReplySlot): void {
    if (slot.dedicated) {
      this.pending.pop();
      this.pooled.pop();
      this.pool.give(slot.buffer);
    } else {
      this.pos = slot.slabStart;
    }
  }

  /**
   * Takes the most recently reserved slot out of the output: its filler completes later, and
   * the slot is appended with `append` then. The slab bytes stay owned by the slot.
   */
  detach(slot: ReplySlot): void {
    if (slot.dedicated) {
      this.pending.pop();
      this.pooled.pop();
      return;
    }
    if (slot.slabStart > this.regionStart) this.push(this.slab.subarray(this.regionStart, slot.slabStart), false);
    this.regionStart = this.pos;
  }

  /** Appends a detached slot, now filled, to the output. */
  appendSlot(slot: ReplySlot): void {
    this.closeRegion();
    this.push(slot.buffer, slot.dedicated);
  }

  /** Appends a complete reply buffer to the output. */
  append(buffer: Buffer): void {
    this.closeRegion();
    this.push(buffer, false);
  }

  /** The slab and the offset where `size` bytes may be written directly (small fixed replies). */
  reserveInSlab(size: number): number {
    this.ensureRoom(size);
    const at = this.pos;
    this.pos += size;
    return at;
  }

  get slabBuffer(): Buffer {
    return this.slab;
  }

  /** Sends everything queued in one write (or one writev). */
  flush(): void {
    this.closeRegion();
    const out = this.pending;
    const pooled = this.pooled;
    if (out.length === 0 || this.socket.destroyed) {
      out.length = 0;
      pooled.length = 0;
      return;
    }
    if (out.length === 1) {
      this.write(out[0], pooled[0]);
    } else {
      this.socket.cork();
      for (let i = 0; i < out.length; i++) this.write(out[i], pooled[i]);
      this.socket.uncork();
    }
    out.length = 0;
    pooled.length = 0;
  }

  private write(b: Buffer, pooled: boolean): void {
    if (pooled) this.socket.write(b, () => this.pool.give(b));
    else this.socket.write(b);
  }

  private push(b: Buffer, pooled: boolean): void {
    this.pending.push(b);
    this.pooled.push(pooled);
  }

  /** Flushes at the end of this event-loop turn, batching completions that land together. */
  scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flushSoon);
  }

  private closeRegion(): void {
    if (this.pos > this.regionStart) this.push(this.slab.subarray(this.regionStart, this.pos), false);
    this.regionStart = this.pos;
  }

  private ensureRoom(size: number): void {
    if (this.pos + size <= this.slab.length) return;
    this.closeRegion();
    this.slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    this.pos = 0;
    this.regionStart = 0;
  }
}
