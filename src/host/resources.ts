// Runs the application's start/stop/monitor scripts the way OCF resource agents are run:
// `script <action>`, env OCF_RESOURCE_INSTANCE, exit 0 success, 7 "not running", anything else an
// error. Every run has a timeout after which the script's whole process group is killed, and
// the runs of one resource are serialised so that a monitor never overlaps a stop.
import { spawn } from 'node:child_process';
import type { ResourceConfig } from './config.js';

export type ResourceAction = 'start' | 'stop' | 'monitor';

export const OCF_SUCCESS = 0;
export const OCF_NOT_RUNNING = 7;

export interface ScriptOutcome {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Last lines of output, for the event log. */
  output: string;
}

/** What an outcome means for an action: start/stop must succeed; monitor must say "running". */
export function actionSucceeded(action: ResourceAction, outcome: ScriptOutcome): boolean {
  if (outcome.timedOut) return false;
  if (action === 'stop') return outcome.code === OCF_SUCCESS || outcome.code === OCF_NOT_RUNNING; // stopping a stopped app succeeds
  return outcome.code === OCF_SUCCESS;
}

export function describeOutcome(outcome: ScriptOutcome): string {
  const how = outcome.timedOut
    ? 'timed out and was killed'
    : outcome.code === null
      ? `killed by ${outcome.signal}`
      : outcome.code === OCF_NOT_RUNNING
        ? 'exit 7 (not running)'
        : `exit ${outcome.code}`;
  return outcome.output ? `${how}: ${outcome.output}` : how;
}

const KILL_GRACE_MS = 1000;
const OUTPUT_KEEP = 500;

/** Run one script once. Never rejects: a script that cannot be spawned is an error outcome. */
export function runScript(path: string, action: ResourceAction, resource: string, timeoutMs: number): Promise<ScriptOutcome> {
  return new Promise((resolve) => {
    let output = '';
    let timedOut = false;
    const child = spawn(path, [action], {
      env: { ...process.env, OCF_RESOURCE_INSTANCE: resource, OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout kills what it started too
    });
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEEP);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut: false, output: `cannot run ${path}: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, output: output.trim().split('\n').slice(-3).join(' | ') });
    });
  });
}

export interface ResourceSetResult {
  ok: boolean;
  detail: string;
}

/** All resources of the host: started in order, stopped in reverse, each serialised. */
export class ResourceSet {
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly resources: ResourceConfig[]) {}

  get names(): string[] {
    return this.resources.map((r) => r.name);
  }

  /** Run one action of one resource after any action already queued for it. */
  run(resource: ResourceConfig, action: ResourceAction): Promise<ScriptOutcome> {
    const timeout = action === 'start' ? resource.timeouts.startMs : action === 'stop' ? resource.timeouts.stopMs : resource.timeouts.monitorMs;
    const previous = this.queues.get(resource.name) ?? Promise.resolve();
    const next = previous.then(() => runScript(resource[action], action, resource.name, timeout));
    this.queues.set(resource.name, next);
    return next;
  }

  /** Start in configuration order; stop at the first failure. */
  async startAll(): Promise<ResourceSetResult> {
    const done: string[] = [];
    for (const r of this.resources) {
      const outcome = await this.run(r, 'start');
      if (!actionSucceeded('start', outcome)) return { ok: false, detail: `${r.name} start ${describeOutcome(outcome)}` };
      done.push(r.name);
    }
    return { ok: true, detail: done.length ? `started ${done.join(', ')}` : 'no resources configured' };
  }

  /** Stop in reverse order; every resource is stopped even when one fails. */
  async stopAll(): Promise<ResourceSetResult> {
    const failures: string[] = [];
    for (const r of [...this.resources].reverse()) {
      const outcome = await this.run(r, 'stop');
      if (!actionSucceeded('stop', outcome)) failures.push(`${r.name} stop ${describeOutcome(outcome)}`);
    }
    return failures.length ? { ok: false, detail: failures.join('; ') } : { ok: true, detail: `stopped ${this.names.join(', ') || 'nothing'}` };
  }

  async monitorAll(): Promise<ResourceSetResult> {
    const failures: string[] = [];
    for (const r of this.resources) {
      const outcome = await this.run(r, 'monitor');
      if (!actionSucceeded('monitor', outcome)) failures.push(`${r.name} monitor ${describeOutcome(outcome)}`);
    }
    return failures.length ? { ok: false, detail: failures.join('; ') } : { ok: true, detail: 'all resources running' };
  }
}
