// The volumes of one array: rows in meta.db plus one open FileBlockDevice each.
// Create writes the file first and the row last, so a crash leaves at worst a stray file
// (logged, left alone), never a row without its file.
import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Reason } from '../core/types.js';
import type { VolumeInfo } from '../protocol/control.js';
import type { Logger } from '../log.js';
import { parseSize, SizeError } from '../util/size.js';
import { FileBlockDevice } from './fileBlockDevice.js';
import type { MetadataStore, VolumeRow } from './metadata.js';

export const VOLUME_NAME = /^[A-Za-z0-9._-]{1,64}$/;

export interface Volume {
  name: string;
  size: number;
  /** Absolute path of the file or device. */
  path: string;
  owned: boolean;
  createdAt: string;
  device: FileBlockDevice;
}

export interface VolumeCreateInput {
  name: string;
  size?: number | string;
  path?: string;
}

/** A refused volume command; `reason` becomes the ABNORMAL END reason. */
export class VolumeError extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(message);
    this.name = 'VolumeError';
  }
}

/** Answers which pair uses a volume, if any; installed by the pair layer. */
export type InUseLookup = (volumeName: string) => string | undefined;

export class VolumeStore {
  private readonly volumes = new Map<string, Volume>();
  /** Rows whose file could not be opened at start: listed nowhere, but deletable. */
  private readonly unavailable = new Map<string, VolumeRow>();
  private inUseLookup: InUseLookup = () => undefined;

  private constructor(
    private readonly meta: MetadataStore,
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  /** Open every recorded volume; report rows whose file is gone and files without a row. */
  static open(meta: MetadataStore, dataDir: string, log: Logger): VolumeStore {
    const store = new VolumeStore(meta, dataDir, log);
    mkdirSync(store.volumesDir, { recursive: true });
    const known = new Set<string>();
    for (const row of meta.listVolumes()) {
      const path = store.absolutePath(row);
      known.add(path);
      try {
        store.volumes.set(row.name, store.openRow(row, path));
      } catch (err) {
        store.unavailable.set(row.name, row);
        log.error({ volume: row.name, path, err: (err as Error).message }, 'volume skipped: its file cannot be opened');
      }
    }
    for (const file of readdirSync(store.volumesDir)) {
      const path = join(store.volumesDir, file);
      if (!known.has(path)) log.warn({ path }, 'file in volumes/ has no volume record; left alone');
    }
    return store;
  }

  private get volumesDir(): string {
    return join(this.dataDir, 'volumes');
  }

  private absolutePath(row: VolumeRow): string {
    return row.owned ? join(this.dataDir, row.path) : row.path;
  }

  private openRow(row: VolumeRow, path: string): Volume {
    const device = FileBlockDevice.open(path);
    if (device.size !== row.size) {
      device.close();
      throw new Error(`size is ${device.size} bytes, recorded ${row.size}`);
    }
    return { name: row.name, size: row.size, path, owned: row.owned, createdAt: row.createdAt, device };
  }

  setInUseLookup(lookup: InUseLookup): void {
    this.inUseLookup = lookup;
  }

  /** Name of the pair using this volume, if any. */
  isInUse(name: string): string | undefined {
    return this.inUseLookup(name);
  }

  list(): Volume[] {
    return [...this.volumes.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Volume | undefined {
    return this.volumes.get(name);
  }

  info(v: Volume): VolumeInfo {
    const pair = this.isInUse(v.name);
    return { name: v.name, size: v.size, path: v.path, ...(pair === undefined ? {} : { pair }) };
  }

  create(input: VolumeCreateInput): Volume {
    const { name } = input;
    if (!VOLUME_NAME.test(name)) throw new VolumeError('bad-request', `volume name "${name}" must be 1-64 characters of A-Z a-z 0-9 . _ -`);
    if (this.volumes.has(name)) throw new VolumeError('exists', `volume ${name} already exists`);
    if (this.unavailable.has(name)) throw new VolumeError('exists', `volume ${name} is recorded but its file cannot be opened; delete it first`);
    let size: number | undefined;
    try {
      size = input.size === undefined ? undefined : parseSize(input.size);
    } catch (err) {
      if (err instanceof SizeError) throw new VolumeError('bad-request', err.message);
      throw err;
    }
    return input.path === undefined ? this.createOwned(name, size) : this.adopt(name, input.path, size);
  }

  /** A sparse file of exactly `size` bytes in dataDir/volumes, made durable before the row. */
  private createOwned(name: string, size: number | undefined): Volume {
    if (size === undefined) throw new VolumeError('bad-request', 'size is required unless an existing path is given');
    const relative = join('volumes', `${name}.img`);
    const path = join(this.dataDir, relative);
    if (existsSync(path)) throw new VolumeError('exists', `${path} exists but is not a recorded volume; remove it or create the volume with path=${path}`);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      ftruncateSync(fd, size);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    fsyncDir(this.volumesDir);
    return this.record({ name, size, path: relative, owned: true, createdAt: new Date().toISOString() }, path);
  }

  /** An existing raw device or file; its size is the volume size. */
  private adopt(name: string, givenPath: string, size: number | undefined): Volume {
    if (!isAbsolute(givenPath)) throw new VolumeError('bad-request', `path "${givenPath}" must be absolute`);
    let path: string;
    try {
      path = realpathSync(givenPath);
    } catch {
      throw new VolumeError('bad-request', `path ${givenPath} does not exist`);
    }
    const st = statSync(path);
    if (!st.isFile() && !st.isBlockDevice()) throw new VolumeError('bad-request', `path ${givenPath} is neither a regular file nor a block device`);
    const taken = this.list().find((v) => v.path === path);
    if (taken) throw new VolumeError('exists', `path ${givenPath} is already volume ${taken.name}`);
    const device = FileBlockDevice.open(path);
    device.close();
    if (size !== undefined && size !== device.size) {
      throw new VolumeError('bad-request', `path ${givenPath} holds ${device.size} bytes, not the ${size} asked for`);
    }
    if (device.size === 0 || device.size % 512 !== 0) {
      throw new VolumeError('bad-request', `path ${givenPath} holds ${device.size} bytes, not a positive multiple of 512`);
    }
    return this.record({ name, size: device.size, path, owned: false, createdAt: new Date().toISOString() }, path);
  }

  private record(row: VolumeRow, path: string): Volume {
    const volume = this.openRow(row, path);
    try {
      this.meta.insertVolume(row);
    } catch (err) {
      volume.device.close();
      if (row.owned) unlinkSync(path);
      throw err;
    }
    this.volumes.set(row.name, volume);
    this.log.info({ volume: row.name, size: row.size, path }, 'volume created');
    return volume;
  }

  /** Remove the row first (the commit point), then the file the array created. */
  delete(name: string): VolumeInfo {
    const pair = this.isInUse(name);
    if (pair !== undefined) throw new VolumeError('invalid-state', `volume ${name} is in pair ${pair}; delete the pair first`);
    const volume = this.volumes.get(name);
    if (volume) {
      this.meta.deleteVolume(name);
      this.volumes.delete(name);
      volume.device.close();
      if (volume.owned) unlinkSync(volume.path);
      this.log.info({ volume: name }, 'volume deleted');
      return { name, size: volume.size, path: volume.path };
    }
    const lost = this.unavailable.get(name);
    if (lost) {
      this.meta.deleteVolume(name);
      this.unavailable.delete(name);
      this.log.info({ volume: name }, 'unavailable volume deleted');
      return { name, size: lost.size, path: this.absolutePath(lost) };
    }
    throw new VolumeError('not-found', `no volume ${name}`);
  }

  close(): void {
    for (const v of this.volumes.values()) v.device.close();
    this.volumes.clear();
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
