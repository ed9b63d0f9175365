// The pair layer of one array (SPEC §3, §6): pair records, commands, the peer-side protocol,
// reservations of determining pairs. The array holding the P-VOL decides every state change;
// commands given to the S side are forwarded to it. Every change is persisted before it is
// acted upon or answered; each command on a pair runs alone (per-pair queue).
import { EventEmitter } from 'node:events';
import { decidePairCommand, onCopyComplete, onLinkLost, onLinkRestored, reconcileOnReconnect, type PairSnapshot } from '../../core/pairCommand.js';
import { onCopyFailure } from '../../core/fence.js';
import { decideReserve, decideRelease } from '../../core/reservation.js';
import { compareGenerations, forkGeneration, type Generation } from '../../core/generation.js';
import { abnormal, displayState, type Abnormal, type Attribute, type PairState, type Reason } from '../../core/types.js';
import type { ArrayEvent, PairCreateRequest, PairInfo, PairListResponse } from '../../protocol/control.js';
import type { Logger } from '../../log.js';
import type { Clock, Timer } from '../../ports/clock.js';
import type { IdSource } from '../../ports/ids.js';
import type { PairRecordStore, RegionStore, VolumeDirectory } from '../../ports/pairStorage.js';
import type { PeerTransport } from '../../ports/peerTransport.js';
import type { BlockDevice } from '../blockDevice.js';
import { assertPairRecord } from '../../core/pairInvariants.js';
import { CopyEngine } from './copyEngine.js';
import { PairRuntime } from './pairRuntime.js';
import { recordFromCreate, type PairRecord } from './pairRecord.js';
import type { PairOp, PairResult, PairService, ReservationResult } from './pairService.js';
import {
  PeerKind,
  encodeReason,
  type CommandMsg,
  type CreateMsg,
  type GroupMsg,
  type NameMsg,
  type PromoteMsg,
  type SyncMsg,
  type SyncReply,
  type UpdateMsg,
} from './peerMessages.js';
import { RegionTracker } from './regionTracker.js';
import { SerialQueue } from './serialQueue.js';
import { VolumeRoute } from './volumeRoute.js';

export interface PairManagerOptions {
  name: string;
  regionSize: number;
  defaultPace: number;
  store: PairRecordStore;
  regions: RegionStore;
  volumes: VolumeDirectory;
  link: PeerTransport;
  log: Logger;
  clock: Clock;
  ids: IdSource;
  /** How often a pair that is out of step with its peer (suspended with a resync pending, a swap unconfirmed, an update unanswered) is retried while the link is up. */
  repairIntervalMs?: number;
}

const DEFAULT_REPAIR_MS = 1000;

const REASON_PREFIX = /^([a-z-]+): (.*)$/s;

export class PairManager implements PairService {
  readonly events = new EventEmitter();
  private readonly pairs = new Map<string, PairRuntime>();
  private readonly queue = new SerialQueue();
  /** One stable NBD face per volume: every request is routed by the volume's role when it executes. */
  private readonly routes = new Map<string, VolumeRoute>();
  private repairTimer: Timer | null = null;
  private closed = false;

  constructor(private readonly o: PairManagerOptions) {
    this.events.setMaxListeners(0);
  }

  /** Load every pair record; pairs that were copying or paired wait for the link (PSUE until then). */
  open(): void {
    for (const rec of this.o.store.load()) {
      const rt = this.attach(rec);
      if (!rt) continue;
      const next = onLinkLost(rec.state);
      if (next !== rec.state) {
        this.o.log.info({ pair: rec.name, from: rec.state, to: next }, 'pair was copying or paired at start: suspended until the peer link is up');
        // Only the P side keeps a resync pending; the S side follows what the P side decides.
        rec.resyncPending = rec.attribute === 'P-VOL' && !rec.splitBrain;
        this.setState(rt, next, 'array restarted');
      }
    }
    this.registerPeerHandlers();
    this.o.link.on('up', () => void this.onLinkUp());
    this.o.link.on('down', (reason: string) => this.onLinkDown(reason));
    this.scheduleRepair();
  }

  close(): void {
    this.closed = true;
    this.repairTimer?.cancel();
    for (const rt of this.pairs.values()) {
      rt.copy?.stop();
      rt.tracker.close();
    }
  }

  /** The pair a volume belongs to, if any. */
  pairOfVolume(volumeName: string): string | undefined {
    for (const rt of this.pairs.values()) if (rt.rec.localVolume === volumeName) return rt.rec.name;
    return undefined;
  }

  /**
   * The device the NBD server exports for a volume. It is the same object for the volume's
   * whole life, and it routes each request when it executes: to the pair's rules while the
   * volume is paired, to the plain volume otherwise. So a role change (create, delete, swap,
   * takeover, split) reaches connections of any age.
   */
  routeFor(volumeName: string, plain: BlockDevice): BlockDevice {
    let route = this.routes.get(volumeName);
    if (!route || route.plain !== plain) {
      route = new VolumeRoute(plain, () => this.pairedDeviceOf(volumeName));
      this.routes.set(volumeName, route);
    }
    return route;
  }

  private pairedDeviceOf(volumeName: string): BlockDevice | undefined {
    for (const rt of this.pairs.values()) if (rt.rec.localVolume === volumeName) return rt.device;
    return undefined;
  }

  /** Requests that began on the volume's earlier role have finished (called after a role change). */
  private async drainVolume(volumeName: string): Promise<void> {
    await this.routes.get(volumeName)?.drain();
  }

  // ---------------------------------------------------------------- queries

  list(): PairInfo[] {
    return [...this.pairs.values()].map((rt) => this.info(rt));
  }

  get(name: string): PairInfo | undefined {
    const rt = this.pairs.get(name);
    return rt && this.info(rt);
  }

  info(rt: PairRuntime): PairInfo {
    const r = rt.rec;
    const access = rt.access();
    const dirty = rt.tracker.dirtyCount();
    return {
      name: r.name,
      group: r.group,
      attribute: r.attribute,
      state: r.state,
      displayState: displayState(r.attribute, r.state),
      fence: r.fence,
      localVolume: r.localVolume,
      remoteVolume: r.remoteVolume,
      localArray: this.o.name,
      remoteArray: r.remoteArray,
      svolWritable: r.svolWritable,
      copyPercent: copyPercent(r.state, r.copyTotal, dirty, rt.tracker.regionCount),
      changedPercent: pct(dirty, rt.tracker.regionCount),
      copyRate: rt.copy?.active ? rt.copy.rate() : 0,
      peerConnected: this.o.link.connected,
      holder: r.holder,
      splitBrain: r.splitBrain,
      access: access.write === 'allowed' ? 'read-write' : access.read ? 'read-only' : 'none',
    };
  }

  waitForState(name: string, state: PairState, timeoutMs: number): Promise<PairResult> {
    const rt = this.pairs.get(name);
    if (!rt) return Promise.resolve(abnormal('not-found', `no pair named ${name}`));
    const matches = () => {
      const cur = this.pairs.get(name);
      return cur !== undefined && (cur.rec.state === state || displayState(cur.rec.attribute, cur.rec.state) === state);
    };
    if (matches()) return Promise.resolve(this.normal(rt));
    return new Promise((resolve) => {
      const onEvent = (e: ArrayEvent) => {
        if (e.pair !== name || !matches()) return;
        finish();
        resolve(this.normal(this.pairs.get(name)!));
      };
      const timer = this.o.clock.after(timeoutMs, () => {
        finish();
        const cur = this.pairs.get(name);
        resolve(abnormal('invalid-state', `pair ${name} did not reach ${state} within ${timeoutMs} ms (now ${cur ? cur.rec.state : 'deleted'})`));
      });
      const finish = () => {
        timer.cancel();
        this.events.off('event', onEvent);
      };
      this.events.on('event', onEvent);
    });
  }

  // ---------------------------------------------------------------- create / delete

  create(req: PairCreateRequest): Promise<PairResult> {
    return this.queue.run(req.name, async () => {
      if (this.pairs.has(req.name)) return abnormal('exists', `pair ${req.name} already exists`);
      const vol = this.o.volumes.get(req.pvol);
      if (!vol) return abnormal('not-found', `no volume named ${req.pvol} on array ${this.o.name}`);
      const user = this.pairOfVolume(req.pvol);
      if (user) return abnormal('invalid-state', `volume ${req.pvol} is already in pair ${user}`);
      const peerName = this.o.link.peerName;
      if (!this.o.link.connected || !peerName) return abnormal('peer-unreachable', 'the peer array is not connected');
      const state: PairState = req.nocopy ? 'PAIR' : 'COPY';
      const generation: Generation = { current: this.o.ids.next(), parent: null };
      const msg: CreateMsg = {
        name: req.name,
        group: req.group ?? null,
        fence: req.fence ?? 'never',
        pace: req.pace ?? this.o.defaultPace,
        pvolArray: this.o.name,
        pvol: req.pvol,
        svol: req.svol,
        state,
        generation,
        regionSize: this.o.regionSize,
        size: vol.size,
      };
      const peer = await this.ask(PeerKind.create, msg);
      if (peer) return peer;
      const rec = recordFromCreate(msg, 'P-VOL', peerName);
      this.o.store.save(rec);
      const rt = this.attach(rec)!;
      this.emit(rt, 'SMPL', state, 'pair created');
      if (state === 'COPY') {
        rt.tracker.markAllDirty();
        this.startCopy(rt);
      }
      return this.normal(rt);
    });
  }

  delete(name: string): Promise<PairResult> {
    return this.queue.run(name, () => this.commandNow(name, { kind: 'delete' }));
  }

  // ---------------------------------------------------------------- commands

  command(name: string, op: PairOp): Promise<PairResult> {
    return this.queue.run(name, () => this.commandNow(name, op));
  }

  private async commandNow(name: string, given: PairOp | DeleteOp): Promise<PairResult> {
    const rt = this.pairs.get(name);
    if (!rt) return abnormal('not-found', `no pair named ${name}`);
    if (rt.rec.attribute === 'P-VOL') return this.execute(rt, given, 'P-VOL');
    // On the S side an operator's `resync --discard` is a swap resync with that choice
    // ('local' still names this side's data), so the same command works from either side.
    const op: PairOp | DeleteOp = given.kind === 'resync' && given.discard ? { kind: 'swap', discard: given.discard } : given;
    if (!this.o.link.connected) {
      // Only a forced S-VOL takeover is decided here; everything else needs the P side.
      const d = decidePairCommand(this.snapshot(rt), 'S-VOL', op, { peerReachable: false });
      if ('result' in d) return d;
      if (d.noop) return this.normal(rt);
      if (d.next === 'SSWS') return this.svolTakeover(rt);
      return abnormal('peer-unreachable', `the P side of ${name} cannot be reached`);
    }
    const before = this.info(rt);
    const res = await this.forward<PairResult>(PeerKind.command, { name, op } satisfies CommandMsg);
    if (res.result === 'ABNORMAL') return res;
    // Answer from this array's point of view (the P side answered from its own).
    const now = this.pairs.get(name);
    return now ? this.normal(now) : { result: 'NORMAL', pair: asDeleted(before) };
  }

  groupCommand(group: string, op: PairOp): Promise<PairListResponse> {
    return this.queue.run(`group:${group}`, async () => {
      const members = [...this.pairs.values()].filter((rt) => rt.rec.group === group);
      if (members.length === 0) return abnormal('not-found', `no pairs in group ${group}`);
      if (members.some((rt) => rt.rec.attribute !== members[0].rec.attribute)) {
        return abnormal('invalid-state', `group ${group} has both P-VOLs and S-VOLs on this array`);
      }
      if (members[0].rec.attribute === 'S-VOL') {
        if (!this.o.link.connected) return abnormal('peer-unreachable', `the P side of group ${group} cannot be reached`);
        const res = await this.forward<PairListResponse>(PeerKind.group, { group, op } satisfies GroupMsg);
        if (res.result === 'ABNORMAL') return res;
        return { result: 'NORMAL', pairs: members.map((rt) => this.info(rt)) };
      }
      return this.groupOnPrimary(members, op);
    });
  }

  /** All members are decided first; only when every one is accepted do they change, in one turn. */
  private async groupOnPrimary(members: PairRuntime[], op: PairOp): Promise<PairListResponse> {
    for (const rt of members) {
      const d = decidePairCommand(this.snapshot(rt), 'P-VOL', op, { peerReachable: this.o.link.connected });
      if ('result' in d) return abnormal(d.reason, `${rt.rec.name}: ${d.message}`);
    }
    const results = await Promise.all(members.map((rt) => this.execute(rt, op, 'P-VOL')));
    const bad = results.find((r): r is Abnormal => r.result === 'ABNORMAL');
    if (bad) return bad;
    return { result: 'NORMAL', pairs: members.map((rt) => this.info(rt)) };
  }

  /** Decide and apply a command on the array holding the P-VOL (or a forced S-VOL takeover). */
  private async execute(rt: PairRuntime, op: PairOp | DeleteOp, givenTo: Attribute, holder?: string): Promise<PairResult> {
    const d = decidePairCommand(this.snapshot(rt), givenTo, op, { peerReachable: this.o.link.connected });
    if ('result' in d) return d;
    if (op.kind === 'delete') {
      const info = this.info(rt);
      this.drop(rt, `pair deleted (given to the ${givenTo})`);
      // The S side forgets the pair too; if it cannot be told now it keeps a read-only S-VOL
      // until it is deleted there (or taken over with --force).
      if (this.o.link.connected) await this.o.link.request(PeerKind.remove, { name: rt.rec.name } satisfies NameMsg).catch(() => undefined);
      return { result: 'NORMAL', pair: asDeleted(info) };
    }
    if (d.noop) {
      if (holder !== undefined) this.setHolder(rt, holder);
      return this.normal(rt);
    }
    if (d.swapRoles) return this.swap(rt, d.copy === 'full', holder);
    const r = rt.rec;
    const from = r.state;
    r.svolWritable = d.svolWritable;
    r.pvolTakeover = d.pvolTakeover;
    if (op.kind === 'split') {
      rt.copy?.stop();
      r.resyncPending = false;
    }
    if (op.kind === 'resync' || op.kind === 'swap') {
      r.resyncPending = d.deferred;
      if (d.copy === 'full') {
        r.splitBrain = false;
        rt.tracker.markAllDirty();
      }
    }
    r.state = d.next;
    if (holder !== undefined) r.holder = holder;
    this.persist(rt);
    this.emit(rt, from, d.next, `${op.kind} given to the ${givenTo}`);
    if (d.next === 'COPY') await this.beginResync(rt);
    else this.pushUpdate(rt, false);
    return this.normal(rt);
  }

  /** Forced S-VOL takeover (SSWS): the S-VOL becomes writable without the P side. A possible data-loss point. */
  private svolTakeover(rt: PairRuntime): PairResult {
    const from = rt.rec.state;
    rt.rec.state = 'SSWS';
    rt.rec.generation = forkGeneration(rt.rec.generation, this.o.ids.next());
    rt.rec.diverged = true;
    this.persist(rt);
    this.o.log.warn({ pair: rt.rec.name, from }, 'FORCED S-VOL TAKEOVER (SSWS): writes acknowledged by the P-VOL after the link failed are not on this volume; possible data loss');
    this.emit(rt, from, 'SSWS', 'forced S-VOL takeover (--force): possible data-loss point');
    return this.normal(rt);
  }

  /**
   * Swap at the P-side array (SPEC §6.4): this P-VOL stops accepting host writes (it becomes
   * the S-VOL) before the peer is told to become the P-VOL, so the old P-VOL never accepts a
   * write after the new one accepted its first.
   */
  private async swap(rt: PairRuntime, full: boolean, holder?: string): Promise<PairResult> {
    const r = rt.rec;
    const from = r.state;
    rt.copy?.stop();
    if (full) rt.tracker.markAllDirty();
    r.attribute = 'S-VOL';
    r.state = 'COPY';
    r.swapping = true;
    r.svolWritable = false;
    r.pvolTakeover = false;
    r.resyncPending = false;
    r.splitBrain = false;
    r.holder = null;
    this.persist(rt);
    this.emit(rt, from, 'COPY', 'swap: this volume is now the S-VOL');
    try {
      await this.promotePeer(rt);
    } catch (err) {
      // The peer may or may not have taken the P-VOL role; `swapping` makes the next link-up finish it.
      this.o.log.warn({ pair: r.name, err: (err as Error).message }, 'swap: peer did not confirm the promotion; will retry at reconnect');
      return abnormal('peer-unreachable', `swap of ${r.name} not confirmed by the peer: ${(err as Error).message}`);
    }
    this.finishSwap(rt);
    if (holder !== undefined) this.setHolder(rt, holder);
    return this.normal(rt);
  }

  private finishSwap(rt: PairRuntime): void {
    rt.rec.swapping = false;
    rt.tracker.clearDirty();
    rt.rec.diverged = false;
    this.persist(rt);
  }

  // ---------------------------------------------------------------- reservations (SPEC §6.1, §6.2)

  reserve(name: string, host: string): Promise<ReservationResult> {
    return this.queue.run(name, async () => {
      const rt = this.pairs.get(name);
      if (!rt) return abnormal('not-found', `no pair named ${name}`);
      const d = decideReserve({ attribute: rt.rec.attribute, state: rt.rec.state, holder: rt.rec.holder }, host);
      if ('result' in d) return d;
      if (d.action === 'renewed') return { ...this.normal(rt), action: 'renewed' as const };
      if (d.command === 'resync') {
        // The P side: the resync and the reservation are one synchronous step.
        const res = await this.execute(rt, { kind: 'resync' }, 'P-VOL', host);
        return res.result === 'NORMAL' ? { ...res, action: 'reserved' as const } : res;
      }
      if (!this.o.link.connected) return abnormal('peer-unreachable', `the P side of ${name} cannot be reached`);
      const res = await this.forward<PairResult>(PeerKind.command, { name, op: { kind: 'swap' } } satisfies CommandMsg);
      if (res.result === 'ABNORMAL') return res;
      const now = this.pairs.get(name);
      if (!now) return abnormal('not-found', `pair ${name} disappeared during reserve`);
      this.setHolder(now, host);
      return { ...this.normal(now), action: 'reserved' as const };
    });
  }

  release(name: string, host: string): Promise<ReservationResult> {
    return this.queue.run(name, async () => {
      const rt = this.pairs.get(name);
      if (!rt) return abnormal('not-found', `no pair named ${name}`);
      const d = decideRelease({ attribute: rt.rec.attribute, state: rt.rec.state, holder: rt.rec.holder }, host);
      if ('result' in d) return d;
      const res = rt.rec.attribute === 'P-VOL' ? await this.resetOnPrimary(rt, 'released by its holder') : await this.resetViaPrimary(rt);
      if (res) return res;
      this.setHolder(rt, null);
      return { ...this.normal(rt), action: 'released' as const };
    });
  }

  reset(name: string): Promise<ReservationResult> {
    return this.queue.run(name, async () => {
      const rt = this.pairs.get(name);
      if (!rt) return abnormal('not-found', `no pair named ${name}`);
      const res = rt.rec.attribute === 'P-VOL' ? await this.resetOnPrimary(rt, 'reset (challenge)') : await this.resetViaPrimary(rt);
      if (res) return res;
      this.setHolder(rt, null);
      return { ...this.normal(rt), action: 'reset' as const };
    });
  }

  /** Split the determining pair to PSUS (free) and drop both arrays' reservations. */
  private async resetOnPrimary(rt: PairRuntime, why: string): Promise<Abnormal | null> {
    const from = rt.rec.state;
    rt.copy?.stop();
    if (from === 'COPY' || from === 'PAIR' || from === 'PSUE') rt.rec.state = 'PSUS';
    rt.rec.resyncPending = false;
    rt.rec.holder = null;
    this.persist(rt);
    if (from !== rt.rec.state) this.emit(rt, from, rt.rec.state, why);
    this.pushUpdate(rt, false);
    if (this.o.link.connected) await this.o.link.request(PeerKind.dropHolder, { name: rt.rec.name } satisfies NameMsg).catch(() => undefined);
    return null;
  }

  private async resetViaPrimary(rt: PairRuntime): Promise<Abnormal | null> {
    if (!this.o.link.connected) return abnormal('peer-unreachable', `the P side of ${rt.rec.name} cannot be reached`);
    try {
      await this.o.link.request(PeerKind.reset, { name: rt.rec.name } satisfies NameMsg);
      return null;
    } catch (err) {
      return toAbnormal(err);
    }
  }

  private setHolder(rt: PairRuntime, holder: string | null): void {
    if (rt.rec.holder === holder) return;
    rt.rec.holder = holder;
    this.persist(rt);
    this.events.emit('event', this.event(rt, { type: 'reservation', holder }));
  }

  // ---------------------------------------------------------------- copy and failures

  /** Resync: take the S side's changed regions into ours (union), then copy. */
  private async beginResync(rt: PairRuntime): Promise<void> {
    if (!this.o.link.connected) return;
    try {
      const reply = await this.o.link.request<{ bits: string }>(PeerKind.bits, { name: rt.rec.name } satisfies NameMsg);
      this.mergeBits(rt, reply.bits);
    } catch (err) {
      this.linkFailure(rt, err);
      return;
    }
    this.pushUpdate(rt, true);
    this.startCopy(rt);
  }

  private mergeBits(rt: PairRuntime, base64: string | undefined): void {
    if (!base64) return;
    const theirs = Buffer.from(base64, 'base64');
    const union = Uint8Array.from(rt.tracker.dirty.bits);
    for (let i = 0; i < union.length && i < theirs.length; i++) union[i] |= theirs[i];
    rt.tracker.replaceDirty(union);
  }

  private startCopy(rt: PairRuntime): void {
    rt.copy?.stop();
    rt.rec.remoteMarked = false;
    rt.rec.copyTotal = Math.max(1, rt.tracker.dirtyCount());
    this.persist(rt);
    rt.copy = new CopyEngine(rt, this.o.link, { done: (x) => this.copyDone(x), failed: (x, err) => this.linkFailure(x, err) }, rt.rec.pace);
    rt.copy.start();
  }

  private copyDone(rt: PairRuntime): void {
    if (this.pairs.get(rt.rec.name) !== rt || rt.rec.attribute !== 'P-VOL') return;
    const next = onCopyComplete(rt.rec.state);
    if (next === rt.rec.state) return;
    // Both sides hold the same data now; the S side adopted this generation when the copy began.
    rt.rec.diverged = false;
    this.setState(rt, next, 'copy complete');
    this.pushUpdate(rt, false);
  }

  /** The peer could not be reached for this pair: COPY/PAIR become PSUE, resync when it returns. */
  private linkFailure(rt: PairRuntime, cause: unknown): void {
    rt.copy?.stop();
    const next = onLinkLost(rt.rec.state);
    if (next === rt.rec.state) return;
    rt.rec.resyncPending = rt.rec.attribute === 'P-VOL' && !rt.rec.splitBrain;
    this.setState(rt, next, `remote copy failed: ${(cause as Error)?.message ?? String(cause)}`);
  }

  private async copyFailed(rt: PairRuntime, cause: unknown): Promise<{ ack: boolean }> {
    const marked = rt.rec.fence === 'status' && (await this.markRemoteSuspended(rt));
    const outcome = onCopyFailure(rt.rec.fence, marked);
    if (rt.rec.state !== outcome.next) this.linkFailure(rt, cause);
    return { ack: outcome.ack };
  }

  private async markRemoteSuspended(rt: PairRuntime): Promise<boolean> {
    if (rt.rec.remoteMarked) return true;
    if (!this.o.link.connected) return false;
    const ok = await this.o.link.request(PeerKind.suspend, { name: rt.rec.name } satisfies NameMsg).then(
      () => true,
      () => false,
    );
    if (ok) {
      rt.rec.remoteMarked = true;
      this.persist(rt);
    }
    return ok;
  }

  private diverging(rt: PairRuntime): void {
    rt.rec.diverged = true;
    // Only a side that writes while the other is not receiving forks its generation: the P-VOL
    // when suspended, an S-VOL after a forced takeover. An S-VOL split --svol-writable is
    // overwritten by the next resync by design (Hitachi semantics) and does not fork.
    if (rt.rec.attribute === 'P-VOL' || rt.rec.state === 'SSWS') {
      rt.rec.generation = forkGeneration(rt.rec.generation, this.o.ids.next());
    }
    this.persist(rt);
  }

  // ---------------------------------------------------------------- link up / down

  private onLinkDown(reason: string): void {
    this.o.log.warn({ reason }, 'peer link down');
    this.events.emit('event', { time: this.o.clock.isoTime(), array: this.o.name, type: 'peer', detail: `down: ${reason}` } satisfies ArrayEvent);
    for (const rt of this.pairs.values()) this.linkFailure(rt, new Error(`peer link down: ${reason}`));
  }

  private async onLinkUp(): Promise<void> {
    this.events.emit('event', { time: this.o.clock.isoTime(), array: this.o.name, type: 'peer', detail: `up: ${this.o.link.peerName}` } satisfies ArrayEvent);
    for (const rt of [...this.pairs.values()]) {
      if (rt.rec.swapping) {
        void this.queue.run(rt.rec.name, () => this.retryPromote(rt));
      } else if (rt.rec.attribute === 'P-VOL') {
        void this.queue.run(rt.rec.name, () => this.reconcile(rt));
      }
    }
  }

  /** Tell the peer to take the P-VOL role, with our changed regions (idempotent: a retry is answered as done). */
  private async promotePeer(rt: PairRuntime): Promise<void> {
    await this.o.link.request(PeerKind.promote, { name: rt.rec.name, bits: dirtyBits(rt), generation: rt.rec.generation } satisfies PromoteMsg);
  }

  private async retryPromote(rt: PairRuntime): Promise<void> {
    if (this.pairs.get(rt.rec.name) !== rt || !rt.rec.swapping) return;
    try {
      await this.promotePeer(rt);
      this.finishSwap(rt);
    } catch (err) {
      this.o.log.warn({ pair: rt.rec.name, err: (err as Error).message }, 'swap still not confirmed by the peer');
    }
  }

  /** At link-up the P side compares both views and resumes copying when it safely can (SPEC §3.4). */
  private async reconcile(rt: PairRuntime): Promise<void> {
    if (this.pairs.get(rt.rec.name) !== rt || rt.rec.attribute !== 'P-VOL') return;
    let peer: SyncReply;
    try {
      peer = await this.o.link.request<SyncReply>(PeerKind.sync, { name: rt.rec.name, state: rt.rec.state, generation: rt.rec.generation } satisfies SyncMsg);
    } catch {
      return;
    }
    const r = rt.rec;
    if (!peer.known) {
      // Not dropped automatically (reconcileOnReconnect's SMPL): the operator deletes it here.
      this.o.log.warn({ pair: r.name }, 'the peer has no record of this pair; it stays suspended until deleted here');
      rt.unconfirmed = false;
      if (r.resyncPending) {
        r.resyncPending = false;
        this.persist(rt);
      }
      return;
    }
    if (peer.attribute === 'P-VOL') {
      this.flagSplitBrain(rt, 'both arrays hold the P-VOL of this pair');
      return;
    }
    const cmp = compareGenerations(r.generation, peer.generation!);
    if (reconcileOnReconnect(r.state, peer.state!) === 'SSWS') {
      // The S side was taken over by force: the pair waits for a swap resync from that side.
      // If this P-VOL was written too, both diverged and the operator must choose.
      this.setState(rt, 'SSWS', 'the S-VOL was taken over (SSWS); resolve with swap resync from the S side');
      if (cmp === 'split-brain' || rt.rec.diverged) this.flagSplitBrain(rt, 'S-VOL was taken over (SSWS) while the P-VOL kept being written');
      else this.pushUpdate(rt, false);
      return;
    }
    if (cmp === 'split-brain' || cmp === 'unrelated') {
      this.flagSplitBrain(rt, `generations ${cmp}`);
      return;
    }
    const { next, copy } = onLinkRestored(r.state, r.resyncPending);
    if (copy === 'bitmap') {
      this.mergeBits(rt, peer.bits);
      r.resyncPending = false;
      // Copying again: the fence-data override of a P-VOL takeover has done its job.
      r.pvolTakeover = false;
      this.setState(rt, next, 'peer link is back: resuming copy');
      this.pushUpdate(rt, true);
      this.startCopy(rt);
      return;
    }
    this.pushUpdate(rt, false);
  }

  private flagSplitBrain(rt: PairRuntime, why: string): void {
    rt.copy?.stop();
    const from = rt.rec.state;
    if (from === 'COPY' || from === 'PAIR') rt.rec.state = 'PSUE';
    rt.rec.splitBrain = true;
    rt.rec.resyncPending = false;
    this.persist(rt);
    this.o.log.error({ pair: rt.rec.name, why }, 'SPLIT BRAIN: automatic resync refused; choose with `pairvol pair resync NAME --discard local|remote`');
    this.events.emit('event', this.event(rt, { type: 'pair-state', detail: `split brain: ${why}` }));
    this.pushUpdate(rt, false);
  }

  // ---------------------------------------------------------------- the S side of the peer protocol

  private registerPeerHandlers(): void {
    const link = this.o.link;
    link.onData((channel, offset, data, flags) => {
      const rt = this.pairs.get(channel);
      if (!rt || rt.rec.attribute !== 'S-VOL') throw new Error(`not-paired: no S-VOL of pair ${channel} on ${this.o.name}`);
      return rt.applyReplicated(offset, data, flags);
    });
    link.onRequest(PeerKind.create, (m: CreateMsg) => this.peerCreate(m));
    link.onRequest(PeerKind.update, (m: UpdateMsg) => this.peerUpdate(m));
    link.onRequest(PeerKind.command, (m: CommandMsg) => this.peerCommand(m));
    link.onRequest(PeerKind.group, (m: GroupMsg) => this.groupCommand(m.group, m.op));
    link.onRequest(PeerKind.remove, (m: NameMsg) => {
      const rt = this.pairs.get(m.name);
      if (rt && rt.rec.attribute === 'S-VOL') this.drop(rt, 'pair deleted by the P side');
      return {};
    });
    link.onRequest(PeerKind.flush, async (m: NameMsg) => {
      const rt = this.sideOf(m.name, 'S-VOL');
      await Promise.all([rt.volume.flush(), rt.tracker.sync()]);
      return {};
    });
    link.onRequest(PeerKind.suspend, (m: NameMsg) => {
      const rt = this.sideOf(m.name, 'S-VOL');
      this.setState(rt, 'PSUE', 'marked suspended by the P side (fence status)');
      return {};
    });
    link.onRequest(PeerKind.promote, (m: PromoteMsg) => this.peerPromote(m));
    link.onRequest(PeerKind.sync, (m: SyncMsg) => this.peerSync(m));
    link.onRequest(PeerKind.bits, (m: NameMsg) => ({ bits: dirtyBits(this.sideOf(m.name, 'S-VOL')) }));
    link.onRequest(PeerKind.reset, (m: NameMsg) =>
      this.queue.run(m.name, async () => {
        const rt = this.sideOf(m.name, 'P-VOL');
        await this.resetOnPrimary(rt, 'reset (challenge) given to the S side');
        return {};
      }),
    );
    link.onRequest(PeerKind.dropHolder, (m: NameMsg) => {
      const rt = this.pairs.get(m.name);
      if (rt) this.setHolder(rt, null);
      return {};
    });
  }

  private sideOf(name: string, attribute: 'P-VOL' | 'S-VOL'): PairRuntime {
    const rt = this.pairs.get(name);
    if (!rt) throw encodeReason('not-found', `no pair named ${name} on array ${this.o.name}`);
    if (rt.rec.attribute !== attribute) throw encodeReason('invalid-state', `${name} is the ${rt.rec.attribute} on array ${this.o.name}, not the ${attribute}`);
    return rt;
  }

  private async peerCreate(m: CreateMsg): Promise<object> {
    if (this.pairs.has(m.name)) throw encodeReason('exists', `pair ${m.name} already exists on array ${this.o.name}`);
    const vol = this.o.volumes.get(m.svol);
    if (!vol) throw encodeReason('not-found', `no volume named ${m.svol} on array ${this.o.name}`);
    const user = this.pairOfVolume(m.svol);
    if (user) throw encodeReason('invalid-state', `volume ${m.svol} on array ${this.o.name} is already in pair ${user}`);
    if (vol.size !== m.size) throw encodeReason('invalid-state', `S-VOL ${m.svol} is ${vol.size} bytes, the P-VOL ${m.pvol} is ${m.size}: sizes must match`);
    if (m.regionSize !== this.o.regionSize) throw encodeReason('invalid-state', `regionSize differs between arrays (${m.regionSize} vs ${this.o.regionSize})`);
    const rec = recordFromCreate(m, 'S-VOL', m.pvolArray);
    const rt = this.attach(rec)!;
    this.persist(rt);
    rt.tracker.clearDirty();
    this.emit(rt, 'SMPL', m.state, 'pair created by the P side');
    // Host writes that began before this volume became an S-VOL finish before the P side starts copying.
    await this.drainVolume(rec.localVolume);
    return {};
  }

  private peerUpdate(m: UpdateMsg): object {
    const rt = this.sideOf(m.name, 'S-VOL');
    const r = rt.rec;
    const from = r.state;
    r.fence = m.fence;
    r.group = m.group;
    r.svolWritable = m.svolWritable;
    r.splitBrain = m.splitBrain;
    if (m.state === 'PAIR' || m.state === 'COPY') {
      r.generation = m.generation;
      rt.rec.diverged = false;
    }
    r.state = m.state;
    this.persist(rt);
    if (m.clearBits) rt.tracker.clearDirty();
    if (from !== r.state) this.emit(rt, from, r.state, 'state from the P side');
    return {};
  }

  private async peerCommand(m: CommandMsg): Promise<PairResult> {
    return this.queue.run(m.name, async () => {
      const rt = this.pairs.get(m.name);
      if (!rt) return abnormal('not-found', `no pair named ${m.name} on array ${this.o.name}`);
      if (rt.rec.attribute !== 'P-VOL') return abnormal('invalid-state', `${m.name} is not the P-VOL on array ${this.o.name} either`);
      return this.execute(rt, m.op, 'S-VOL');
    });
  }

  private peerPromote(m: PromoteMsg): object {
    const rt = this.pairs.get(m.name);
    if (!rt) throw encodeReason('not-found', `no pair named ${m.name} on array ${this.o.name}`);
    if (rt.rec.attribute === 'P-VOL') return {}; // already promoted: the retry of a swap
    const r = rt.rec;
    const from = r.state;
    this.mergeBits(rt, m.bits);
    r.attribute = 'P-VOL';
    r.state = 'COPY';
    r.svolWritable = false;
    r.splitBrain = false;
    r.resyncPending = false;
    r.pvolTakeover = false;
    // Same lineage as the old P side (it keeps this generation too), so a crash before the
    // copy completes is not mistaken for a split brain; the completed copy makes a fresh one.
    r.generation = m.generation;
    rt.rec.diverged = false;
    this.persist(rt);
    this.emit(rt, from, 'COPY', 'swap: this volume is now the P-VOL');
    // The copy starts after the reply, so the old P side has finished becoming the S-VOL.
    this.o.clock.defer(() => {
      if (this.pairs.get(r.name) === rt && r.attribute === 'P-VOL' && r.state === 'COPY') {
        this.pushUpdate(rt, false);
        this.startCopy(rt);
      }
    });
    return {};
  }

  private peerSync(m: SyncMsg): SyncReply {
    const rt = this.pairs.get(m.name);
    if (!rt) return { known: false };
    const r = rt.rec;
    return {
      known: true,
      attribute: r.attribute,
      state: r.state,
      generation: r.generation,
      diverged: rt.rec.diverged,
      bits: dirtyBits(rt),
    };
  }

  // ---------------------------------------------------------------- helpers

  private attach(rec: PairRecord): PairRuntime | undefined {
    const vol = this.o.volumes.get(rec.localVolume);
    if (!vol) {
      this.o.log.error({ pair: rec.name, volume: rec.localVolume }, 'pair record names a volume that is not available; pair not loaded');
      return undefined;
    }
    const tracker = RegionTracker.open(this.o.regions.open(rec.name, RegionTracker.byteLength(vol.size, this.o.regionSize)), vol.size, this.o.regionSize, this.o.clock);
    const rt = new PairRuntime(rec, vol.device, tracker, this.o.link, this.o.clock, {
      copyFailed: (x, cause) => this.copyFailed(x, cause),
      markRemoteSuspended: (x) => this.markRemoteSuspended(x),
      diverging: (x) => this.diverging(x),
    });
    this.pairs.set(rec.name, rt);
    return rt;
  }

  private drop(rt: PairRuntime, why: string): void {
    rt.copy?.stop();
    const from = rt.rec.state;
    this.o.store.remove(rt.rec.name);
    this.pairs.delete(rt.rec.name);
    rt.tracker.close();
    this.o.regions.remove(rt.rec.name);
    this.events.emit('event', this.event(rt, { type: 'pair-state', from, to: 'SMPL', detail: why }));
  }

  private setState(rt: PairRuntime, next: PairState, why: string): void {
    const from = rt.rec.state;
    rt.rec.state = next;
    this.persist(rt);
    if (from !== next) this.emit(rt, from, next, why);
  }

  /**
   * Save the record, after checking that it is one the pair layer may hold. A runtime that is
   * no longer this array's pair (deleted while a request on it was still running) saves nothing:
   * a deleted pair must not come back at the next start.
   */
  private persist(rt: PairRuntime): void {
    if (this.pairs.get(rt.rec.name) !== rt) return;
    assertPairRecord(rt.rec);
    this.o.store.save(rt.rec);
  }

  /**
   * Tell the S side the pair's state. Best effort: an update that cannot be delivered leaves the
   * pair `unconfirmed`, and the repair pass sends the state again until the S side has it.
   */
  private pushUpdate(rt: PairRuntime, clearBits: boolean): void {
    if (rt.rec.attribute !== 'P-VOL') return;
    const sent = ++rt.updatesSent;
    rt.unconfirmed = true;
    if (!this.o.link.connected) return;
    const r = rt.rec;
    const msg: UpdateMsg = { name: r.name, state: r.state, fence: r.fence, group: r.group, svolWritable: r.svolWritable, splitBrain: r.splitBrain, generation: r.generation, clearBits };
    this.o.link.request(PeerKind.update, msg).then(
      () => {
        if (rt.updatesSent === sent) rt.unconfirmed = false;
      },
      (err: Error) => this.o.log.warn({ pair: r.name, err: err.message }, 'state update to the S side failed; the repair pass sends it again'),
    );
  }

  // ---------------------------------------------------------------- repair: back in step by itself

  /**
   * A pair can fall out of step with its peer while the link stays up: a data frame or request
   * times out (a stalled disk, a slow or lossy link), an update is lost, a swap's promotion was
   * interrupted. Link-up alone would never retry them, so every repairIntervalMs, while the link
   * is up, each pair that is out of step is retried: a swap is finished, a suspended P-VOL with a
   * resync pending is reconciled (and resumes copying when fence and generations allow), an
   * unconfirmed state is sent again.
   */
  private scheduleRepair(): void {
    if (this.closed) return;
    this.repairTimer = this.o.clock.after(this.o.repairIntervalMs ?? DEFAULT_REPAIR_MS, () => {
      this.repairTimer = null;
      this.repairPass();
      this.scheduleRepair();
    });
  }

  private repairPass(): void {
    if (!this.o.link.connected) return;
    for (const rt of [...this.pairs.values()]) {
      if (rt.repairing) continue;
      const job = this.repairJob(rt);
      if (!job) continue;
      rt.repairing = true;
      void this.queue.run(rt.rec.name, job).finally(() => (rt.repairing = false));
    }
  }

  private repairJob(rt: PairRuntime): (() => Promise<void>) | null {
    const r = rt.rec;
    if (r.swapping) return () => this.retryPromote(rt);
    if (r.attribute !== 'P-VOL') return null;
    if ((r.resyncPending && !r.splitBrain) || rt.unconfirmed) return () => this.reconcile(rt);
    return null;
  }

  private snapshot(rt: PairRuntime): PairSnapshot {
    const r = rt.rec;
    return { state: r.state, svolWritable: r.svolWritable, fence: r.fence, splitBrain: r.splitBrain, pvolTakeover: r.pvolTakeover };
  }

  private emit(rt: PairRuntime, from: PairState, to: PairState, detail: string): void {
    this.o.log.info({ pair: rt.rec.name, attribute: rt.rec.attribute, from, to }, detail);
    this.events.emit('event', this.event(rt, { type: 'pair-state', from, to, detail }));
  }

  private event(rt: PairRuntime, e: Partial<ArrayEvent> & Pick<ArrayEvent, 'type'>): ArrayEvent {
    return { time: this.o.clock.isoTime(), array: this.o.name, pair: rt.rec.name, attribute: rt.rec.attribute, ...e };
  }

  private normal(rt: PairRuntime): { result: 'NORMAL'; pair: PairInfo } {
    return { result: 'NORMAL', pair: this.info(rt) };
  }

  /** A request to the peer whose failure is an ABNORMAL END; null when it succeeded. */
  private async ask(kind: string, body: unknown): Promise<Abnormal | null> {
    try {
      await this.o.link.request(kind, body);
      return null;
    } catch (err) {
      return toAbnormal(err);
    }
  }

  private async forward<T extends object>(kind: string, body: unknown): Promise<T | Abnormal> {
    try {
      return await this.o.link.request<T>(kind, body);
    } catch (err) {
      return toAbnormal(err);
    }
  }
}

type DeleteOp = { kind: 'delete' };

/** A side's changed regions as they cross the peer link (base64 of the bitmap bytes). */
function dirtyBits(rt: PairRuntime): string {
  return Buffer.from(rt.tracker.dirty.bits).toString('base64');
}

/** How a pair reads once it is deleted: both volumes are simple volumes again. */
function asDeleted(info: PairInfo): PairInfo {
  return { ...info, state: 'SMPL', displayState: 'SMPL', attribute: 'SMPL', access: 'read-write', holder: null };
}

/** COPY: share copied so far; PAIR: 100; suspended: share of regions still identical (as pairdisplay shows). */
function copyPercent(state: PairState, copyTotal: number, dirty: number, regions: number): number {
  if (state === 'PAIR') return 100;
  if (state === 'COPY') return copyTotal > 0 ? Math.floor((100 * Math.max(0, copyTotal - dirty)) / copyTotal) : 0;
  return Math.floor(100 - pct(dirty, regions));
}

function pct(n: number, total: number): number {
  return total === 0 ? 0 : Math.round((1000 * n) / total) / 10;
}

/** Peer errors arrive as "reason: message"; anything else means the peer could not be reached. */
function toAbnormal(err: unknown): Abnormal {
  const text = (err as Error)?.message ?? String(err);
  const m = REASON_PREFIX.exec(text);
  if (m) return abnormal(m[1] as Reason, m[2]);
  return abnormal('peer-unreachable', text);
}
