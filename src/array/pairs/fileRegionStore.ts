// The production region store: one bitmap file per pair in <dataDir>/bitmaps.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RegionFile, RegionStore } from '../../ports/pairStorage.js';
import { BitmapFile } from './bitmapFile.js';

export class FileRegionStore implements RegionStore {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'bitmaps');
    mkdirSync(this.dir, { recursive: true });
  }

  open(pair: string, byteLength: number): RegionFile {
    return BitmapFile.open(this.path(pair), byteLength);
  }

  remove(pair: string): void {
    rmSync(this.path(pair), { force: true });
  }

  private path(pair: string): string {
    return join(this.dir, `${pair}.bitmap`);
  }
}
