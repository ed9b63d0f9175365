// Simulated time: a queue of events ordered by (time, insertion order). Nothing runs unless the
// queue runs it, so a run is a pure function of its seed.

interface Scheduled {
  at: number;
  cancelled?: boolean;
  seq: number;
  label: string;
  run: () => void;
}

export class Scheduler {
  now = 0;
  private seq = 0;
  private readonly heap: Scheduled[] = [];

  /** Run `run` after `delay` ms of simulated time; `label` is what the trace shows. */
  after(delay: number, label: string, run: () => void): { cancel(): void } {
    const e: Scheduled = { at: this.now + Math.max(0, delay), seq: this.seq++, label, run };
    this.push(e);
    return { cancel: () => (e.cancelled = true) };
  }

  at(time: number, label: string, run: () => void): { cancel(): void } {
    return this.after(time - this.now, label, run);
  }

  /** Run events up to `until` (included); `onEvent` is called after each with its label. */
  runUntil(until: number, onEvent: (label: string) => boolean): boolean {
    while (this.heap.length > 0 && this.heap[0].at <= until) {
      const e = this.pop();
      if (e.cancelled) continue;
      this.now = e.at;
      e.run();
      if (!onEvent(e.label)) return false;
    }
    this.now = until;
    return true;
  }

  private push(e: Scheduled): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(h[i], h[parent])) break;
      [h[i], h[parent]] = [h[parent], h[i]];
      i = parent;
    }
  }

  private pop(): Scheduled {
    const h = this.heap;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
