// One pair on one array while the array runs: its record, its volume, its changed-region
// tracker, and the host write path (SPEC §3.2 access, §3.3 fence levels, §3.4 bitmaps).
import { hostAccess } from '../../core/access.js';
import { BlockError, Errno } from '../blockDevice.js';
import type { Clock } from '../../ports/clock.js';
import type { VolumeIO } from '../../ports/pairStorage.js';
import type { PeerTransport } from '../../ports/peerTransport.js';
import type { CopyEngine } from './copyEngine.js';
import { DataFlag, zeroesPayload } from './dataFlags.js';
import { PairedDevice } from './pairedDevice.js';
import type { PairRecord } from './pairRecord.js';
import type { RegionTracker } from './regionTracker.js';

/** What the runtime asks of the array-wide pair manager. */
export interface PairHooks {
  /** A replicated write, zeroing or flush could not be copied: apply the fence level. */
  copyFailed(rt: PairRuntime, cause: unknown): Promise<{ ack: boolean }>;
  /** Fence status in PSUE: mark the S side suspended; false when it cannot be reached. */
  markRemoteSuspended(rt: PairRuntime): Promise<boolean>;
  /** The first host write that makes this side diverge from its peer (generation fork). */
  diverging(rt: PairRuntime): void;
}

export class PairRuntime {
  readonly device: PairedDevice;
  copy: CopyEngine | null = null;
  /** The P side's last state update has not been acknowledged by the S side. */
  unconfirmed = false;
  updatesSent = 0;
  /** A repair job for this pair is queued or running. */
  repairing = false;

  constructor(
    public rec: PairRecord,
    readonly volume: VolumeIO,
    readonly tracker: RegionTracker,
    readonly link: PeerTransport,
    readonly clock: Clock,
    private readonly hooks: PairHooks,
  ) {
    this.device = new PairedDevice(this);
  }

  access(): { read: boolean; write: 'allowed' | 'EPERM' | 'EIO' } {
    const r = this.rec;
    return hostAccess({ attribute: r.attribute, state: r.state, fence: r.fence, svolWritable: r.svolWritable, pvolTakeover: r.pvolTakeover });
  }

  /** Host writes on this P-VOL are copied to the peer before they are acknowledged. */
  replicating(): boolean {
    return this.rec.attribute === 'P-VOL' && (this.rec.state === 'PAIR' || this.rec.state === 'COPY');
  }

  hostWrite(offset: number, data: Buffer, fua: boolean): void | Promise<void> {
    this.checkWritable();
    if (this.replicating()) {
      return this.replicated(offset, data.length, () => this.volume.write(offset, data, fua), data, fua ? DataFlag.FUA : 0, fua);
    }
    if (this.needsRemoteMark()) return this.afterRemoteMark(() => this.hostWrite(offset, data, fua));
    this.trackLocalChange(offset, data.length);
    return this.durable(this.volume.write(offset, data, fua), fua);
  }

  hostZero(offset: number, length: number, fua: boolean): void | Promise<void> {
    this.checkWritable();
    if (this.replicating()) {
      const flags = DataFlag.ZEROES | (fua ? DataFlag.FUA : 0);
      return this.replicated(offset, length, () => this.volume.writeZeroes(offset, length, fua, false), zeroesPayload(length), flags, fua);
    }
    if (this.needsRemoteMark()) return this.afterRemoteMark(() => this.hostZero(offset, length, fua));
    this.trackLocalChange(offset, length);
    return this.durable(this.volume.writeZeroes(offset, length, fua, false), fua);
  }

  /**
   * Fence status (SPEC §3.3): a write while suspended succeeds only once the S side is known
   * to be marked PSUE; until then every write tries to mark it first and fails if it cannot.
   */
  private needsRemoteMark(): boolean {
    const r = this.rec;
    return r.attribute === 'P-VOL' && r.fence === 'status' && r.state === 'PSUE' && !r.remoteMarked;
  }

  private async afterRemoteMark(write: () => void | Promise<void>): Promise<void> {
    if (!(await this.hooks.markRemoteSuspended(this))) {
      throw new BlockError(Errno.EIO, `fence status: the S-VOL of ${this.rec.name} cannot be marked suspended; write refused`);
    }
    await write();
  }

  async hostFlush(): Promise<void> {
    const local = Promise.all([this.volume.flush(), this.tracker.sync()]);
    if (!this.replicating()) {
      await local;
      return;
    }
    const remote = this.link.request('pair.flush', { name: this.rec.name }).then(
      () => null,
      (err: unknown) => err,
    );
    try {
      await local;
    } catch (err) {
      throw new BlockError(Errno.EIO, `flush of ${this.rec.localVolume} failed: ${(err as Error).message}`);
    }
    const failure = await remote;
    if (failure === null) return;
    const { ack } = await this.hooks.copyFailed(this, failure);
    if (!ack) throw new BlockError(Errno.EIO, `flush of ${this.rec.localVolume} could not reach the S-VOL (fence ${this.rec.fence})`);
  }

  /** Apply a replicated write or copy received from the P side (this side is the S-VOL). */
  applyReplicated(offset: number, data: Buffer, flags: number): void | Promise<void> {
    const fua = (flags & DataFlag.FUA) !== 0;
    if (offset < 0 || offset >= this.volume.size) throw new Error(`offset ${offset} outside volume ${this.rec.localVolume}`);
    if ((flags & DataFlag.ZEROES) !== 0) {
      const length = Number(data.readBigUInt64BE(0));
      if (offset + length > this.volume.size) throw new Error('zeroed range beyond the end of the S-VOL');
      return this.volume.writeZeroes(offset, length, fua, false);
    }
    if (offset + data.length > this.volume.size) throw new Error('write beyond the end of the S-VOL');
    return this.volume.write(offset, data, fua);
  }

  private checkWritable(): void {
    const w = this.access().write;
    if (w === 'allowed') return;
    const why = `${this.rec.localVolume} is ${this.rec.attribute} in ${this.rec.state}`;
    if (w === 'EIO') throw new BlockError(Errno.EIO, `${why} with fence data: writes fail until resync or P-VOL takeover`);
    throw new BlockError(Errno.EPERM, `${why}: host writes are not allowed`);
  }

  /** Not replicating: the changed regions go to the bitmap (persisted) before the write. */
  private trackLocalChange(offset: number, length: number): void {
    if (!this.rec.diverged) this.hooks.diverging(this);
    this.tracker.markDirty(offset, length);
  }

  private durable(write: void | Promise<void>, fua: boolean): void | Promise<void> {
    if (!fua) return write;
    return Promise.all([write, this.tracker.sync()]).then(() => undefined);
  }

  /**
   * Local write and remote copy in parallel; acknowledge when both are where the fence level
   * needs them. The regions stay marked on disk until the peer acknowledged, so a crash in
   * between leaves them to the next resync.
   */
  private async replicated(
    offset: number,
    length: number,
    writeLocal: () => void | Promise<void>,
    payload: Buffer,
    flags: number,
    fua: boolean,
  ): Promise<void> {
    const run = this.tracker.beginInflight(offset, length);
    let local: void | Promise<void>;
    try {
      local = writeLocal();
    } catch (err) {
      this.tracker.endInflight(run, false);
      throw asEio(err, this.rec.localVolume);
    }
    const remote = this.link.sendData(this.rec.name, offset, payload, flags).then(
      () => null,
      (err: unknown) => err,
    );
    try {
      await local;
    } catch (err) {
      await remote;
      this.tracker.endInflight(run, false);
      throw asEio(err, this.rec.localVolume);
    }
    const failure = await remote;
    this.tracker.endInflight(run, failure === null);
    if (failure === null) return;
    const { ack } = await this.hooks.copyFailed(this, failure);
    if (!ack) throw new BlockError(Errno.EIO, `copy to the S-VOL failed and fence is ${this.rec.fence}: write refused`);
    if (fua) await this.tracker.sync();
  }
}

function asEio(err: unknown, volume: string): BlockError {
  if (err instanceof BlockError) return err;
  return new BlockError(Errno.EIO, `I/O error on ${volume}: ${(err as Error).message}`);
}
