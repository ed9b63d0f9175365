// Initial copy and resync (SPEC §3, §3.4): walks the dirty regions of a P-VOL and sends them
// to the S side, several runs in flight at once (pipelined on the peer link), under an
// optional rate limit. A region read and its send happen in the same event-loop turn, and host
// writes are sent in the order they are written, so the S side applies a copy and the host
// writes that race with it in the order they happened on the P-VOL.
import type { Timer } from '../../ports/clock.js';
import type { PeerTransport } from '../../ports/peerTransport.js';
import { DataFlag } from './dataFlags.js';
import type { RegionRun } from './regionTracker.js';
import type { PairRuntime } from './pairRuntime.js';

export interface CopyEvents {
  done(rt: PairRuntime): void;
  failed(rt: PairRuntime, cause: unknown): void;
}

const RUN_BYTES = 1024 * 1024;
const MAX_IN_FLIGHT = 8;

export class CopyEngine {
  private running = false;
  private inFlight = 0;
  private cursor = 0;
  private copiedBytes = 0;
  private readonly startedAt: number;
  /** Recent (time, bytes) samples for the rate shown by `pair display`. */
  private samples: { t: number; bytes: number }[] = [];
  private paceTimer: Timer | null = null;

  constructor(
    private readonly rt: PairRuntime,
    private readonly link: PeerTransport,
    private readonly events: CopyEvents,
    private readonly pace: number,
  ) {
    this.startedAt = rt.clock.now();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pump();
  }

  stop(): void {
    this.running = false;
    this.paceTimer?.cancel();
    this.paceTimer = null;
  }

  get active(): boolean {
    return this.running;
  }

  /** Bytes per second over the last few seconds. */
  rate(): number {
    const now = this.rt.clock.now();
    this.samples = this.samples.filter((s) => now - s.t < 3000);
    const bytes = this.samples.reduce((n, s) => n + s.bytes, 0);
    const span = Math.max(1, Math.min(3000, now - this.startedAt));
    return Math.round((bytes * 1000) / span);
  }

  private pump(): void {
    const tracker = this.rt.tracker;
    const runRegions = Math.max(1, Math.floor(RUN_BYTES / tracker.regionSize));
    while (this.running && this.inFlight < MAX_IN_FLIGHT) {
      if (this.paceTimer) return;
      const wait = this.paceDelay();
      if (wait > 0) {
        this.paceTimer = this.rt.clock.after(wait, () => {
          this.paceTimer = null;
          this.pump();
        });
        return;
      }
      let run = tracker.takeDirtyRun(this.cursor, runRegions);
      if (!run && this.cursor > 0) {
        this.cursor = 0;
        run = tracker.takeDirtyRun(0, runRegions);
      }
      if (!run) break;
      this.cursor = run.last + 1;
      this.send(run);
    }
    if (this.running && this.inFlight === 0 && tracker.dirtyCount() === 0) {
      this.running = false;
      this.events.done(this.rt);
    }
  }

  private send(run: RegionRun): void {
    const { regionSize } = this.rt.tracker;
    const offset = run.first * regionSize;
    const length = Math.min((run.last + 1) * regionSize, this.rt.volume.size) - offset;
    const buf = Buffer.allocUnsafe(length);
    try {
      // FileBlockDevice reads synchronously: the read and its send happen in the same turn.
      this.rt.volume.read(offset, buf);
    } catch (err) {
      this.rt.tracker.endInflight(run, false);
      this.fail(err);
      return;
    }
    this.inFlight++;
    this.link
      .sendData(this.rt.rec.name, offset, buf, DataFlag.COPY)
      .then(
        () => {
          this.inFlight--;
          this.copiedBytes += length;
          this.samples.push({ t: this.rt.clock.now(), bytes: length });
          this.rt.tracker.endInflight(run, true);
          this.pump();
        },
        (err: unknown) => {
          this.inFlight--;
          this.rt.tracker.endInflight(run, false);
          this.fail(err);
        },
      );
  }

  private fail(cause: unknown): void {
    if (!this.running) return;
    this.stop();
    this.events.failed(this.rt, cause);
  }

  /** Milliseconds to wait before the next run so that the average rate stays under `pace`. */
  private paceDelay(): number {
    if (this.pace <= 0) return 0;
    const elapsed = this.rt.clock.now() - this.startedAt;
    const allowedAt = (this.copiedBytes / this.pace) * 1000;
    return Math.max(0, Math.ceil(allowedAt - elapsed));
  }
}
