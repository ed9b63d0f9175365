// Worker thread entry of runSeedsParallel: runs its range of seeds and posts the summary.
import { parentPort, workerData } from 'node:worker_threads';
import { runSeeds, type RunOptions } from './seeds.js';

const { from, count, opts } = workerData as { from: number; count: number; opts: RunOptions };
parentPort!.postMessage(runSeeds(from, count, opts));
