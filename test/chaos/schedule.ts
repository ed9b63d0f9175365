// The chaos runner's plan: an endless, seeded sequence of faults. It depends on the seed only —
// targets are named by role ("the ACTIVE host", "the P-VOL's array"), resolved when the step
// runs — so the same seed always gives the same schedule.
import { seededRandom } from '../helpers/seededRandom.js';

export type FaultKind =
  | 'kill-host' // kill -9 of a host: agent and application die, restarted after the hold
  | 'stop-host' // orderly agent stop (SIGTERM), restarted after the hold
  | 'kill-app' // kill -9 of the application only: the agent's monitor must notice
  | 'kill-array' // kill -9 of an array, restarted after the hold
  | 'heartbeat-partition'
  | 'link-partition'
  | 'full-partition' // heartbeat and remote copy link at once
  | 'switchover';

export type Target = 'active-host' | 'standby-host' | 'pvol-array' | 'svol-array' | null;

export interface ChaosStep {
  index: number;
  kind: FaultKind;
  target: Target;
  /** How a partition drops traffic: closed connections or silent loss. */
  mode: 'cut' | 'blackhole' | null;
  /** How long the fault lasts before it is healed. */
  holdMs: number;
}

const WEIGHTS: [FaultKind, number][] = [
  ['kill-host', 3],
  ['stop-host', 1],
  ['kill-app', 1],
  ['kill-array', 3],
  ['heartbeat-partition', 2],
  ['link-partition', 2],
  ['full-partition', 1],
  ['switchover', 2],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((n, [, w]) => n + w, 0);
const MIN_HOLD_MS = 500;
const MAX_HOLD_MS = 4000;

function pickKind(r: number): FaultKind {
  let at = r * TOTAL_WEIGHT;
  for (const [kind, weight] of WEIGHTS) {
    if (at < weight) return kind;
    at -= weight;
  }
  return WEIGHTS[WEIGHTS.length - 1][0];
}

export function* chaosSchedule(seed: number): Generator<ChaosStep> {
  const random = seededRandom(seed);
  for (let index = 1; ; index++) {
    const kind = pickKind(random());
    const either = random() < 0.5;
    const target: Target =
      kind === 'kill-host' || kind === 'stop-host' ? (either ? 'active-host' : 'standby-host') : kind === 'kill-array' ? (either ? 'pvol-array' : 'svol-array') : kind === 'kill-app' ? 'active-host' : null;
    const mode = kind.endsWith('-partition') ? (random() < 0.5 ? 'cut' : 'blackhole') : null;
    const holdMs = MIN_HOLD_MS + Math.round(random() * (MAX_HOLD_MS - MIN_HOLD_MS));
    yield { index, kind, target, mode, holdMs };
  }
}

/** The first `n` steps of a seed's schedule. */
export function planFor(seed: number, n: number): ChaosStep[] {
  const steps: ChaosStep[] = [];
  for (const step of chaosSchedule(seed)) {
    if (steps.length === n) break;
    steps.push(step);
  }
  return steps;
}

const TARGET_WORDS: Record<NonNullable<Target>, string> = {
  'active-host': 'ACTIVE host',
  'standby-host': 'STANDBY host',
  'pvol-array': "array of db's P-VOL",
  'svol-array': "array of db's S-VOL",
};

export function describeStep(s: ChaosStep): string {
  const hold = `${(s.holdMs / 1000).toFixed(1)} s`;
  const who = s.target ? TARGET_WORDS[s.target] : '';
  switch (s.kind) {
    case 'kill-host':
      return `kill -9 the ${who}, restart it after ${hold}`;
    case 'stop-host':
      return `stop the ${who} (SIGTERM), start it after ${hold}`;
    case 'kill-app':
      return `kill -9 the application of the ${who}, watch for ${hold}`;
    case 'kill-array':
      return `kill -9 the ${who}, restart it after ${hold}`;
    case 'heartbeat-partition':
      return `partition the heartbeat network (${s.mode}) for ${hold}`;
    case 'link-partition':
      return `partition the remote copy link (${s.mode}) for ${hold}`;
    case 'full-partition':
      return `partition heartbeat and remote copy link (${s.mode}) for ${hold}`;
    case 'switchover':
      return `planned switchover, watch for ${hold}`;
  }
}
