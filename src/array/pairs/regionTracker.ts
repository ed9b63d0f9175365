// Which regions of a paired volume differ from the peer, kept exact across kill -9.
//   dirty     — regions known to be out of sync (to copy at the next resync / copy pass);
//   in flight — regions whose replicated write or copy has been sent but not yet acknowledged.
// The bitmap file holds dirty ∪ in-flight. A bit is persisted before the write it covers is
// sent or acknowledged; it is cleared on disk only when the region is neither dirty nor in
// flight (lazily, once per event-loop turn). At load every persisted bit counts as dirty, so
// a copy that was in flight at a crash is copied again.
import { RegionBitmap } from '../../core/bitmap.js';
import type { Clock } from '../../ports/clock.js';
import type { RegionFile } from '../../ports/pairStorage.js';

export interface RegionRun {
  first: number;
  last: number;
}

export class RegionTracker {
  readonly dirty: RegionBitmap;
  private readonly onDisk: RegionBitmap;
  private readonly inflight = new Map<number, number>();
  private readonly pendingClears = new Set<number>();
  private clearScheduled = false;
  /** Bits were written since the last sync(): FLUSH/FUA must make the file durable too. */
  private unsynced = false;

  constructor(
    readonly volumeSize: number,
    readonly regionSize: number,
    private readonly file: RegionFile,
    private readonly clock: Pick<Clock, 'defer'>,
  ) {
    this.onDisk = new RegionBitmap(volumeSize, regionSize, Uint8Array.from(file.bytes));
    this.dirty = new RegionBitmap(volumeSize, regionSize, Uint8Array.from(file.bytes));
  }

  static open(file: RegionFile, volumeSize: number, regionSize: number, clock: Pick<Clock, 'defer'>): RegionTracker {
    return new RegionTracker(volumeSize, regionSize, file, clock);
  }

  /** Bytes of the bitmap of a volume of this size. */
  static byteLength(volumeSize: number, regionSize: number): number {
    return Math.ceil(Math.ceil(volumeSize / regionSize) / 8);
  }

  get regionCount(): number {
    return this.dirty.regionCount;
  }

  /** Mark [offset, offset+length) changed-and-not-copied, persisted before returning. */
  markDirty(offset: number, length: number): void {
    const { first, last } = this.dirty.regionsOf(offset, length);
    for (let r = first; r <= last; r++) this.dirty.set(r);
    this.persistSet(first, last);
  }

  markAllDirty(): void {
    this.dirty.setAll();
    this.onDisk.setAll();
    this.file.persistAll(this.onDisk.bits);
    this.unsynced = true;
  }

  /** Replace the dirty set with `bits` (e.g. the union of both sides at a resync). */
  replaceDirty(bits: Uint8Array): void {
    this.dirty.bits.set(bits);
    for (let i = 0; i < bits.length; i++) this.onDisk.bits[i] = bits[i] | this.onDisk.bits[i];
    this.file.persistAll(this.onDisk.bits);
    this.unsynced = true;
  }

  /** Forget every dirty region (the peer now has everything, or will copy it to us). */
  clearDirty(): void {
    this.dirty.clearAll();
    for (let r = 0; r < this.regionCount; r++) if (!this.inflight.has(r)) this.onDisk.clear(r);
    this.file.persistAll(this.onDisk.bits);
    this.unsynced = true;
  }

  /** A replicated write or a copy of these regions is about to be sent. */
  beginInflight(offset: number, length: number): RegionRun {
    const run = this.dirty.regionsOf(offset, length);
    this.beginRun(run);
    return run;
  }

  beginRun(run: RegionRun): void {
    for (let r = run.first; r <= run.last; r++) this.inflight.set(r, (this.inflight.get(r) ?? 0) + 1);
    this.persistSet(run.first, run.last);
  }

  /** The peer answered for this run: acknowledged (`copied`) or not (then it stays dirty). */
  endInflight(run: RegionRun, copied: boolean): void {
    for (let r = run.first; r <= run.last; r++) {
      const n = (this.inflight.get(r) ?? 1) - 1;
      if (n <= 0) this.inflight.delete(r);
      else this.inflight.set(r, n);
      if (!copied) this.dirty.set(r);
      else if (n <= 0 && !this.dirty.isSet(r)) this.pendingClears.add(r);
    }
    if (!copied) this.persistSet(run.first, run.last);
    this.scheduleClears();
  }

  /**
   * Take the next run of up to `maxRegions` consecutive dirty regions at or after `from` for
   * copying: they leave the dirty set and are in flight until endInflight().
   */
  takeDirtyRun(from: number, maxRegions: number): RegionRun | null {
    const first = this.dirty.nextSet(from);
    if (first < 0) return null;
    let last = first;
    while (last + 1 < this.regionCount && last - first + 1 < maxRegions && this.dirty.isSet(last + 1)) last++;
    for (let r = first; r <= last; r++) this.dirty.clear(r);
    this.beginRun({ first, last });
    return { first, last };
  }

  dirtyCount(): number {
    return this.dirty.count();
  }

  inflightCount(): number {
    return this.inflight.size;
  }

  /** Make persisted bits durable (called with FLUSH / FUA). */
  async sync(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    await this.file.sync();
  }

  close(): void {
    this.flushClears();
    this.file.close();
  }

  private persistSet(first: number, last: number): void {
    const bytes = new Set<number>();
    for (let r = first; r <= last; r++) {
      this.pendingClears.delete(r);
      if (this.onDisk.set(r)) bytes.add(this.onDisk.byteOf(r));
    }
    if (bytes.size > 0) {
      this.file.persistBytes(this.onDisk.bits, bytes);
      this.unsynced = true;
    }
  }

  private scheduleClears(): void {
    if (this.clearScheduled || this.pendingClears.size === 0) return;
    this.clearScheduled = true;
    this.clock.defer(() => this.flushClears());
  }

  private flushClears(): void {
    this.clearScheduled = false;
    const bytes = new Set<number>();
    for (const r of this.pendingClears) {
      if (this.inflight.has(r) || this.dirty.isSet(r)) continue;
      if (this.onDisk.clear(r)) bytes.add(this.onDisk.byteOf(r));
    }
    this.pendingClears.clear();
    if (bytes.size > 0) this.file.persistBytes(this.onDisk.bits, bytes);
  }
}
