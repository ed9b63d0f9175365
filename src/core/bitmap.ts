// Region bitmap (SPEC §3.4): one bit per fixed-size region of a volume, set when the region
// changed while the pair was not in PAIR (or its copy was in flight). Bit r lives in byte
// r >> 3, bit r & 7 (least significant first), so one changed region persists as one byte.

export class RegionBitmap {
  readonly regionSize: number;
  readonly regionCount: number;
  readonly bits: Uint8Array;
  private readonly volumeSize: number;

  /** `bits` (e.g. loaded from disk) is copied; bits past the last region are ignored. */
  constructor(volumeSize: number, regionSize: number, bits?: Uint8Array) {
    if (!Number.isSafeInteger(volumeSize) || volumeSize < 0) throw new RangeError(`volume size must be a non-negative integer, got ${volumeSize}`);
    if (!Number.isSafeInteger(regionSize) || regionSize <= 0) throw new RangeError(`region size must be a positive integer, got ${regionSize}`);
    this.volumeSize = volumeSize;
    this.regionSize = regionSize;
    this.regionCount = Math.ceil(volumeSize / regionSize);
    const byteLength = Math.ceil(this.regionCount / 8);
    if (bits !== undefined && bits.length !== byteLength) {
      throw new RangeError(`bitmap of ${this.regionCount} regions needs ${byteLength} bytes, got ${bits.length}`);
    }
    this.bits = bits === undefined ? new Uint8Array(byteLength) : Uint8Array.from(bits);
    this.maskTail();
  }

  /** The regions covering [offset, offset+length); length must be positive and in range. */
  regionsOf(offset: number, length: number): { first: number; last: number } {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0 || offset + length > this.volumeSize) {
      throw new RangeError(`range [${offset}, +${length}) is not inside a volume of ${this.volumeSize} bytes`);
    }
    return { first: Math.floor(offset / this.regionSize), last: Math.floor((offset + length - 1) / this.regionSize) };
  }

  /** Mark the regions covering [offset, offset+length); returns the indexes newly set (to persist). */
  mark(offset: number, length: number): number[] {
    if (length === 0) return [];
    const { first, last } = this.regionsOf(offset, length);
    const added: number[] = [];
    for (let r = first; r <= last; r++) if (this.set(r)) added.push(r);
    return added;
  }

  /** Returns true when the bit was not set before. */
  set(region: number): boolean {
    const [byte, mask] = this.locate(region);
    if (this.bits[byte] & mask) return false;
    this.bits[byte] |= mask;
    return true;
  }

  /** Returns true when the bit was set before. */
  clear(region: number): boolean {
    const [byte, mask] = this.locate(region);
    if (!(this.bits[byte] & mask)) return false;
    this.bits[byte] &= ~mask;
    return true;
  }

  isSet(region: number): boolean {
    const [byte, mask] = this.locate(region);
    return (this.bits[byte] & mask) !== 0;
  }

  count(): number {
    let n = 0;
    for (let b of this.bits) {
      for (; b !== 0; b &= b - 1) n++;
    }
    return n;
  }

  /** The regions changed on either side: what a resync copies. Both bitmaps must describe the same volume. */
  union(other: RegionBitmap): RegionBitmap {
    if (other.regionSize !== this.regionSize || other.volumeSize !== this.volumeSize) {
      throw new RangeError('union of bitmaps of different geometry');
    }
    const out = new RegionBitmap(this.volumeSize, this.regionSize, this.bits);
    for (let i = 0; i < out.bits.length; i++) out.bits[i] |= other.bits[i];
    return out;
  }

  setAll(): void {
    this.bits.fill(0xff);
    this.maskTail();
  }

  clearAll(): void {
    this.bits.fill(0);
  }

  /** Next set region at or after `from`, or -1. */
  nextSet(from: number): number {
    if (!Number.isSafeInteger(from) || from < 0) throw new RangeError(`region index must be a non-negative integer, got ${from}`);
    if (from >= this.regionCount) return -1;
    let byte = from >> 3;
    let word = this.bits[byte] & (0xff << (from & 7));
    while (word === 0) {
      if (++byte >= this.bits.length) return -1;
      word = this.bits[byte];
    }
    return byte * 8 + lowestBit(word);
  }

  /** Byte index in `bits` holding the region (for persisting one byte). */
  byteOf(region: number): number {
    return this.locate(region)[0];
  }

  private locate(region: number): [byte: number, mask: number] {
    if (!Number.isInteger(region) || region < 0 || region >= this.regionCount) {
      throw new RangeError(`region ${region} is outside 0..${this.regionCount - 1}`);
    }
    return [region >> 3, 1 << (region & 7)];
  }

  /** Keep the unused bits of the last byte clear so count() and nextSet() see only real regions. */
  private maskTail(): void {
    const used = this.regionCount & 7;
    if (used !== 0) this.bits[this.bits.length - 1] &= (1 << used) - 1;
  }
}

function lowestBit(byte: number): number {
  return 31 - Math.clz32(byte & -byte);
}
