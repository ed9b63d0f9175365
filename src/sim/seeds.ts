// Runs a range of seeds, in this thread or split over worker threads, and sums up the results.
import { Worker } from 'node:worker_threads';
import { simulate, type SimOptions, type SimResult } from './world.js';

export type RunOptions = Omit<SimOptions, 'seed' | 'fullTrace'>;

export interface SeedsSummary {
  runs: number;
  forcedTakeovers: number;
  acknowledged: number;
  /** The failing seeds, each with its result (trace included). */
  failures: SimResult[];
}

export function runSeeds(from: number, count: number, opts: RunOptions = {}): SeedsSummary {
  const summary: SeedsSummary = { runs: 0, forcedTakeovers: 0, acknowledged: 0, failures: [] };
  for (let seed = from; seed < from + count; seed++) {
    const r = simulate({ ...opts, seed });
    summary.runs++;
    summary.acknowledged += r.acknowledged;
    if (r.forcedTakeover) summary.forcedTakeovers++;
    if (r.violation) summary.failures.push(r);
  }
  return summary;
}

/** Run from source, the worker registers tsx's loader first (workers do not inherit it); compiled, it is plain JS. */
function workerScript(): string {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './seedWorker.ts' : './seedWorker.js', import.meta.url).href;
  const register = fromSource ? `(await import('tsx/esm/api')).register();` : '';
  return `(async () => { ${register} await import(${JSON.stringify(entry)}); })();`;
}

/** The same, split into `threads` contiguous ranges run by worker threads (seedWorker.ts). */
export async function runSeedsParallel(from: number, count: number, threads: number, opts: RunOptions = {}): Promise<SeedsSummary> {
  const per = Math.ceil(count / threads);
  const parts = await Promise.all(
    Array.from({ length: threads }, (_, i) => {
      const start = from + i * per;
      const n = Math.max(0, Math.min(per, from + count - start));
      return new Promise<SeedsSummary>((resolve, reject) => {
        const worker = new Worker(workerScript(), { eval: true, workerData: { from: start, count: n, opts } });
        worker.once('message', resolve);
        worker.once('error', reject);
      });
    }),
  );
  return {
    runs: parts.reduce((n, p) => n + p.runs, 0),
    forcedTakeovers: parts.reduce((n, p) => n + p.forcedTakeovers, 0),
    acknowledged: parts.reduce((n, p) => n + p.acknowledged, 0),
    failures: parts.flatMap((p) => p.failures),
  };
}
