// One simulated host: the real agent machine (src/core/agent.ts) driven by simulated ticks and
// messages, with the paired volume control of src/host/pairedVolumeControl.ts and an
// application that writes numbered records to the data volume while it runs.
import { initialAgentState, step, type AgentAction, type AgentEvent, type AgentState, type AgentTiming, type HeartbeatContent } from '../core/agent.js';
import { decideTakeover, type RemoteView } from '../core/takeover.js';
import type { PairCommand } from '../core/pairCommand.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import { REGIONS, type Answer, type SimArray } from './simArray.js';

const TICK_MS = 50;
/** The host shell's timeout for one control API request (array.timeoutMs). */
const ARRAY_TIMEOUT_MS = 500;

export interface HostEnv {
  sched: Scheduler;
  rng: Prng;
  timing: AgentTiming;
  /** The command the paired volume control issues when decideTakeover says 'swap'. */
  swapCommand: PairCommand;
  writesAllowed(): boolean;
  trace(line: string): void;
  sendHeartbeat(from: SimHost, message: HeartbeatContent): void;
  nextSeq(): number;
  acknowledged(region: number, seq: number): void;
}

export class SimHost {
  agent: AgentState | null = null;
  appRunning = false;
  private epoch = 0;
  /** One write loop per application start: two loops would race their own writes. */
  private appRun = 0;

  constructor(
    readonly name: string,
    readonly preferred: boolean,
    readonly array: SimArray,
    private readonly env: HostEnv,
  ) {}

  get alive(): boolean {
    return this.agent !== null;
  }

  start(): void {
    this.epoch++;
    this.agent = initialAgentState({ name: this.name, preferred: this.preferred }, this.env.timing, this.env.sched.now);
    this.scheduleTick(this.env.rng.int(0, TICK_MS));
  }

  crash(): void {
    this.epoch++;
    this.agent = null;
    this.appRunning = false;
  }

  dispatch(event: AgentEvent): void {
    if (!this.agent) return;
    const { state, actions } = step(this.agent, event, this.env.sched.now);
    this.agent = state;
    for (const action of actions) this.execute(action);
  }

  private scheduleTick(delay: number): void {
    this.env.sched.after(
      delay,
      `${this.name} tick`,
      this.guard(() => {
        this.dispatch({ type: 'tick' });
        this.scheduleTick(TICK_MS + this.env.rng.int(-10, 10));
      }),
    );
  }

  private execute(action: AgentAction): void {
    const { env } = this;
    switch (action.type) {
      case 'send-heartbeat':
        return env.sendHeartbeat(this, action.message);
      case 'log-event':
        return env.trace(`${this.name} ${action.event}: ${action.reason}`);
      case 'reserve':
      case 'release':
      case 'reset': {
        const op = (arr: SimArray, answer: (a: Answer) => void): void =>
          action.type === 'reset' ? arr.reset('det', answer) : action.type === 'reserve' ? arr.reserve('det', this.name, answer) : arr.release('det', this.name, answer);
        return this.call(`${this.name} ${action.type}`, op, (a) => this.dispatch({ type: 'reservation-result', id: action.id, ...(a ?? unreachable()) }));
      }
      case 'take-over-pairs':
        return this.takeOverData((ok, detail) => this.dispatch({ type: 'resource-result', id: action.id, ok, detail }));
      case 'start-app':
      case 'stop-app':
      case 'monitor-app':
        return this.runScript(action.type, action.id);
      case 'exit':
        return;
    }
  }

  /** src/host/pairedVolumeControl.ts takeOverOne, for the one data pair. */
  private takeOverData(report: (ok: boolean, detail: string) => void): void {
    this.call(
      `${this.name} read data pair`,
      (arr, answer: (i: ReturnType<SimArray['info']>) => void) => answer(arr.info('data')),
      (info) => {
        if (info === null) return report(false, 'cannot read pair: array-unreachable');
        const remote: RemoteView = info.peerConnected
          ? { attribute: info.attribute === 'P-VOL' ? 'S-VOL' : info.attribute === 'S-VOL' ? 'P-VOL' : 'SMPL', state: info.state }
          : 'unknown';
        const decision = decideTakeover({ attribute: info.attribute, state: info.state, fence: info.fence }, remote, { force: false });
        const issue = (cmd: PairCommand, mustSucceed: boolean): void =>
          this.call(
            `${this.name} data ${cmd.kind}`,
            (arr, answer: (a: Answer) => void) => arr.command('data', cmd, answer),
            (a) => {
              const res = a ?? unreachable();
              report(!mustSucceed || res.result === 'NORMAL', res.result === 'NORMAL' ? `${cmd.kind} done` : `${cmd.kind} failed: ${res.reason}`);
            },
          );
        switch (decision.action) {
          case 'nop':
          case 'wait-fenced':
            return report(true, decision.action);
          case 'swap':
            return issue(this.env.swapCommand, true);
          case 'resync':
            return issue({ kind: 'resync' }, false);
          default:
            return report(false, `${decision.action}: ${decision.reason}`);
        }
      },
    );
  }

  private runScript(kind: 'start-app' | 'stop-app' | 'monitor-app', id: number): void {
    this.env.sched.after(
      this.env.rng.int(5, 100),
      `${this.name} ${kind} done`,
      this.guard(() => {
        if (kind === 'start-app' && !this.appRunning) {
          this.appRunning = true;
          this.scheduleWrite(++this.appRun);
        }
        if (kind === 'stop-app') this.appRunning = false;
        this.dispatch({ type: 'resource-result', id, ok: true, detail: kind });
      }),
    );
  }

  /** The application: one numbered write at a time to a random region, while it runs. */
  private scheduleWrite(run: number): void {
    this.env.sched.after(
      this.env.rng.int(20, 120),
      `${this.name} app write`,
      this.guard(() => {
        if (!this.appRunning || run !== this.appRun) return;
        if (!this.env.writesAllowed()) return this.scheduleWrite(run);
        const region = this.env.rng.int(0, REGIONS - 1);
        const seq = this.env.nextSeq();
        this.call(
          `${this.name} write r${region}=${seq}`,
          (arr, answer: (ok: boolean) => void) => arr.hostWrite(region, seq, answer),
          (ok) => {
            if (ok) this.env.acknowledged(region, seq);
            this.scheduleWrite(run);
          },
        );
      }),
    );
  }

  /** A request to the local array; `null` when it did not answer within the shell's timeout. */
  private call<T>(label: string, op: (arr: SimArray, answer: (r: T) => void) => void, onAnswer: (r: T | null) => void): void {
    const { sched, rng } = this.env;
    let answered = false;
    const timeout = sched.after(ARRAY_TIMEOUT_MS, `${label}: no answer`, () => finish(null));
    const finish = this.guard((r: T | null) => {
      if (answered) return;
      answered = true;
      timeout.cancel();
      onAnswer(r);
    });
    sched.after(rng.int(1, 10), label, () => {
      if (!this.array.up) return;
      op(this.array, (r) => sched.after(rng.int(1, 10), `${label} answered`, () => finish(r)));
    });
  }

  /** A continuation that does nothing if this host crashed or restarted since it was created. */
  private guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
    const epoch = this.epoch;
    return (...args) => {
      if (this.epoch === epoch && this.agent !== null) fn(...args);
    };
  }
}

function unreachable(): Answer {
  return { result: 'ABNORMAL', reason: 'array-unreachable', message: 'the array did not answer' };
}
