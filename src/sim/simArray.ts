// One simulated array: its view of the determining pair and of the data pair, and the pair
// layer of src/array/pairs/pairManager.ts replayed over simulated messages. Every decision is a
// core function; this file only moves state and messages the way the real array does.
import { decidePairCommand, onCopyComplete, onLinkLost, type PairCommand, type PairSnapshot } from '../core/pairCommand.js';
import { onCopyFailure } from '../core/fence.js';
import { hostAccess, type AccessView } from '../core/access.js';
import { decideRelease, decideReserve } from '../core/reservation.js';
import { compareGenerations, forkGeneration, type Generation } from '../core/generation.js';
import { abnormal, type Abnormal, type Attribute, type Fence, type PairState } from '../core/types.js';
import type { Scheduler } from './scheduler.js';

export type PairName = 'det' | 'data';
export const PAIR_NAMES: readonly PairName[] = ['det', 'data'];
/** Regions of each volume: few, so that writes collide and bitmaps matter. */
export const REGIONS = 4;

/** What an array persists for a pair before it acts or answers (a crash keeps all of it). */
export interface PairRec {
  attribute: Attribute;
  state: PairState;
  fence: Fence;
  svolWritable: boolean;
  pvolTakeover: boolean;
  splitBrain: boolean;
  resyncPending: boolean;
  remoteMarked: boolean;
  swapping: boolean;
  holder: string | null;
  generation: Generation;
  /** Changed regions not yet on the peer (the bitmap). */
  dirty: Set<number>;
  /** The volume: region -> sequence number of the last write that landed there. */
  content: Map<number, number>;
}

export type Answer = { result: 'NORMAL' } | Abnormal;
const NORMAL: Answer = { result: 'NORMAL' };

/** Deliberate deviations from the real arrays (src/array/pairs/pairManager.ts). */
export interface SimBugs {
  /** A planted bug: the S side grants a reservation by itself when the P side cannot be reached. */
  sSideReservesWithLinkDown?: boolean;
  /**
   * A fixed bug, kept as a regression check (docs/simulation.md, "Findings"): the array minted
   * an unrelated generation ({new, parent null}) when a copy completed and when a swap promoted
   * the S side; when the update carrying it to the peer was lost, the next reconnect saw
   * 'unrelated' generations and flagged a split brain that no host could clear.
   */
  unrelatedGenerations?: boolean;
}

/** What an array needs from the simulated world. */
export interface ArrayEnv {
  sched: Scheduler;
  bugs: SimBugs;
  trace(line: string): void;
  newGenerationId(): string;
  /** A request over the remote copy link; `done(null)` when it was lost or timed out. */
  peerRequest<T>(from: SimArray, what: string, handle: (peer: SimArray, reply: (r: T) => void) => void, done: (r: T | null) => void): void;
}

interface SyncReply {
  attribute: Attribute;
  state: PairState;
  generation: Generation;
  forked: boolean;
  dirty: number[];
}

export class SimArray {
  up = true;
  /** This array believes the peer link is connected. */
  linkView = false;
  private epoch = 0;
  /** Host writes since the last fork point (runtime, recomputed at restart). */
  private readonly forked: Record<PairName, boolean> = { det: false, data: false };
  private readonly copyToken: Record<PairName, number> = { det: 0, data: 0 };
  private queues: Record<PairName, (() => void)[]> = { det: [], data: [] };
  private busy: Record<PairName, boolean> = { det: false, data: false };

  constructor(
    readonly name: string,
    readonly pairs: Record<PairName, PairRec>,
    private readonly env: ArrayEnv,
  ) {}

  get connected(): boolean {
    return this.up && this.linkView;
  }

  accessView(pair: PairName): AccessView {
    const r = this.pairs[pair];
    return { attribute: r.attribute, state: r.state, fence: r.fence, svolWritable: r.svolWritable, pvolTakeover: r.pvolTakeover };
  }

  // ------------------------------------------------------------ life cycle

  crash(): void {
    this.up = false;
    this.linkView = false;
    this.epoch++;
    this.queues = { det: [], data: [] };
    this.busy = { det: false, data: false };
    for (const p of PAIR_NAMES) this.copyToken[p]++;
  }

  /** Like PairManager.open(): pairs that were copying or paired wait for the link as PSUE. */
  restart(): void {
    this.up = true;
    for (const p of PAIR_NAMES) {
      const r = this.pairs[p];
      this.forked[p] = r.generation.parent !== null;
      const next = onLinkLost(r.state);
      if (next !== r.state) {
        r.resyncPending = true;
        this.setState(p, next, 'array restarted');
      }
    }
  }

  linkDown(): void {
    this.linkView = false;
    for (const p of PAIR_NAMES) this.linkFailure(p, 'peer link down');
  }

  linkUp(): void {
    this.linkView = true;
    for (const p of PAIR_NAMES) {
      if (this.pairs[p].swapping) this.exclusive(p, (done) => this.retryPromote(p, done));
      else if (this.pairs[p].attribute === 'P-VOL') this.exclusive(p, (done) => this.reconcile(p, done));
    }
  }

  // ------------------------------------------------------------ commands from hosts and operators

  reserve(pair: PairName, host: string, answer: (a: Answer) => void): void {
    this.exclusive(pair, (done) => {
      const reply = this.finish(done, answer);
      const r = this.pairs[pair];
      const d = decideReserve({ attribute: r.attribute, state: r.state, holder: r.holder }, host);
      if ('result' in d) return reply(d);
      if (d.action === 'renewed') return reply(NORMAL);
      if (d.command === 'resync') return this.execute(pair, { kind: 'resync' }, 'P-VOL', host, reply);
      if (!this.connected) {
        if (this.env.bugs.sSideReservesWithLinkDown) {
          r.holder = host;
          return reply(NORMAL);
        }
        return reply(abnormal('peer-unreachable', `the P side of ${pair} cannot be reached`));
      }
      this.forward(pair, { kind: 'swap' }, (res) => {
        if (res.result === 'NORMAL') this.pairs[pair].holder = host;
        reply(res);
      });
    });
  }

  release(pair: PairName, host: string, answer: (a: Answer) => void): void {
    this.exclusive(pair, (done) => {
      const reply = this.finish(done, answer);
      const r = this.pairs[pair];
      const d = decideRelease({ attribute: r.attribute, state: r.state, holder: r.holder }, host);
      if ('result' in d) return reply(d);
      this.resetSomewhere(pair, 'released by its holder', reply);
    });
  }

  reset(pair: PairName, answer: (a: Answer) => void): void {
    this.exclusive(pair, (done) => this.resetSomewhere(pair, 'reset (challenge)', this.finish(done, answer)));
  }

  /** A pair command given to this array (PairManager.commandNow). */
  command(pair: PairName, cmd: PairCommand, answer: (a: Answer) => void): void {
    this.exclusive(pair, (done) => {
      const reply = this.finish(done, answer);
      const r = this.pairs[pair];
      if (r.attribute === 'P-VOL') return this.execute(pair, cmd, 'P-VOL', undefined, reply);
      if (!this.connected) {
        const d = decidePairCommand(snapshot(r), 'S-VOL', cmd, { peerReachable: false });
        if ('result' in d) return reply(d);
        if (d.noop) return reply(NORMAL);
        if (d.next === 'SSWS') return reply(this.svolTakeover(pair));
        return reply(abnormal('peer-unreachable', `the P side of ${pair} cannot be reached`));
      }
      this.forward(pair, cmd, reply);
    });
  }

  /** What the host's paired volume control reads before deciding a takeover. */
  info(pair: PairName): { attribute: Attribute; state: PairState; fence: Fence; peerConnected: boolean } {
    const r = this.pairs[pair];
    return { attribute: r.attribute, state: r.state, fence: r.fence, peerConnected: this.connected };
  }

  /** A host write of `seq` to one region of the data volume; answers whether it was acknowledged. */
  hostWrite(region: number, seq: number, ack: (ok: boolean) => void): void {
    const p: PairName = 'data';
    const r = this.pairs[p];
    if (hostAccess(this.accessView(p)).write !== 'allowed') return ack(false);
    if (r.attribute === 'P-VOL' && (r.state === 'PAIR' || r.state === 'COPY')) return this.replicatedWrite(region, seq, ack);
    if (r.attribute === 'P-VOL' && r.fence === 'status' && r.state === 'PSUE' && !r.remoteMarked) {
      return this.markRemoteSuspended(p, (marked) => (marked ? this.hostWrite(region, seq, ack) : ack(false)));
    }
    if (!this.forked[p]) this.diverging(p);
    r.dirty.add(region);
    r.content.set(region, seq);
    ack(true);
  }

  // ------------------------------------------------------------ the P side decides

  private execute(pair: PairName, cmd: PairCommand, givenTo: Attribute, holder: string | undefined, reply: (a: Answer) => void): void {
    const r = this.pairs[pair];
    const d = decidePairCommand(snapshot(r), givenTo, cmd, { peerReachable: this.connected });
    if ('result' in d) return reply(d);
    if (d.noop) {
      if (holder !== undefined) r.holder = holder;
      return reply(NORMAL);
    }
    if (d.swapRoles) return this.swap(pair, d.copy === 'full', holder, reply);
    r.svolWritable = d.svolWritable;
    r.pvolTakeover = d.pvolTakeover;
    if (cmd.kind === 'split') {
      this.copyToken[pair]++;
      r.resyncPending = false;
    }
    if (cmd.kind === 'resync' || cmd.kind === 'swap') {
      r.resyncPending = d.deferred;
      if (d.copy === 'full') {
        r.splitBrain = false;
        this.markAllDirty(pair);
      }
    }
    if (holder !== undefined) r.holder = holder;
    this.setState(pair, d.next, `${cmd.kind} given to the ${givenTo}`);
    if (d.next === 'COPY') return this.beginResync(pair, () => reply(NORMAL));
    this.pushUpdate(pair, false);
    reply(NORMAL);
  }

  private svolTakeover(pair: PairName): Answer {
    const r = this.pairs[pair];
    r.generation = forkGeneration(r.generation, this.env.newGenerationId());
    this.forked[pair] = true;
    this.setState(pair, 'SSWS', 'FORCED S-VOL takeover');
    return NORMAL;
  }

  /** The P-VOL stops accepting writes before the peer is told to become the P-VOL. */
  private swap(pair: PairName, full: boolean, holder: string | undefined, reply: (a: Answer) => void): void {
    const r = this.pairs[pair];
    this.copyToken[pair]++;
    if (full) this.markAllDirty(pair);
    r.attribute = 'S-VOL';
    r.swapping = true;
    r.svolWritable = false;
    r.pvolTakeover = false;
    r.resyncPending = false;
    r.splitBrain = false;
    r.holder = null;
    this.setState(pair, 'COPY', 'swap: now the S-VOL');
    this.promotePeer(pair, (ok) => {
      if (!ok) return reply(abnormal('peer-unreachable', `swap of ${pair} not confirmed by the peer`));
      if (holder !== undefined) r.holder = holder;
      reply(NORMAL);
    });
  }

  private promotePeer(pair: PairName, done: (ok: boolean) => void): void {
    const r = this.pairs[pair];
    const bits = [...r.dirty];
    const generation = r.generation;
    this.request<Answer>(
      `${pair} promote`,
      (peer, reply) => reply(peer.peerPromote(pair, bits, generation)),
      (res) => {
        if (res?.result !== 'NORMAL') return done(false);
        r.swapping = false;
        r.dirty.clear();
        this.forked[pair] = false;
        done(true);
      },
    );
  }

  private retryPromote(pair: PairName, done: () => void): void {
    this.promotePeer(pair, () => done());
  }

  private resetSomewhere(pair: PairName, why: string, reply: (a: Answer) => void): void {
    const r = this.pairs[pair];
    if (r.attribute === 'P-VOL') {
      this.resetOnPrimary(pair, why);
      return reply(NORMAL);
    }
    if (!this.connected) return reply(abnormal('peer-unreachable', `the P side of ${pair} cannot be reached`));
    this.request<Answer>(
      `${pair} reset`,
      (peer, back) => peer.exclusive(pair, (done) => back(peer.peerReset(pair, why, done))),
      (res) => {
        if (res === null) return reply(abnormal('peer-unreachable', `reset of ${pair} not confirmed by the P side`));
        if (res.result === 'NORMAL') r.holder = null;
        reply(res);
      },
    );
  }

  /** Split the determining pair to PSUS (free) and drop both arrays' reservations. */
  private resetOnPrimary(pair: PairName, why: string): void {
    const r = this.pairs[pair];
    this.copyToken[pair]++;
    r.resyncPending = false;
    r.holder = null;
    if (r.state === 'COPY' || r.state === 'PAIR' || r.state === 'PSUE') this.setState(pair, 'PSUS', why);
    this.pushUpdate(pair, false);
    if (this.connected) this.request(`${pair} drop-holder`, (peer, back) => back(peer.peerDropHolder(pair)), () => undefined);
  }

  // ------------------------------------------------------------ copy and failures

  private beginResync(pair: PairName, done: () => void): void {
    if (!this.connected) return done();
    this.request<number[]>(
      `${pair} bits`,
      (peer, back) => back(peer.pairs[pair].attribute === 'S-VOL' ? [...peer.pairs[pair].dirty] : []),
      (bits) => {
        if (bits === null) this.linkFailure(pair, 'bits request lost');
        else {
          for (const b of bits) this.pairs[pair].dirty.add(b);
          this.pushUpdate(pair, true);
          this.startCopy(pair);
        }
        done();
      },
    );
  }

  private startCopy(pair: PairName): void {
    this.pairs[pair].remoteMarked = false;
    const token = ++this.copyToken[pair];
    this.copyStep(pair, token);
  }

  private copyStep(pair: PairName, token: number): void {
    const r = this.pairs[pair];
    if (token !== this.copyToken[pair] || r.attribute !== 'P-VOL' || r.state !== 'COPY') return;
    if (r.dirty.size === 0) return this.copyDone(pair);
    const region = Math.min(...r.dirty);
    const value = r.content.get(region);
    this.request<Answer>(
      `${pair} copy r${region}=${value ?? '-'}`,
      (peer, back) => back(peer.applyReplicated(pair, region, value)),
      (res) => {
        if (token !== this.copyToken[pair]) return;
        if (res?.result !== 'NORMAL') return this.linkFailure(pair, 'copy failed');
        if (r.content.get(region) === value) r.dirty.delete(region);
        this.env.sched.after(1, `${this.name} ${pair} copy step`, this.guard(() => this.copyStep(pair, token)));
      },
    );
  }

  private copyDone(pair: PairName): void {
    const r = this.pairs[pair];
    const next = onCopyComplete(r.state);
    if (next === r.state) return;
    if (this.env.bugs.unrelatedGenerations) r.generation = { current: this.env.newGenerationId(), parent: null };
    this.forked[pair] = false;
    this.setState(pair, next, 'copy complete');
    this.pushUpdate(pair, false);
  }

  private linkFailure(pair: PairName, why: string): void {
    this.copyToken[pair]++;
    const r = this.pairs[pair];
    const next = onLinkLost(r.state);
    if (next === r.state) return;
    r.resyncPending = true;
    this.setState(pair, next, why);
  }

  private replicatedWrite(region: number, seq: number, ack: (ok: boolean) => void): void {
    const p: PairName = 'data';
    const r = this.pairs[p];
    const wasDirty = r.dirty.has(region);
    r.dirty.add(region); // in flight: a crash leaves it to the next resync
    r.content.set(region, seq);
    const failed = (): void => this.copyFailed(p, ack);
    if (!this.connected) return failed();
    this.request<Answer>(
      `data write r${region}=${seq}`,
      (peer, back) => back(peer.applyReplicated(p, region, seq)),
      (res) => {
        if (res?.result !== 'NORMAL') return failed();
        if (!wasDirty && r.content.get(region) === seq) r.dirty.delete(region);
        ack(true);
      },
    );
  }

  private copyFailed(pair: PairName, ack: (ok: boolean) => void): void {
    const r = this.pairs[pair];
    const decide = (marked: boolean): void => {
      const outcome = onCopyFailure(r.fence, marked);
      if (r.state !== outcome.next) this.linkFailure(pair, 'remote copy of a write failed');
      ack(outcome.ack);
    };
    if (r.fence === 'status') this.markRemoteSuspended(pair, decide);
    else decide(false);
  }

  private markRemoteSuspended(pair: PairName, done: (marked: boolean) => void): void {
    const r = this.pairs[pair];
    if (r.remoteMarked) return done(true);
    if (!this.connected) return done(false);
    this.request<Answer>(
      `${pair} suspend`,
      (peer, back) => back(peer.peerSuspend(pair)),
      (res) => {
        const ok = res?.result === 'NORMAL';
        if (ok) r.remoteMarked = true;
        done(ok);
      },
    );
  }

  private diverging(pair: PairName): void {
    const r = this.pairs[pair];
    this.forked[pair] = true;
    if (r.attribute === 'P-VOL' || r.state === 'SSWS') r.generation = forkGeneration(r.generation, this.env.newGenerationId());
  }

  /** At link-up the P side compares both views and resumes copying when it safely can. */
  private reconcile(pair: PairName, done: () => void): void {
    this.request<SyncReply>(
      `${pair} sync`,
      (peer, back) => back(peer.peerSync(pair)),
      (peer) => {
        const r = this.pairs[pair];
        if (peer === null || r.attribute !== 'P-VOL') return done();
        if (peer.attribute === 'P-VOL') {
          this.flagSplitBrain(pair, 'both arrays hold the P-VOL');
          return done();
        }
        const cmp = compareGenerations(r.generation, peer.generation);
        if (peer.state === 'SSWS') {
          this.setState(pair, 'SSWS', 'the S-VOL was taken over (SSWS)');
          if (cmp === 'split-brain' || this.forked[pair]) this.flagSplitBrain(pair, 'SSWS while the P-VOL was written');
          else this.pushUpdate(pair, false);
          return done();
        }
        if (cmp === 'split-brain' || cmp === 'unrelated') {
          this.flagSplitBrain(pair, `generations ${cmp}`);
          return done();
        }
        if (r.resyncPending || r.state === 'COPY') {
          for (const b of peer.dirty) r.dirty.add(b);
          r.resyncPending = false;
          this.setState(pair, 'COPY', 'peer link is back: resuming copy');
          this.pushUpdate(pair, true);
          this.startCopy(pair);
          return done();
        }
        this.pushUpdate(pair, false);
        done();
      },
    );
  }

  private flagSplitBrain(pair: PairName, why: string): void {
    const r = this.pairs[pair];
    r.splitBrain = true;
    r.resyncPending = false;
    this.env.trace(`${this.name} ${pair} SPLIT BRAIN: ${why}`);
    this.pushUpdate(pair, false);
  }

  /** Tell the S side the pair's state (best effort: the next link-up reconciles). */
  private pushUpdate(pair: PairName, clearBits: boolean): void {
    const r = this.pairs[pair];
    if (!this.connected || r.attribute !== 'P-VOL') return;
    const msg = { state: r.state, svolWritable: r.svolWritable, splitBrain: r.splitBrain, generation: r.generation, clearBits };
    this.request(`${pair} update ${r.state}`, (peer, back) => back(peer.peerUpdate(pair, msg)), () => undefined);
  }

  // ------------------------------------------------------------ the peer's requests (this array answers)

  private forward(pair: PairName, cmd: PairCommand, reply: (a: Answer) => void): void {
    this.request<Answer>(
      `${pair} forward ${cmd.kind}`,
      (peer, back) =>
        peer.exclusive(pair, (done) => {
          const answer = peer.finish(done, back);
          if (peer.pairs[pair].attribute !== 'P-VOL') return answer(abnormal('invalid-state', `${pair} is not the P-VOL on ${peer.name} either`));
          peer.execute(pair, cmd, 'S-VOL', undefined, answer);
        }),
      (res) => reply(res ?? abnormal('peer-unreachable', `the P side of ${pair} did not answer`)),
    );
  }

  private peerReset(pair: PairName, why: string, done: () => void): Answer {
    done();
    if (this.pairs[pair].attribute !== 'P-VOL') return abnormal('invalid-state', `${pair} is not the P-VOL on ${this.name}`);
    this.resetOnPrimary(pair, `${why} given to the S side`);
    return NORMAL;
  }

  private peerDropHolder(pair: PairName): Answer {
    this.pairs[pair].holder = null;
    return NORMAL;
  }

  private peerPromote(pair: PairName, bits: number[], generation: Generation): Answer {
    const r = this.pairs[pair];
    if (r.attribute === 'P-VOL') return NORMAL; // the retry of a swap
    for (const b of bits) r.dirty.add(b);
    r.attribute = 'P-VOL';
    r.svolWritable = false;
    r.splitBrain = false;
    r.resyncPending = false;
    r.pvolTakeover = false;
    r.generation = this.env.bugs.unrelatedGenerations ? { current: this.env.newGenerationId(), parent: null } : generation;
    this.setState(pair, 'COPY', 'swap: now the P-VOL');
    // The copy starts after the reply, so the old P side has finished becoming the S-VOL.
    this.env.sched.after(
      0,
      `${this.name} ${pair} start copy after promote`,
      this.guard(() => {
        if (r.attribute === 'P-VOL' && r.state === 'COPY') {
          this.pushUpdate(pair, false);
          this.startCopy(pair);
        }
      }),
    );
    return NORMAL;
  }

  private peerSync(pair: PairName): SyncReply {
    const r = this.pairs[pair];
    return { attribute: r.attribute, state: r.state, generation: r.generation, forked: this.forked[pair], dirty: [...r.dirty] };
  }

  private peerUpdate(pair: PairName, m: { state: PairState; svolWritable: boolean; splitBrain: boolean; generation: Generation; clearBits: boolean }): Answer {
    const r = this.pairs[pair];
    if (r.attribute !== 'S-VOL') return abnormal('invalid-state', `${pair} is not the S-VOL on ${this.name}`);
    r.svolWritable = m.svolWritable;
    r.splitBrain = m.splitBrain;
    if (m.state === 'PAIR' || m.state === 'COPY') {
      r.generation = m.generation;
      this.forked[pair] = false;
    }
    this.setState(pair, m.state, 'state from the P side');
    if (m.clearBits) r.dirty.clear();
    return NORMAL;
  }

  private peerSuspend(pair: PairName): Answer {
    if (this.pairs[pair].attribute !== 'S-VOL') return abnormal('invalid-state', `${pair} is not the S-VOL on ${this.name}`);
    this.setState(pair, 'PSUE', 'marked suspended by the P side (fence status)');
    return NORMAL;
  }

  private applyReplicated(pair: PairName, region: number, value: number | undefined): Answer {
    const r = this.pairs[pair];
    if (r.attribute !== 'S-VOL') return abnormal('not-paired', `no S-VOL of ${pair} on ${this.name}`);
    if (value === undefined) r.content.delete(region);
    else r.content.set(region, value);
    return NORMAL;
  }

  // ------------------------------------------------------------ helpers

  /** One command per pair at a time (the real array's per-pair queue). */
  private exclusive(pair: PairName, job: (done: () => void) => void): void {
    const queue = this.queues[pair];
    queue.push(() => job(this.guard(() => this.next(pair, queue))));
    if (!this.busy[pair]) this.next(pair, queue);
  }

  private next(pair: PairName, queue: (() => void)[]): void {
    if (queue !== this.queues[pair]) return; // crashed meanwhile
    const job = queue.shift();
    this.busy[pair] = job !== undefined;
    job?.();
  }

  /** Answer once and free the pair's queue. */
  private finish(done: () => void, answer: (a: Answer) => void): (a: Answer) => void {
    return (a) => {
      answer(a);
      done();
    };
  }

  private request<T>(what: string, handle: (peer: SimArray, reply: (r: T) => void) => void, done: (r: T | null) => void): void {
    this.env.peerRequest(this, what, handle, this.guard(done));
  }

  /** A continuation that does nothing if this array crashed since it was created. */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    const epoch = this.epoch;
    return (...args) => {
      if (this.up && this.epoch === epoch) fn(...args);
    };
  }

  private markAllDirty(pair: PairName): void {
    const r = this.pairs[pair];
    for (let region = 0; region < REGIONS; region++) r.dirty.add(region);
  }

  private setState(pair: PairName, next: PairState, why: string): void {
    const r = this.pairs[pair];
    if (r.state === next) return;
    this.env.trace(`${this.name} ${pair} ${r.attribute} ${r.state} -> ${next}: ${why}`);
    r.state = next;
  }
}

function snapshot(r: PairRec): PairSnapshot {
  return { state: r.state, svolWritable: r.svolWritable, fence: r.fence, splitBrain: r.splitBrain, pvolTakeover: r.pvolTakeover };
}
