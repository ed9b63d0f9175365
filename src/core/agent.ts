// The cluster agent protocol of SPEC §6.3 as a pure state machine: step(state, event, now)
// returns the next state and the actions the I/O shell must carry out. No I/O, no timers:
// the shell feeds 'tick' events and the results of the actions back in, with the time.
//
// Safety does not rest on this machine: the array grants the determining pair to at most one
// host (§6.1). The machine's job is liveness (someone runs the application) and stopping the
// application as soon as this host can no longer prove it holds the reservation.
import { invariant } from './assert.js';

/** What this host is doing, as announced in every heartbeat. */
export type Role =
  | 'STARTING' // just started; has not yet decided (start-up arbitration)
  | 'STANDBY' // does not hold the reservation; application stopped
  | 'CHALLENGING' // breaking a silent peer's reservation: RESET, wait challengeWait, RESERVE
  | 'PROMOTING' // holds the reservation; taking over data pairs and starting the application
  | 'ACTIVE' // holds the reservation and runs the application
  | 'STOPPING'; // stopping the application (lost, switchover, monitor failure, shutdown)

export const ROLES: readonly Role[] = ['STARTING', 'STANDBY', 'CHALLENGING', 'PROMOTING', 'ACTIVE', 'STOPPING'];

export interface AgentTiming {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  renewIntervalMs: number;
  /** Without a successful renewal sent within this long, the application is stopped. */
  renewDeadlineMs: number;
  challengeWaitMs: number;
  /** After a lost challenge or a failed start: no new claim for this long (unless the heartbeat returns). */
  challengeBackoffMs: number;
  /** How long the non-preferred host lets the preferred one go first. */
  startupDelayMs: number;
  monitorIntervalMs: number;
  /** How long a host that handed over stays out of arbitration so that the peer can take it. */
  handoverTimeoutMs: number;
}

export const DEFAULT_TIMING: AgentTiming = {
  heartbeatIntervalMs: 200,
  heartbeatTimeoutMs: 1000,
  renewIntervalMs: 300,
  renewDeadlineMs: 700,
  challengeWaitMs: 1000,
  challengeBackoffMs: 5000,
  startupDelayMs: 1000,
  monitorIntervalMs: 2000,
  handoverTimeoutMs: 5000,
};

/**
 * The timing rules that make the protocol safe (docs/cluster-agent.md). Returns one message per
 * violated rule, naming the keys.
 */
export function timingProblems(t: AgentTiming): string[] {
  const problems: string[] = [];
  if (t.heartbeatTimeoutMs < 2 * t.heartbeatIntervalMs) {
    problems.push(`heartbeatTimeoutMs (${t.heartbeatTimeoutMs}) must be at least 2 x heartbeatIntervalMs (${t.heartbeatIntervalMs}) so that one lost message is not a failure`);
  }
  if (t.renewDeadlineMs <= t.renewIntervalMs) {
    problems.push(`renewDeadlineMs (${t.renewDeadlineMs}) must be greater than renewIntervalMs (${t.renewIntervalMs}) or every late renewal stops the application`);
  }
  if (t.challengeWaitMs < t.renewDeadlineMs + t.renewIntervalMs) {
    problems.push(
      `challengeWaitMs (${t.challengeWaitMs}) must be at least renewDeadlineMs + renewIntervalMs (${t.renewDeadlineMs + t.renewIntervalMs}): a live ACTIVE must renew, and a cut-off ACTIVE must stop, before a challenger can win`,
    );
  }
  return problems;
}

export interface AgentIdentity {
  name: string;
  preferred: boolean;
}

/** A switchover message carried by heartbeats until it expires or is acted upon. */
export interface SwitchoverMessage {
  to: string;
  id: number;
}

export interface HeartbeatContent {
  role: Role;
  /** "I released the reservation for you: reserve now." */
  handover?: SwitchoverMessage;
  /** "Please hand the application over to me." */
  switchoverRequest?: SwitchoverMessage;
}

export interface PeerView {
  role: Role;
  lastSeen: number;
}

type ReservationOpKind = 'reserve' | 'reset' | 'release';
type ResourceOpKind = 'take-over-pairs' | 'start-app' | 'stop-app' | 'monitor-app';
/** Why a reservation command was sent; decides what its answer means. */
type Purpose = 'renew' | 'startup' | 'arbitration' | 'handover' | 'challenge' | 'release';
/** What happens once the application has stopped. */
type AfterStop = 'standby' | 'release' | 'handover' | 'restart' | 'exit';

interface PendingOp<K> {
  kind: K;
  id: number;
  sentAt: number;
}

export interface AgentState {
  me: AgentIdentity;
  timing: AgentTiming;
  role: Role;
  roleSince: number;
  startedAt: number;
  nextId: number;
  peers: Record<string, PeerView>;
  lastHeartbeatSentAt: number | null;
  reservationOp: (PendingOp<ReservationOpKind> & { purpose: Purpose }) | null;
  resourceOp: PendingOp<ResourceOpKind> | null;
  /** This host believes it holds the determining pair. */
  holding: boolean;
  /** Send time of the last renewal answered NORMAL: the reservation is proven up to then. */
  lastRenewOkSentAt: number | null;
  lastRenewSentAt: number | null;
  renewFailing: boolean;
  lastMonitorAt: number | null;
  challengeWaitUntil: number | null;
  /** No challenge or arbitration claim before this time. */
  quietUntil: number;
  arbitrationSince: number | null;
  heartbeatFault: boolean;
  afterStop: AfterStop | null;
  /** The peer to hand over to once the application has stopped and the pair is released. */
  handoverTarget: string | null;
  /** Announced in heartbeats after the release, until the peer takes over or it expires. */
  handover: (SwitchoverMessage & { until: number }) | null;
  switchoverRequest: (SwitchoverMessage & { until: number }) | null;
  handled: Record<string, number>;
  shuttingDown: boolean;
  exited: boolean;
}

export type OpResult = { result: 'NORMAL' } | { result: 'ABNORMAL'; reason: string; message: string };

export type AgentEvent =
  | { type: 'tick' }
  | ({ type: 'heartbeat'; peer: string; path: string } & HeartbeatContent)
  | ({ type: 'reservation-result'; id: number } & OpResult)
  | { type: 'resource-result'; id: number; ok: boolean; detail: string }
  | { type: 'switchover-requested' }
  | { type: 'shutdown-requested' };

export type LogLevel = 'info' | 'warn' | 'error';

export type AgentAction =
  | { type: 'send-heartbeat'; message: HeartbeatContent }
  | { type: ReservationOpKind; id: number }
  | { type: ResourceOpKind; id: number }
  | { type: 'log-event'; level: LogLevel; event: string; reason: string; role: Role }
  | { type: 'exit' };

export interface StepResult {
  state: AgentState;
  actions: AgentAction[];
}

export function initialAgentState(me: AgentIdentity, timing: AgentTiming, now: number): AgentState {
  return {
    me,
    timing,
    role: 'STARTING',
    roleSince: now,
    startedAt: now,
    nextId: 1,
    peers: {},
    lastHeartbeatSentAt: null,
    reservationOp: null,
    resourceOp: null,
    holding: false,
    lastRenewOkSentAt: null,
    lastRenewSentAt: null,
    renewFailing: false,
    lastMonitorAt: null,
    challengeWaitUntil: null,
    quietUntil: now,
    arbitrationSince: null,
    heartbeatFault: false,
    afterStop: null,
    handoverTarget: null,
    handover: null,
    switchoverRequest: null,
    handled: {},
    shuttingDown: false,
    exited: false,
  };
}

/** Roles in which a peer is (about to be) running the application or resolving a contest. */
const BUSY_ROLES: readonly Role[] = ['ACTIVE', 'PROMOTING', 'CHALLENGING', 'STOPPING'];
/** Reasons that mean the storage says someone else holds the determining pair. */
const HELD_REASONS = ['held-by-other', 'invalid-state'];
/** Reasons that mean the array (or its P side) could not be asked: the reservation is unproven, not lost. */
const TRANSIENT_REASONS = ['array-unreachable', 'busy', 'io-error'];

/** Peers heard within heartbeatTimeout. */
export function alivePeers(state: AgentState, now: number): [string, PeerView][] {
  return Object.entries(state.peers).filter(([, p]) => now - p.lastSeen < state.timing.heartbeatTimeoutMs);
}

/** Why a switchover cannot be done now, or null when it can. */
export function switchoverRefusal(state: AgentState, now: number): string | null {
  if (state.shuttingDown) return 'the agent is shutting down';
  const alive = alivePeers(state, now);
  if (state.role === 'ACTIVE') {
    return alive.some(([, p]) => p.role === 'STANDBY') ? null : 'no healthy STANDBY peer to switch over to';
  }
  if (state.role === 'STANDBY') {
    return alive.some(([, p]) => p.role === 'ACTIVE') ? null : 'no ACTIVE peer to take the application from';
  }
  return `a switchover needs an ACTIVE or STANDBY host; this host is ${state.role}`;
}

/** The single entry point: apply one event at time `now`. */
export function step(prev: AgentState, event: AgentEvent, now: number): StepResult {
  const m = new Machine(structuredClone(prev), now);
  if (!m.s.exited) {
    m.handle(event);
    m.onTick();
    m.continueShutdown();
  }
  assertAgentState(m.s);
  return { state: m.s, actions: m.actions };
}

/** What every step must leave true; a violation stops the agent (src/core/assert.ts). */
export function agentStateProblem(s: AgentState): string | null {
  if ((s.role === 'ACTIVE' || s.role === 'PROMOTING') && !s.holding) return `${s.role} without holding the reservation`;
  if (s.challengeWaitUntil !== null && s.role !== 'CHALLENGING') return `a challenge pending in ${s.role}`;
  if (s.role === 'CHALLENGING' && s.holding) return 'CHALLENGING while holding the reservation';
  return null;
}

function assertAgentState(s: AgentState): void {
  const problem = agentStateProblem(s);
  invariant(problem === null, () => `agent ${s.me.name}: ${problem}`);
}

class Machine {
  readonly actions: AgentAction[] = [];
  constructor(
    readonly s: AgentState,
    readonly now: number,
  ) {}

  get t(): AgentTiming {
    return this.s.timing;
  }

  handle(event: AgentEvent): void {
    switch (event.type) {
      case 'tick':
        return;
      case 'heartbeat':
        return this.onHeartbeat(event);
      case 'reservation-result':
        return this.onReservationResult(event);
      case 'resource-result':
        return this.onResourceResult(event);
      case 'switchover-requested':
        return this.onSwitchoverRequested();
      case 'shutdown-requested':
        this.s.shuttingDown = true;
        this.log('info', 'shutdown', 'shutdown requested');
        return;
    }
  }

  // --- helpers -------------------------------------------------------------------------

  log(level: LogLevel, event: string, reason: string): void {
    this.actions.push({ type: 'log-event', level, event, reason, role: this.s.role });
  }

  become(role: Role, reason: string, level: LogLevel = 'info'): void {
    if (this.s.role !== role) {
      this.log(level, 'role', `${this.s.role} -> ${role}: ${reason}`);
      this.s.role = role;
      this.s.roleSince = this.now;
      this.sendHeartbeat(); // tell peers at once; arbitration depends on roles
    }
  }

  sendHeartbeat(): void {
    const message: HeartbeatContent = { role: this.s.role };
    if (this.s.handover) message.handover = { to: this.s.handover.to, id: this.s.handover.id };
    if (this.s.switchoverRequest) message.switchoverRequest = { to: this.s.switchoverRequest.to, id: this.s.switchoverRequest.id };
    this.actions.push({ type: 'send-heartbeat', message });
    this.s.lastHeartbeatSentAt = this.now;
  }

  newId(): number {
    return this.s.nextId++;
  }

  reservationCommand(kind: ReservationOpKind, purpose: Purpose): void {
    const id = this.newId();
    this.s.reservationOp = { kind, id, sentAt: this.now, purpose };
    if (purpose === 'renew') this.s.lastRenewSentAt = this.now;
    this.actions.push({ type: kind, id });
  }

  resourceCommand(kind: ResourceOpKind): void {
    const id = this.newId();
    this.s.resourceOp = { kind, id, sentAt: this.now };
    if (kind === 'monitor-app') this.s.lastMonitorAt = this.now;
    this.actions.push({ type: kind, id });
  }

  /** A claim is a plain RESERVE from STARTING/STANDBY (start-up, arbitration, handover). */
  claim(purpose: 'startup' | 'arbitration' | 'handover', reason: string): void {
    this.log('info', 'claim', reason);
    this.reservationCommand('reserve', purpose);
  }

  challenge(reason: string): void {
    this.become('CHALLENGING', reason);
    this.s.challengeWaitUntil = null;
    this.reservationCommand('reset', 'challenge');
  }

  /** Stop the application; what follows depends on why. Waits for a running script first. */
  beginStop(after: AfterStop, reason: string, level: LogLevel = 'info'): void {
    // A stop for losing the reservation or for shutdown overrides a planned next step.
    if (this.s.role === 'STOPPING') {
      if (after === 'standby' || after === 'exit') this.s.afterStop = after;
      return;
    }
    this.s.afterStop = after;
    this.become('STOPPING', reason, level);
    // A script still running (start, monitor) finishes first; onResourceResult then stops.
    if (this.s.resourceOp === null) this.resourceCommand('stop-app');
  }

  loseReservation(reason: string): void {
    this.s.holding = false;
    this.s.renewFailing = false;
    if (this.s.role === 'ACTIVE' || this.s.role === 'PROMOTING') this.beginStop('standby', reason, 'warn');
    else if (this.s.role === 'STOPPING') {
      this.log('warn', 'reservation-lost', reason);
      if (this.s.afterStop !== 'exit') this.s.afterStop = 'standby';
    }
  }

  // --- events --------------------------------------------------------------------------

  onHeartbeat(e: Extract<AgentEvent, { type: 'heartbeat' }>): void {
    if (e.peer === this.s.me.name) return; // our own message looped back
    const known = this.s.peers[e.peer];
    if (!known || this.now - known.lastSeen >= this.t.heartbeatTimeoutMs) {
      this.log('info', 'peer-alive', `heartbeat from ${e.peer} (${e.role}) via ${e.path}`);
    }
    this.s.peers[e.peer] = { role: e.role, lastSeen: this.now };
    if (this.s.heartbeatFault) {
      this.s.heartbeatFault = false;
      this.s.quietUntil = this.now;
      this.log('info', 'heartbeat-restored', `heartbeat from ${e.peer} is back; heartbeat-network fault cleared`);
    }
    if (e.handover && e.handover.to === this.s.me.name && this.s.handled[`h:${e.peer}`] !== e.handover.id) {
      this.s.handled[`h:${e.peer}`] = e.handover.id;
      if ((this.s.role === 'STANDBY' || this.s.role === 'STARTING') && this.s.reservationOp === null && !this.s.shuttingDown) {
        this.claim('handover', `${e.peer} released the reservation for a switchover to this host`);
      }
    }
    if (e.switchoverRequest && e.switchoverRequest.to === this.s.me.name && this.s.handled[`s:${e.peer}`] !== e.switchoverRequest.id) {
      this.s.handled[`s:${e.peer}`] = e.switchoverRequest.id;
      if (this.s.role === 'ACTIVE' && !this.s.shuttingDown) {
        this.s.handoverTarget = e.peer;
        this.beginStop('handover', `switchover to ${e.peer} requested by ${e.peer}`);
      }
    }
    // The peer has acted on our messages: stop repeating them.
    if (this.s.handover?.to === e.peer && (e.role === 'PROMOTING' || e.role === 'ACTIVE')) this.s.handover = null;
    if (this.s.switchoverRequest?.to === e.peer && e.role !== 'ACTIVE') this.s.switchoverRequest = null;
  }

  onSwitchoverRequested(): void {
    const refusal = switchoverRefusal(this.s, this.now);
    if (refusal) {
      this.log('warn', 'switchover-refused', refusal);
      return;
    }
    const alive = alivePeers(this.s, this.now);
    if (this.s.role === 'ACTIVE') {
      const [target] = alive.find(([, p]) => p.role === 'STANDBY')!;
      this.s.handoverTarget = target;
      this.beginStop('handover', `planned switchover to ${target}`);
    } else {
      const [target] = alive.find(([, p]) => p.role === 'ACTIVE')!;
      this.s.switchoverRequest = { to: target, id: this.newId(), until: this.now + this.t.handoverTimeoutMs };
      this.log('info', 'switchover-requested', `asked ${target} to hand the application over to this host`);
      this.sendHeartbeat();
    }
  }

  onReservationResult(e: Extract<AgentEvent, { type: 'reservation-result' }>): void {
    const op = this.s.reservationOp;
    if (!op || op.id !== e.id) return; // an answer to a command we no longer wait for
    this.s.reservationOp = null;
    const failure = e.result === 'ABNORMAL' ? `${e.reason}: ${e.message}` : '';
    switch (op.purpose) {
      case 'renew':
        return this.onRenewResult(op.sentAt, e, failure);
      case 'startup':
      case 'arbitration':
      case 'handover':
        return e.result === 'NORMAL' ? this.promote(`won the determining pair (${op.purpose})`, op.sentAt) : this.onClaimLost(op.purpose, e.reason, failure);
      case 'challenge':
        return this.onChallengeStep(op.kind, op.sentAt, e, failure);
      case 'release':
        return this.onReleased(e.result === 'NORMAL' ? 'released the determining pair' : `release failed (${failure}); the peer can break it by challenge`);
    }
  }

  onRenewResult(sentAt: number, e: OpResult, failure: string): void {
    if (!this.s.holding) return;
    if (e.result === 'NORMAL') {
      this.s.lastRenewOkSentAt = sentAt;
      if (this.s.renewFailing) this.log('info', 'renew-restored', 'renewal answered NORMAL again');
      this.s.renewFailing = false;
      return;
    }
    if (TRANSIENT_REASONS.includes(e.reason)) {
      // Not lost, but unproven: the deadline check in onTick stops the application if this lasts.
      if (!this.s.renewFailing) this.log('warn', 'renew-failing', `cannot renew (${failure}); stopping in ${this.t.renewDeadlineMs} ms unless it recovers`);
      this.s.renewFailing = true;
      return;
    }
    this.loseReservation(`renewal answered ABNORMAL END (${failure}): another host holds the determining pair`);
  }

  onClaimLost(purpose: Purpose, reason: string, failure: string): void {
    const visibleIdle = alivePeers(this.s, this.now);
    const peerIdle = visibleIdle.length > 0 && visibleIdle.every(([, p]) => !BUSY_ROLES.includes(p.role));
    if (purpose === 'arbitration' && HELD_REASONS.includes(reason) && peerIdle) {
      // Every visible host says it is not ACTIVE, so the reservation is stale: break it.
      this.challenge(`arbitration reserve failed (${failure}) while no peer is ACTIVE: the reservation is stale`);
      return;
    }
    // The preferred host retries at the renewal pace: a challenger waits challengeWait
    // (> renewInterval) after its RESET, so a preferred host that can win (e.g. its array just
    // came back with its reservation) always gets its RESERVE in first.
    this.s.quietUntil = this.now + (this.s.me.preferred ? this.t.renewIntervalMs : this.t.startupDelayMs);
    const why = `${purpose} reserve answered ABNORMAL END (${failure})`;
    if (this.s.role === 'STANDBY') this.log('info', 'claim-lost', why);
    else this.become('STANDBY', why);
  }

  onChallengeStep(kind: ReservationOpKind, sentAt: number, e: OpResult, failure: string): void {
    if (e.result === 'ABNORMAL') {
      this.s.quietUntil = this.now + this.t.challengeBackoffMs;
      this.s.challengeWaitUntil = null;
      if (kind === 'reserve' && HELD_REASONS.includes(e.reason)) {
        this.s.heartbeatFault = true;
        this.become('STANDBY', `challenge lost (${failure}): the peer renewed, so it is alive; heartbeat-network fault`, 'warn');
        this.log('error', 'heartbeat-network-fault', 'the storage says the peer is alive but its heartbeat is silent: check the heartbeat network');
      } else {
        this.become('STANDBY', `challenge ${kind} failed (${failure}); retry after ${this.t.challengeBackoffMs} ms`, 'warn');
      }
      return;
    }
    if (kind === 'reset') {
      this.s.challengeWaitUntil = this.now + this.t.challengeWaitMs;
      this.log('info', 'challenge-wait', `reset done; waiting ${this.t.challengeWaitMs} ms for a live holder to renew`);
      return;
    }
    this.promote('challenge won: the silent peer did not renew within challengeWait', sentAt);
  }

  promote(reason: string, reserveSentAt: number): void {
    this.s.holding = true;
    this.s.lastRenewOkSentAt = reserveSentAt;
    this.s.lastRenewSentAt = this.now;
    this.s.renewFailing = false;
    this.s.challengeWaitUntil = null;
    this.s.heartbeatFault = false;
    this.become('PROMOTING', reason);
    if (this.s.shuttingDown) return; // continueShutdown releases it
    this.resourceCommand('take-over-pairs');
  }

  onReleased(reason: string): void {
    this.s.holding = false;
    this.s.renewFailing = false;
    const target = this.s.afterStop === 'handover' ? this.s.handoverTarget : null;
    this.s.afterStop = null;
    this.s.handoverTarget = null;
    if (target) {
      // Stay out of arbitration while the peer takes it; heartbeats carry the handover.
      this.s.handover = { to: target, id: this.newId(), until: this.now + this.t.handoverTimeoutMs };
      this.s.quietUntil = this.s.handover.until;
      this.become('STANDBY', `${reason}; handing over to ${target}`);
    } else {
      this.become('STANDBY', reason);
    }
  }

  onResourceResult(e: Extract<AgentEvent, { type: 'resource-result' }>): void {
    const op = this.s.resourceOp;
    if (!op || op.id !== e.id) return;
    this.s.resourceOp = null;
    if (this.s.role === 'STOPPING' && op.kind !== 'stop-app') {
      // A script that was running when the stop was decided has finished: stop now.
      this.resourceCommand('stop-app');
      return;
    }
    switch (op.kind) {
      case 'take-over-pairs':
        if (this.s.role !== 'PROMOTING') return;
        if (e.ok) {
          this.log('info', 'pairs-taken-over', e.detail);
          this.resourceCommand('start-app');
        } else {
          this.s.quietUntil = this.now + this.t.challengeBackoffMs;
          this.log('error', 'takeover-failed', e.detail);
          this.s.afterStop = 'release';
          this.reservationCommand('release', 'release');
        }
        return;
      case 'start-app':
        if (this.s.role !== 'PROMOTING') return;
        if (e.ok) {
          this.s.lastMonitorAt = this.now;
          this.become('ACTIVE', `holds the determining pair, data pairs taken over, application started (${e.detail})`);
        } else {
          this.s.quietUntil = this.now + this.t.challengeBackoffMs;
          this.s.handoverTarget = this.healthyPeer() ?? null;
          this.beginStop(this.s.handoverTarget ? 'handover' : 'release', `application failed to start: ${e.detail}`, 'error');
        }
        return;
      case 'monitor-app':
        if (this.s.role !== 'ACTIVE' || e.ok) return;
        this.log('error', 'monitor-failed', e.detail);
        this.s.handoverTarget = this.healthyPeer() ?? null;
        if (this.s.handoverTarget) {
          this.beginStop('handover', `monitor failed (${e.detail}); switching over to healthy peer ${this.s.handoverTarget}`, 'warn');
        } else {
          this.beginStop('restart', `monitor failed (${e.detail}) and no healthy peer: restarting the application here`, 'warn');
        }
        return;
      case 'stop-app':
        return this.onStopped(e.ok, e.detail);
    }
  }

  healthyPeer(): string | undefined {
    return alivePeers(this.s, this.now).find(([, p]) => p.role === 'STANDBY')?.[0];
  }

  onStopped(ok: boolean, detail: string): void {
    if (!ok) this.log('error', 'stop-failed', `stop script failed (${detail}); data pairs protect the data, but check the application`);
    else this.log('info', 'app-stopped', detail);
    const after = this.s.afterStop ?? 'standby';
    if (after === 'restart' && this.s.holding && !this.s.shuttingDown) {
      this.s.afterStop = null;
      this.become('PROMOTING', 'restarting the application after a monitor failure');
      this.resourceCommand('start-app');
      return;
    }
    if ((after === 'release' || after === 'handover' || after === 'exit' || after === 'restart') && this.s.holding) {
      this.reservationCommand('release', 'release');
      return;
    }
    this.s.afterStop = null;
    this.become('STANDBY', 'application stopped; this host does not hold the determining pair');
  }

  // --- time ----------------------------------------------------------------------------

  onTick(): void {
    const s = this.s;
    const t = this.t;
    const now = this.now;
    if (s.exited) return;
    if (s.handover && now >= s.handover.until) s.handover = null;
    if (s.switchoverRequest && now >= s.switchoverRequest.until) s.switchoverRequest = null;
    if (s.lastHeartbeatSentAt === null || now - s.lastHeartbeatSentAt >= t.heartbeatIntervalMs) this.sendHeartbeat();

    if (s.holding) {
      if (now - (s.lastRenewOkSentAt ?? 0) > t.renewDeadlineMs) {
        this.loseReservation(`no successful renewal for more than renewDeadline (${t.renewDeadlineMs} ms): cannot prove the reservation`);
      } else if (s.reservationOp === null && now - (s.lastRenewSentAt ?? 0) >= t.renewIntervalMs) {
        this.reservationCommand('reserve', 'renew');
      }
    }
    if (s.role === 'ACTIVE' && s.resourceOp === null && now - (s.lastMonitorAt ?? 0) >= t.monitorIntervalMs) {
      this.resourceCommand('monitor-app');
    }
    if (s.shuttingDown) return;
    if (s.role === 'CHALLENGING' && s.reservationOp === null && s.challengeWaitUntil !== null && now >= s.challengeWaitUntil) {
      s.challengeWaitUntil = null;
      this.reservationCommand('reserve', 'challenge');
    }
    if (s.role === 'STARTING') this.startupTick();
    else if (s.role === 'STANDBY') this.standbyTick();
  }

  startupTick(): void {
    if (this.s.reservationOp !== null) return;
    const busy = alivePeers(this.s, this.now).find(([, p]) => p.role === 'ACTIVE' || p.role === 'PROMOTING');
    if (busy) {
      this.become('STANDBY', `peer ${busy[0]} is ${busy[1].role}`);
      return;
    }
    if (this.s.me.preferred) this.claim('startup', 'start-up: preferred host reserves first');
    else if (this.now - this.s.startedAt >= this.t.startupDelayMs) {
      this.claim('startup', `start-up: no ACTIVE peer after startupDelay (${this.t.startupDelayMs} ms)`);
    }
  }

  standbyTick(): void {
    const s = this.s;
    const alive = alivePeers(s, this.now);
    // The preferred host keeps claiming while a peer challenges: like a live holder renewing, it
    // must get its RESERVE in within the challenger's challengeWait (e.g. its array just came back
    // with its reservation, which the challenger took for stale). The arrays let only one win.
    const blocking = s.me.preferred ? BUSY_ROLES.filter((r) => r !== 'CHALLENGING') : BUSY_ROLES;
    const idle = alive.length > 0 && alive.every(([, p]) => !blocking.includes(p.role));
    s.arbitrationSince = idle ? (s.arbitrationSince ?? this.now) : null;
    if (s.reservationOp !== null || this.now < s.quietUntil) return;
    if (alive.length === 0) {
      const lastHeard = Math.max(s.roleSince, ...Object.values(s.peers).map((p) => p.lastSeen));
      if (this.now - lastHeard >= this.t.heartbeatTimeoutMs) {
        this.challenge(`heartbeat silent for ${Math.round(this.now - lastHeard)} ms (heartbeatTimeout ${this.t.heartbeatTimeoutMs} ms)`);
      }
      return;
    }
    if (idle && s.arbitrationSince !== null) {
      const names = alive.map(([n, p]) => `${n} ${p.role}`).join(', ');
      if (s.me.preferred) this.claim('arbitration', `no host is ACTIVE (${names}): preferred host reserves first`);
      else if (this.now - s.arbitrationSince >= this.t.startupDelayMs) {
        this.claim('arbitration', `no host is ACTIVE (${names}) for startupDelay (${this.t.startupDelayMs} ms)`);
      }
    }
  }

  /** SIGTERM: stop the application and release if this host holds the pair, then exit. */
  continueShutdown(): void {
    const s = this.s;
    if (!s.shuttingDown || s.exited) return;
    if (s.role === 'ACTIVE' || s.role === 'PROMOTING') {
      this.beginStop('exit', 'shutdown');
      return;
    }
    if (s.role === 'STOPPING' || s.reservationOp !== null || s.resourceOp !== null) return;
    if (s.holding) {
      s.afterStop = 'exit';
      this.reservationCommand('release', 'release');
      return;
    }
    s.exited = true;
    this.log('info', 'exit', 'the application is stopped and this host holds no reservation; exiting');
    this.actions.push({ type: 'exit' });
  }
}
