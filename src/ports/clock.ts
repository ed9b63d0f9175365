// Time as the pair layer and the host shell see it. Production uses the process's monotonic
// clock and Node timers; the simulator supplies simulated time, so a seed replays exactly.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic (never jumps with the wall clock). */
  now(): number;
  /** Wall-clock time for event records and logs only; no decision may depend on it. */
  isoTime(): string;
  /** Run `fn` once after `ms` milliseconds. */
  after(ms: number, fn: () => void): Timer;
  /** Run `fn` after the current turn (work batched per event-loop turn). */
  defer(fn: () => void): void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  isoTime: () => new Date().toISOString(),
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
  defer(fn) {
    setImmediate(fn);
  },
};
