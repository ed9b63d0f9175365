// The two-site lab on one machine (SPEC §6): array A and array B with their remote copy link
// through a fault proxy pair, host A (preferred) and host B with their heartbeat through another
// proxy pair, a determining pair `quorum` (left free, PSUS) and a data pair `db` with A's volume
// the P-VOL, and the demo application as the hosts' resource. Every part is a real child
// process; every operation is bounded in time. Used by the scenario tests, the failover
// benchmark, `pairvol demo` and the chaos runner.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify } from 'yaml';
import type { AgentTiming, Role } from '../core/agent.js';
import type { Fence } from '../core/types.js';
import { STATUS_API, type HostStatus, type HostStatusResponse, type SwitchoverResponse } from '../host/statusApi.js';
import { API, type HealthResponse, type PairInfo } from '../protocol/control.js';
import { ControlClient } from '../protocol/controlClient.js';
import { NbdClient } from '../protocol/nbdClient.js';
import { readAckLog } from '../demo/ackLog.js';
import { writeAppScript } from '../demo/resourceScript.js';
import { verifyRecords, type VerifyReport } from '../demo/verifyRecords.js';
import { LinkCut, freeLoopbackPort, type Address } from './faultProxy.js';
import { ManagedProcess } from './managedProcess.js';

export type Site = 'a' | 'b';
export const SITES: readonly Site[] = ['a', 'b'];
export const DETERMINING_PAIR = 'quorum';
export const DATA_PAIR = 'db';

export interface LabOptions {
  /** Working directory (configs, data, logs, ack logs); created if missing, never removed. */
  dir: string;
  /** Agent timing overrides (the product defaults otherwise). */
  timing?: Partial<AgentTiming>;
  /** Fence level of the data pair (default never). */
  fence?: Fence;
  /** Data pair volume size (default 64M) and determining volume size (default 1M). */
  dataSize?: string;
  quorumSize?: string;
  /** Start the host agents (default true). Without them the lab is two arrays and their pairs. */
  hosts?: boolean;
  /** Pause between the demo application's records (default 20 ms). */
  appIntervalMs?: number;
  /** Array peer link liveness (the array defaults otherwise). */
  arrayPeer?: { heartbeatMs?: number; deadAfterMs?: number };
  /** Log levels of the child processes (default: arrays warn, hosts info). */
  arrayLogLevel?: string;
  hostLogLevel?: string;
}

export interface LabArray {
  site: Site;
  name: string;
  url: string;
  token: string;
  nbd: Address;
  process: ManagedProcess;
}

export interface LabHost {
  site: Site;
  name: string;
  statusUrl: string;
  process: ManagedProcess;
  /** The demo application's ack log, pid file and resource script. */
  ackLog: string;
  pidFile: string;
  script: string;
}

export interface PairView {
  quorum: PairInfo | null;
  db: PairInfo | null;
  /** Why the pairs are null (array down or not answering). */
  error: string | null;
}

export interface LabStatus {
  hosts: Record<Site, HostStatus | null>;
  arrays: Record<Site, PairView>;
}

const SECRET = 'lab-peer-secret';
const HTTP_TIMEOUT_MS = 2000;
const POLL_MS = 50;

/** The other site. */
export function otherSite(site: Site): Site {
  return site === 'a' ? 'b' : 'a';
}

export class Lab {
  private constructor(
    readonly dir: string,
    readonly arrays: Record<Site, LabArray>,
    readonly hosts: Record<Site, LabHost>,
    /** The remote copy link between the arrays. */
    readonly link: LinkCut,
    /** The heartbeat network between the hosts. */
    readonly heartbeat: LinkCut,
    private readonly withHosts: boolean,
  ) {}

  /** Writes the configs and scripts, starts both arrays, creates volumes and pairs, then the hosts. */
  static async start(opts: LabOptions): Promise<Lab> {
    const dir = opts.dir;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    const port = (): Promise<number> => freeLoopbackPort();
    const peerListen = { a: { host: '127.0.0.1', port: await port() }, b: { host: '127.0.0.1', port: await port() } };
    const hbListen = { a: { host: '127.0.0.1', port: await port() }, b: { host: '127.0.0.1', port: await port() } };
    const link = await LinkCut.start(peerListen.a, peerListen.b);
    const heartbeat = await LinkCut.start(hbListen.a, hbListen.b);
    const peerConnect = { a: link.aConnect, b: link.bConnect };
    const hbConnect = { a: heartbeat.aConnect, b: heartbeat.bConnect };
    const arrays = {} as Record<Site, LabArray>;
    const hosts = {} as Record<Site, LabHost>;
    for (const site of SITES) {
      const name = `site-${site}`;
      const token = `lab-token-${site}`;
      const nbd = { host: '127.0.0.1', port: await port() };
      const control = { host: '127.0.0.1', port: await port() };
      const config = join(dir, `${name}.yaml`);
      writeYaml(config, {
        name,
        dataDir: `./data/${name}`,
        logLevel: opts.arrayLogLevel ?? 'warn',
        nbd: { listen: hp(nbd) },
        control: { listen: hp(control), token },
        peer: { listen: hp(peerListen[site]), connect: hp(peerConnect[site]), secret: SECRET, ...opts.arrayPeer },
      });
      arrays[site] = {
        site,
        name,
        url: `http://${hp(control)}`,
        token,
        nbd,
        process: new ManagedProcess(`array ${name}`, ['array', '--config', config], `pairvol array ${name} ready `, join(dir, 'logs', `${name}.log`)),
      };
    }
    for (const site of SITES) {
      const name = `host-${site}`;
      const status = { host: '127.0.0.1', port: await port() };
      const host: LabHost = {
        site,
        name,
        statusUrl: `http://${hp(status)}`,
        ackLog: join(dir, `acks-${name}.log`),
        pidFile: join(dir, `app-${name}.pid`),
        script: join(dir, `app-${name}.sh`),
        process: new ManagedProcess(`host ${name}`, ['host', '--config', join(dir, `${name}.yaml`)], `pairvol host ${name} ready `, join(dir, 'logs', `${name}.log`)),
      };
      writeAppScript({
        path: host.script,
        nbdUri: `nbd://${hp(arrays[site].nbd)}/${DATA_PAIR}-${site}`,
        ackLog: host.ackLog,
        host: name,
        pidFile: host.pidFile,
        outFile: join(dir, 'logs', `app-${name}.out`),
        intervalMs: opts.appIntervalMs,
      });
      writeYaml(join(dir, `${name}.yaml`), {
        name,
        logLevel: opts.hostLogLevel ?? 'info',
        array: { control: arrays[site].url, token: arrays[site].token },
        status: { listen: hp(status) },
        heartbeat: { listen: hp(hbListen[site]), peers: [hp(hbConnect[site])] },
        determining: DETERMINING_PAIR,
        preferred: site === 'a',
        resources: [{ name: 'app', pairs: [DATA_PAIR], start: host.script, stop: host.script, monitor: host.script, timeouts: { startMs: 15_000, stopMs: 10_000, monitorMs: 5000 } }],
        ...(opts.timing ? { timing: opts.timing } : {}),
      });
      hosts[site] = host;
    }
    const lab = new Lab(dir, arrays, hosts, link, heartbeat, opts.hosts ?? true);
    try {
      await Promise.all(SITES.map((s) => arrays[s].process.start()));
      await lab.waitFor('the arrays to connect their peer link', async () => (await lab.peerConnected('a')) && (await lab.peerConnected('b')), 15_000);
      await lab.createPairs(opts);
      if (lab.withHosts) await Promise.all(SITES.map((s) => hosts[s].process.start()));
    } catch (err) {
      await lab.stop();
      throw err;
    }
    return lab;
  }

  private async createPairs(opts: LabOptions): Promise<void> {
    for (const site of SITES) {
      const c = this.client(site);
      must(await c.post(API.volumes, { name: `${DETERMINING_PAIR}-${site}`, size: opts.quorumSize ?? '1M' }), `create volume ${DETERMINING_PAIR}-${site}`);
      must(await c.post(API.volumes, { name: `${DATA_PAIR}-${site}`, size: opts.dataSize ?? '64M' }), `create volume ${DATA_PAIR}-${site}`);
    }
    const a = this.client('a');
    // Fresh, empty volumes on both sides: nothing to copy.
    must(await a.post(API.pairs, { name: DETERMINING_PAIR, pvol: `${DETERMINING_PAIR}-a`, svol: `${DETERMINING_PAIR}-b`, fence: 'never', nocopy: true }), 'create the determining pair');
    must(await a.post(API.pairCommand(DETERMINING_PAIR, 'split'), {}), 'split the determining pair (free)');
    must(await a.post(API.pairs, { name: DATA_PAIR, pvol: `${DATA_PAIR}-a`, svol: `${DATA_PAIR}-b`, fence: opts.fence ?? 'never', nocopy: true }), 'create the data pair');
    for (const site of SITES) {
      await this.waitFor(`${DETERMINING_PAIR} PSUS and ${DATA_PAIR} PAIR on site ${site}`, async () => {
        const v = await this.pairs(site);
        return v.quorum?.state === 'PSUS' && v.db?.state === 'PAIR';
      }, 10_000);
    }
  }

  /** A control API client of one array. */
  client(site: Site, timeoutMs = HTTP_TIMEOUT_MS): ControlClient {
    return new ControlClient({ url: this.arrays[site].url, token: this.arrays[site].token, timeoutMs });
  }

  /** nbd:// URI of a volume on one array (volumes are named `quorum-a`, `db-b`, ...). */
  nbdUri(site: Site, volume = `${DATA_PAIR}-${site}`): string {
    return `nbd://${hp(this.arrays[site].nbd)}/${volume}`;
  }

  async killArray(site: Site, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.arrays[site].process.kill(signal);
  }

  async restartArray(site: Site): Promise<void> {
    await this.arrays[site].process.kill('SIGTERM');
    await this.arrays[site].process.start();
  }

  /**
   * SIGKILL is a host crash: the agent and the application it runs die together. SIGTERM is an
   * orderly agent shutdown (it stops the application and releases the determining pair itself).
   */
  async killHost(site: Site, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.hosts[site].process.kill(signal);
    if (signal === 'SIGKILL') this.killApp(site);
  }

  async restartHost(site: Site): Promise<void> {
    await this.hosts[site].process.kill('SIGTERM');
    await this.hosts[site].process.start();
  }

  /** SIGKILL the demo application of a host, if it runs. */
  killApp(site: Site): void {
    const pid = this.appPid(site);
    if (pid === null) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** The pid in the host's application pid file, if that process is alive. */
  appPid(site: Site): number | null {
    let pid: number;
    try {
      pid = Number(readFileSync(this.hosts[site].pidFile, 'utf8').trim());
    } catch {
      return null;
    }
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    try {
      process.kill(pid, 0);
      return pid;
    } catch {
      return null;
    }
  }

  /** Cut the remote copy link: 'cut' closes connections, 'blackhole' silently drops every byte. */
  cutLink(mode: 'cut' | 'blackhole' = 'cut'): void {
    if (mode === 'cut') this.link.cut();
    else this.link.blackhole();
  }

  restoreLink(): void {
    this.link.restore();
  }

  cutHeartbeat(mode: 'cut' | 'blackhole' = 'cut'): void {
    if (mode === 'cut') this.heartbeat.cut();
    else this.heartbeat.blackhole();
  }

  restoreHeartbeat(): void {
    this.heartbeat.restore();
  }

  /** Ask a host (either one works) for a planned switchover. */
  async switchover(site: Site = 'a'): Promise<SwitchoverResponse> {
    return httpJson<SwitchoverResponse>('POST', `${this.hosts[site].statusUrl}${STATUS_API.switchover}`);
  }

  async hostStatus(site: Site): Promise<HostStatus | null> {
    if (!this.hosts[site].process.running) return null;
    const r = await httpJson<HostStatusResponse>('GET', `${this.hosts[site].statusUrl}${STATUS_API.status}`);
    return r.result === 'NORMAL' ? r.status : null;
  }

  /** Both pairs as one array reports them. */
  async pairs(site: Site): Promise<PairView> {
    if (!this.arrays[site].process.running) return { quorum: null, db: null, error: 'array not running' };
    const c = this.client(site);
    const [q, d] = await Promise.all([c.get<{ pair: PairInfo }>(API.pair(DETERMINING_PAIR)), c.get<{ pair: PairInfo }>(API.pair(DATA_PAIR))]);
    const error = [q, d].map((r) => (r.result === 'ABNORMAL' ? `${r.reason}: ${r.message}` : null)).find((e) => e !== null) ?? null;
    return { quorum: q.result === 'NORMAL' ? q.pair : null, db: d.result === 'NORMAL' ? d.pair : null, error };
  }

  /** Both hosts' status and both arrays' pair info, asked at the same time. */
  async status(): Promise<LabStatus> {
    const [ha, hb, pa, pb] = await Promise.all([this.hostStatus('a'), this.hostStatus('b'), this.pairs('a'), this.pairs('b')]);
    return { hosts: { a: ha, b: hb }, arrays: { a: pa, b: pb } };
  }

  async peerConnected(site: Site): Promise<boolean> {
    if (!this.arrays[site].process.running) return false;
    const h: HealthResponse = await this.client(site).get(API.health);
    return h.result === 'NORMAL' && h.peerConnected;
  }

  /** The hosts whose agents say ACTIVE right now. */
  async activeHosts(): Promise<Site[]> {
    const roles = await Promise.all(SITES.map(async (s) => (await this.hostStatus(s))?.role));
    return SITES.filter((_, i) => roles[i] === 'ACTIVE');
  }

  /** Polls `check` every 50 ms until it is true; throws naming `what` after timeoutMs. */
  async waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(POLL_MS);
    }
  }

  async waitForRole(site: Site, role: Role, timeoutMs = 15_000): Promise<void> {
    await this.waitFor(`host-${site} to be ${role}`, async () => (await this.hostStatus(site))?.role === role, timeoutMs);
  }

  /** Lines in a host's ack log (records its application got acknowledged). */
  acks(site: Site): number {
    return readAckLog(this.hosts[site].ackLog).length;
  }

  /** Wait until a host's application has acknowledged `more` records beyond what it had. */
  async waitForAcks(site: Site, more = 5, timeoutMs = 15_000): Promise<void> {
    const start = this.acks(site);
    await this.waitFor(`${more} new acknowledged records from host-${site}`, () => this.acks(site) >= start + more, timeoutMs);
  }

  /** Every record either host's application acknowledged must be on this site's data volume. */
  async verify(site: Site): Promise<VerifyReport> {
    const client = await NbdClient.connect(this.nbdUri(site));
    try {
      return await verifyRecords(client, SITES.map((s) => this.hosts[s].ackLog));
    } finally {
      client.close();
    }
  }

  /** Tear everything down (hosts and applications first, then arrays, then the proxies). */
  async stop(): Promise<void> {
    for (const site of SITES) {
      await this.hosts[site].process.dispose();
      this.killApp(site);
    }
    for (const site of SITES) await this.arrays[site].process.dispose();
    await Promise.all([this.link.close(), this.heartbeat.close()]);
  }
}

function hp(a: Address): string {
  return `${a.host}:${a.port}`;
}

function writeYaml(path: string, doc: object): void {
  writeFileSync(path, stringify(doc));
}

function must(r: { result: string; reason?: string; message?: string }, what: string): void {
  if (r.result !== 'NORMAL') throw new Error(`lab: ${what} failed: ${r.reason}: ${r.message}`);
}

async function httpJson<T>(method: string, url: string): Promise<T> {
  try {
    const res = await fetch(url, { method, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    return (await res.json()) as T;
  } catch (err) {
    return { result: 'ABNORMAL', reason: 'array-unreachable', message: `cannot reach ${url}: ${(err as Error).message}` } as T;
  }
}
