// The I/O shell around the pure agent machine (src/core/agent.ts): it owns the clock and the
// timers, feeds events in one at a time, and carries out the actions the machine returns.
import type { Logger } from 'pino';
import {
  alivePeers,
  initialAgentState,
  step,
  switchoverRefusal,
  type AgentAction,
  type AgentEvent,
  type AgentState,
  type Role,
} from '../core/agent.js';
import { systemClock, type Clock, type Timer } from '../ports/clock.js';
import type { HeartbeatSender, PairControl, Resources } from '../ports/hostPorts.js';
import type { HostConfig } from './config.js';
import type { HeartbeatMessage, HeartbeatPath } from './heartbeat.js';

const TICK_MS = 50;
const KEEP_EVENTS = 50;

export interface AgentEventRecord {
  time: string;
  level: string;
  event: string;
  role: Role;
  reason: string;
}

export interface AgentDeps {
  config: Pick<HostConfig, 'name' | 'preferred' | 'determining' | 'timing'> & { resources: { pairs: string[] }[] };
  control: PairControl;
  resources: Resources;
  heartbeat: HeartbeatSender;
  logger: Logger;
  clock?: Clock;
  /** Called once the machine has stopped the application and released (shutdown). */
  onExit: () => void;
}

export class HostAgent {
  private state: AgentState;
  private timer: Timer | null = null;
  private readonly recent: AgentEventRecord[] = [];
  private readonly clock: Clock;
  private readonly started: number;
  /** Set when the process is gone (simulated crash): results of actions still running are dropped. */
  private dead = false;

  constructor(private readonly deps: AgentDeps) {
    this.clock = deps.clock ?? systemClock;
    this.started = this.clock.now();
    this.state = initialAgentState({ name: deps.config.name, preferred: deps.config.preferred }, deps.config.timing, 0);
  }

  /** Milliseconds since the agent started: monotonic, immune to wall-clock jumps. */
  private now(): number {
    return this.clock.now() - this.started;
  }

  start(): void {
    this.dispatch({ type: 'tick' });
    this.scheduleTick();
  }

  private scheduleTick(): void {
    this.timer = this.clock.after(TICK_MS, () => {
      this.dispatch({ type: 'tick' });
      if (this.timer) this.scheduleTick();
    });
  }

  stopTimers(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** The process is gone: no timer fires and no result is fed in any more. */
  kill(): void {
    this.dead = true;
    this.stopTimers();
  }

  get role(): Role {
    return this.state.role;
  }

  get snapshot(): Readonly<AgentState> {
    return this.state;
  }

  get events(): readonly AgentEventRecord[] {
    return this.recent;
  }

  onHeartbeat(message: HeartbeatMessage, path: HeartbeatPath): void {
    const { name, seq: _seq, ...content } = message;
    this.dispatch({ type: 'heartbeat', peer: name, path, ...content });
  }

  /** Null when accepted; the reason otherwise (nothing changes then). */
  requestSwitchover(): string | null {
    const refusal = switchoverRefusal(this.state, this.now());
    this.dispatch({ type: 'switchover-requested' });
    return refusal;
  }

  requestShutdown(): void {
    this.dispatch({ type: 'shutdown-requested' });
  }

  peersAlive(): string[] {
    return alivePeers(this.state, this.now()).map(([n]) => n);
  }

  private dispatch(event: AgentEvent): void {
    if (this.dead) return;
    const { state, actions } = step(this.state, event, this.now());
    this.state = state;
    for (const action of actions) this.execute(action);
  }

  private execute(action: AgentAction): void {
    const { control, resources, heartbeat, config, logger } = this.deps;
    switch (action.type) {
      case 'send-heartbeat':
        heartbeat.send(action.message);
        return;
      case 'log-event': {
        const record = { time: this.clock.isoTime(), level: action.level, event: action.event, role: action.role, reason: action.reason };
        this.recent.push(record);
        if (this.recent.length > KEEP_EVENTS) this.recent.shift();
        logger[action.level]({ event: action.event, role: action.role }, action.reason);
        return;
      }
      case 'reserve':
      case 'release':
      case 'reset': {
        const call =
          action.type === 'reset'
            ? control.reset(config.determining)
            : action.type === 'reserve'
              ? control.reserve(config.determining, config.name)
              : control.release(config.determining, config.name);
        void call.then((r) =>
          this.dispatch(
            r.result === 'NORMAL'
              ? { type: 'reservation-result', id: action.id, result: 'NORMAL' }
              : { type: 'reservation-result', id: action.id, result: 'ABNORMAL', reason: r.reason, message: r.message },
          ),
        );
        return;
      }
      case 'take-over-pairs': {
        const pairs = [...new Set(config.resources.flatMap((r) => r.pairs))];
        void control.takeOver(pairs).then((r) => this.dispatch({ type: 'resource-result', id: action.id, ok: r.ok, detail: r.detail }));
        return;
      }
      case 'start-app':
      case 'stop-app':
      case 'monitor-app': {
        const run = action.type === 'start-app' ? resources.startAll() : action.type === 'stop-app' ? resources.stopAll() : resources.monitorAll();
        void run.then((r) => this.dispatch({ type: 'resource-result', id: action.id, ok: r.ok, detail: r.detail }));
        return;
      }
      case 'exit':
        this.stopTimers();
        this.deps.onExit();
        return;
    }
  }
}
