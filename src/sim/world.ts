// The simulated two-site world: two arrays, two hosts, the remote copy link, the heartbeat
// network, a fault schedule, and the invariants checked after every event. Everything that is
// nondeterministic in the real system (delays, losses, crashes, partitions, tick jitter) is a
// choice of the one seeded PRNG, so a seed replays a run exactly.
import { DEFAULT_TIMING, type HeartbeatContent } from '../core/agent.js';
import { safetyHolds } from '../core/invariants.js';
import type { PairCommand } from '../core/pairCommand.js';
import type { Fence } from '../core/types.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimArray, type PairName, type PairRec, type SimBugs } from './simArray.js';
import { SimHost } from './simHost.js';

export interface SimOptions {
  seed: number;
  /** Simulated time with faults injected. */
  faultMs?: number;
  /** Simulated time after every fault is removed, before the final checks. */
  healMs?: number;
  bugs?: SimBugs;
  /** What the paired volume control issues for a 'swap' takeover decision. */
  swapCommand?: PairCommand;
  /** Keep the whole trace instead of the last TRACE_KEEP lines. */
  fullTrace?: boolean;
}

export type InvariantName = 'dual-write' | 'two-holders' | 'lost-write' | 'no-single-active';

export interface SimResult {
  seed: number;
  violation: { invariant: InvariantName; time: number; message: string } | null;
  /** The last TRACE_KEEP lines (or all of them with fullTrace). */
  trace: string[];
  events: number;
  acknowledged: number;
  forcedTakeover: boolean;
}

const TRACE_KEEP = 50;
const PEER_TIMEOUT_MS = 300;
/** The application stops writing this long before the end, so that copies can finish. */
const QUIET_MS = 3000;

type Fault = 'link' | 'heartbeat' | 'partition' | 'host-a' | 'host-b' | 'array-a' | 'array-b';
const FAULTS: readonly Fault[] = ['link', 'heartbeat', 'partition', 'host-a', 'host-b', 'array-a', 'array-b'];

export function simulate(opts: SimOptions): SimResult {
  return new World(opts).run();
}

class World {
  private readonly sched = new Scheduler();
  private readonly rng: Prng;
  private readonly arrays: SimArray[];
  private readonly hosts: SimHost[];
  private linkUp = true;
  private heartbeatUp = true;
  /** Incremented whenever a link connection breaks: messages of an older connection are lost. */
  private connection = 0;
  private readonly lastDelivery = new Map<string, number>();
  private readonly linkDownAt = new Map<SimArray, number>();
  private readonly acked = new Map<number, number>();
  private ackCount = 0;
  private seq = 0;
  private generationIds = 0;
  private writesAllowed = true;
  private forced = false;
  private readonly trace: string[] = [];
  private readonly faultEnd: number;
  private readonly end: number;

  constructor(private readonly opts: SimOptions) {
    this.rng = new Prng(opts.seed);
    this.faultEnd = opts.faultMs ?? 3000;
    this.end = this.faultEnd + (opts.healMs ?? 7000);
    const fence = this.rng.pick<Fence>(['never', 'data', 'status']);
    const arrayEnv = {
      sched: this.sched,
      bugs: opts.bugs ?? {},
      trace: (line: string) => this.note(line),
      newGenerationId: () => `g${++this.generationIds}`,
      peerRequest: <T>(from: SimArray, what: string, handle: (peer: SimArray, reply: (r: T) => void) => void, done: (r: T | null) => void) =>
        this.peerRequest(from, what, handle, done),
    };
    const common = { generation: { current: 'g0', parent: null }, svolWritable: false, pvolTakeover: false, splitBrain: false, resyncPending: false, remoteMarked: false, swapping: false, holder: null };
    const side = (attribute: 'P-VOL' | 'S-VOL'): Record<PairName, PairRec> => ({
      det: { ...common, attribute, state: 'PSUS', fence: 'never', dirty: new Set(), content: new Map() },
      data: { ...common, attribute, state: 'PAIR', fence, dirty: new Set(), content: new Map() },
    });
    this.arrays = [new SimArray('a', side('P-VOL'), arrayEnv), new SimArray('b', side('S-VOL'), arrayEnv)];
    const hostEnv = {
      sched: this.sched,
      rng: this.rng,
      timing: DEFAULT_TIMING,
      swapCommand: opts.swapCommand ?? { kind: 'takeover', force: false },
      writesAllowed: () => this.writesAllowed,
      trace: (line: string) => this.note(line),
      sendHeartbeat: (from: SimHost, message: HeartbeatContent) => this.sendHeartbeat(from, message),
      nextSeq: () => ++this.seq,
      acknowledged: (region: number, seq: number) => {
        this.ackCount++;
        this.acked.set(region, Math.max(this.acked.get(region) ?? 0, seq));
      },
    };
    this.hosts = [new SimHost('A', true, this.arrays[0], hostEnv), new SimHost('B', false, this.arrays[1], hostEnv)];
    this.note(`seed ${opts.seed}: data pair fence ${fence}`);
  }

  run(): SimResult {
    for (const a of this.arrays) a.linkUp();
    for (const h of this.hosts) h.start();
    this.scheduleFault();
    this.sched.at(this.faultEnd, 'heal: every fault removed', () => this.heal());
    this.sched.at(this.end - QUIET_MS, 'quiet: the application stops writing', () => (this.writesAllowed = false));
    let events = 0;
    let violation: SimResult['violation'] = null;
    this.sched.runUntil(this.end, (label) => {
      events++;
      this.note(label);
      violation = this.checkSafety();
      return violation === null;
    });
    violation ??= this.checkEnd();
    if (violation) this.note(`VIOLATION ${violation.invariant}: ${violation.message}`);
    return { seed: this.opts.seed, violation, trace: this.opts.fullTrace ? this.trace : this.trace.slice(-TRACE_KEEP), events, acknowledged: this.ackCount, forcedTakeover: this.forced };
  }

  // ------------------------------------------------------------ invariants

  /** (a) and (b), after every event. */
  private checkSafety(): SimResult['violation'] {
    const [a, b] = this.arrays;
    if (a.up && b.up && !safetyHolds(a.accessView('data'), b.accessView('data'))) {
      return this.violation('dual-write', `both data volumes accept host writes: a ${describe(a, 'data')}, b ${describe(b, 'data')}`);
    }
    const holders = this.hosts.filter((h) => h.agent?.holding && (h.agent.role === 'ACTIVE' || h.agent.role === 'PROMOTING'));
    const pSides = this.arrays.filter((x) => x.pairs.det.attribute === 'P-VOL');
    if (holders.length > 1 && a.up && b.up && pSides.length === 1) {
      return this.violation('two-holders', `${holders.map((h) => `${h.name} ${h.agent!.role}`).join(' and ')} both believe they hold the determining pair (P side ${pSides[0].name})`);
    }
    return null;
  }

  /** (c) and (d), once everything is healed and quiet. */
  private checkEnd(): SimResult['violation'] {
    const active = this.hosts.filter((h) => h.agent?.role === 'ACTIVE');
    if (active.length !== 1) {
      return this.violation('no-single-active', `${active.length} hosts ACTIVE ${this.healMs()} ms after healing (${this.hosts.map((h) => `${h.name} ${h.agent?.role}`).join(', ')})`);
    }
    if (this.forced) return null; // a forced takeover may lose acknowledged writes by design
    const primaries = this.arrays.filter((x) => x.pairs.data.attribute === 'P-VOL');
    if (primaries.length !== 1) return this.violation('lost-write', `${primaries.length} arrays hold the data P-VOL at the end`);
    const p = primaries[0];
    for (const [region, seq] of this.acked) {
      const has = p.pairs.data.content.get(region) ?? 0;
      if (has < seq) return this.violation('lost-write', `region ${region}: write ${seq} was acknowledged but the P-VOL on ${p.name} holds ${has}`);
    }
    const s = this.arrays.find((x) => x !== p)!;
    if (p.pairs.data.state === 'PAIR' && p.pairs.data.dirty.size === 0 && !sameContent(p.pairs.data, s.pairs.data)) {
      return this.violation('lost-write', `the pair is PAIR but the S-VOL on ${s.name} differs from the P-VOL`);
    }
    return null;
  }

  private healMs(): number {
    return this.end - this.faultEnd;
  }

  private violation(invariant: InvariantName, message: string): SimResult['violation'] {
    return { invariant, time: this.sched.now, message };
  }

  // ------------------------------------------------------------ faults

  private scheduleFault(): void {
    const at = this.sched.now + this.rng.int(200, 2000);
    if (at >= this.faultEnd) return;
    this.sched.at(at, 'fault', () => {
      if (this.rng.chance(0.02)) this.operatorForce();
      else this.toggle(this.rng.pick(FAULTS));
      this.scheduleFault();
    });
  }

  private toggle(fault: Fault): void {
    switch (fault) {
      case 'link':
        return this.setLink(!this.linkUp);
      case 'heartbeat':
        return this.setHeartbeat(!this.heartbeatUp);
      case 'partition': {
        const cut = this.linkUp || this.heartbeatUp;
        this.setLink(!cut);
        return this.setHeartbeat(!cut);
      }
      case 'host-a':
      case 'host-b':
        return this.toggleHost(this.hosts[fault === 'host-a' ? 0 : 1]);
      case 'array-a':
      case 'array-b':
        return this.toggleArray(this.arrays[fault === 'array-a' ? 0 : 1]);
    }
  }

  private heal(): void {
    this.setLink(true);
    this.setHeartbeat(true);
    for (const a of this.arrays) if (!a.up) this.toggleArray(a);
    for (const h of this.hosts) if (!h.alive) this.toggleHost(h);
    if (this.forced) this.operatorResolve(5);
  }

  private setLink(up: boolean): void {
    if (up === this.linkUp) return;
    this.note(`fault: remote copy link ${up ? 'restored' : 'cut'}`);
    this.linkUp = up;
    if (up) this.connectArrays();
    else this.breakConnection();
  }

  private setHeartbeat(up: boolean): void {
    if (up === this.heartbeatUp) return;
    this.note(`fault: heartbeat network ${up ? 'restored' : 'cut'}`);
    this.heartbeatUp = up;
  }

  private toggleHost(h: SimHost): void {
    this.note(`fault: host ${h.name} ${h.alive ? 'crashes' : 'restarts'}`);
    if (h.alive) h.crash();
    else h.start();
  }

  private toggleArray(a: SimArray): void {
    this.note(`fault: array ${a.name} ${a.up ? 'crashes' : 'restarts'}`);
    if (a.up) {
      a.crash();
      this.breakConnection();
    } else {
      a.restart();
      this.connectArrays();
    }
  }

  /** The operator's `pair takeover data --force` on the array holding the S-VOL (rare). */
  private operatorForce(): void {
    const s = this.arrays.find((x) => x.up && x.pairs.data.attribute === 'S-VOL');
    if (!s) return;
    this.note(`operator: pair takeover data --force on array ${s.name}`);
    s.command('data', { kind: 'takeover', force: true }, (res) => {
      this.note(`operator: takeover --force answered ${res.result === 'NORMAL' ? 'NORMAL' : res.reason}`);
      if (s.pairs.data.state === 'SSWS') this.forced = true;
    });
  }

  /** After a forced takeover the operator keeps the SSWS side's data: swap resync --discard remote. */
  private operatorResolve(attempts: number): void {
    this.sched.after(1000, 'operator: resolve the forced takeover', () => {
      const ssws = this.arrays.find((x) => x.pairs.data.attribute === 'S-VOL' && x.pairs.data.state === 'SSWS');
      if (!ssws) return;
      ssws.command('data', { kind: 'swap', discard: 'remote' }, (res) => this.note(`operator: swap --discard remote answered ${res.result === 'NORMAL' ? 'NORMAL' : res.reason}`));
      if (attempts > 1) this.operatorResolve(attempts - 1);
    });
  }

  // ------------------------------------------------------------ networks

  private sendHeartbeat(from: SimHost, message: HeartbeatContent): void {
    if (!this.heartbeatUp) return;
    const to = this.hosts.find((h) => h !== from)!;
    this.sched.after(this.rng.int(1, 20), `heartbeat ${from.name}->${to.name} ${message.role}`, () => {
      if (this.heartbeatUp) to.dispatch({ type: 'heartbeat', peer: from.name, path: 'tcp', ...message });
    });
  }

  private breakConnection(): void {
    this.connection++;
    for (const a of this.arrays) {
      if (!a.linkView) continue;
      const at = this.sched.now + this.rng.int(1, 100);
      this.linkDownAt.set(a, at);
      this.sched.at(at, `array ${a.name} detects the link down`, () => {
        if (a.linkView) a.linkDown();
      });
    }
  }

  private connectArrays(): void {
    if (!this.linkUp || !this.arrays.every((a) => a.up)) return;
    const connection = this.connection;
    for (const a of this.arrays) {
      const at = Math.max(this.sched.now, this.linkDownAt.get(a) ?? 0) + this.rng.int(1, 50);
      this.sched.at(at, `array ${a.name} connects to its peer`, () => {
        if (connection === this.connection && a.up && !a.linkView) a.linkUp();
      });
    }
  }

  private peerRequest<T>(from: SimArray, what: string, handle: (peer: SimArray, reply: (r: T) => void) => void, done: (r: T | null) => void): void {
    const to = this.arrays.find((x) => x !== from)!;
    let finished = false;
    const timeout = this.sched.after(PEER_TIMEOUT_MS, `${from.name} ${what}: no answer`, () => finish(null));
    const finish = (r: T | null): void => {
      if (finished) return;
      finished = true;
      timeout.cancel();
      done(r);
    };
    if (!from.connected) {
      this.sched.after(0, `${from.name} ${what}: not connected`, () => finish(null));
      return;
    }
    const connection = this.connection;
    const usable = (): boolean => connection === this.connection && this.linkUp && from.connected && to.connected;
    this.sched.at(this.deliveryTime(from, to), `${from.name}->${to.name} ${what}`, () => {
      if (!usable()) return;
      handle(to, (r) => this.sched.at(this.deliveryTime(to, from), `${to.name}->${from.name} ${what}: answer`, () => usable() && finish(r)));
    });
  }

  /** Seeded delay, but in order per direction (one TCP connection). */
  private deliveryTime(from: SimArray, to: SimArray): number {
    const key = from.name + to.name;
    const at = Math.max(this.lastDelivery.get(key) ?? 0, this.sched.now + this.rng.int(1, 15));
    this.lastDelivery.set(key, at);
    return at;
  }

  private note(line: string): void {
    this.trace.push(`${String(this.sched.now).padStart(6)} ${line}`);
    if (!this.opts.fullTrace && this.trace.length > 2 * TRACE_KEEP) this.trace.splice(0, TRACE_KEEP);
  }
}

function describe(a: SimArray, pair: PairName): string {
  const r = a.pairs[pair];
  return `${r.attribute} ${r.state} fence ${r.fence}${r.svolWritable ? ' svol-writable' : ''}${r.pvolTakeover ? ' pvol-takeover' : ''}`;
}

function sameContent(p: PairRec, s: PairRec): boolean {
  if (p.content.size !== s.content.size) return false;
  for (const [region, seq] of p.content) if (s.content.get(region) !== seq) return false;
  return true;
}
