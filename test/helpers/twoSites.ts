// Two real arrays (site-a, site-b) whose peer link runs through fault proxies, so a test can
// cut, blackhole or slow "the remote copy link" as one.
import { spawn } from 'node:child_process';
import { ArrayProcess } from './arrayProcess.js';
import { LinkCut } from '../../src/lab/faultProxy.js';
import { freePort } from './tmp.js';
import type { Abnormal, CommandResult } from '../../src/core/types.js';
import type { PairInfo } from '../../src/protocol/control.js';
import { API } from '../../src/protocol/control.js';

export interface TwoSites {
  a: ArrayProcess;
  b: ArrayProcess;
  link: LinkCut;
  dispose(): Promise<void>;
}

export interface TwoSitesOptions {
  /** Merged over both arrays' generated configs. */
  extra?: Record<string, unknown>;
  /** Defaults to fast link-failure detection for tests; benchmarks pass the product defaults. */
  peerTiming?: { heartbeatMs: number; deadAfterMs: number };
  /** Connect the arrays to each other directly (benchmarks): `link` then cannot cut anything. */
  direct?: boolean;
}

export async function startTwoSites(opts: TwoSitesOptions = {}): Promise<TwoSites> {
  const aListen = { host: '127.0.0.1', port: await freePort() };
  const bListen = { host: '127.0.0.1', port: await freePort() };
  const link = await LinkCut.start(aListen, bListen);
  const peer = (listen: { port: number }, connect: { port: number }) => ({
    listen: `127.0.0.1:${listen.port}`,
    connect: `127.0.0.1:${connect.port}`,
    secret: 'two-sites-secret',
    ...(opts.peerTiming ?? { heartbeatMs: 100, deadAfterMs: 600 }),
  });
  const extra = { regionSize: '64K', ...opts.extra };
  const aConnect = opts.direct ? bListen : link.aConnect;
  const bConnect = opts.direct ? aListen : link.bConnect;
  const a = await ArrayProcess.start({ name: 'site-a', extraConfig: { peer: peer(aListen, aConnect), ...extra } });
  const b = await ArrayProcess.start({ name: 'site-b', extraConfig: { peer: peer(bListen, bConnect), ...extra } });
  return {
    a,
    b,
    link,
    async dispose() {
      await Promise.all([a.dispose(), b.dispose()]);
      await link.close();
    },
  };
}

/** NORMAL END or a thrown error that shows the ABNORMAL reason. */
export function normal<R extends CommandResult>(r: R): Exclude<R, Abnormal> {
  if (r.result !== 'NORMAL') {
    const a = r as Abnormal;
    throw new Error(`expected NORMAL END, got ABNORMAL ${a.reason}: ${a.message}`);
  }
  return r as Exclude<R, Abnormal>;
}

export async function pairInfo(array: ArrayProcess, name: string): Promise<PairInfo> {
  return normal(await array.client().get<{ pair: PairInfo }>(API.pair(name))).pair;
}

/** Wait (bounded) until the array reports the pair in `state`. */
export async function waitState(array: ArrayProcess, name: string, state: string, timeoutSec = 20): Promise<PairInfo> {
  const r = await array.client().get<{ pair: PairInfo }>(`${API.pairWait(name)}?state=${state}&timeout=${timeoutSec}`, (timeoutSec + 5) * 1000);
  return normal(r).pair;
}

/** Wait (bounded) until both arrays see each other on the peer link. */
export async function waitLinked(sites: TwoSites, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [ha, hb] = await Promise.all([sites.a.client().get<{ peerConnected: boolean }>(API.health), sites.b.client().get<{ peerConnected: boolean }>(API.health)]);
    if (ha.result === 'NORMAL' && hb.result === 'NORMAL' && ha.peerConnected && hb.peerConnected) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('arrays did not connect their peer link in time');
}

/**
 * qemu-io against an NBD URI; resolves with exit code and output. Asynchronous on purpose:
 * the fault proxies live in the test process and must keep relaying while qemu-io runs.
 */
export function qemuIo(uri: string, ...commands: string[]): Promise<{ code: number; out: string }> {
  return run('qemu-io', ['-f', 'raw', ...commands.flatMap((c) => ['-c', c]), uri]);
}

/** Read-only qemu-io (exports advertised read-only need it). */
export function qemuIoRead(uri: string, ...commands: string[]): Promise<{ code: number; out: string }> {
  return run('qemu-io', ['-r', '-f', 'raw', ...commands.flatMap((c) => ['-c', c]), uri]);
}

export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}
