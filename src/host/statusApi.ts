// The host agent's status API (HTTP/JSON on status.listen): what an operator needs to see
// (role, who holds the determining pair, heartbeat path ages, data pair states, recent decisions)
// and the planned switchover request. Loopback by default; read-mostly, so no token.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Role } from '../core/agent.js';
import type { CommandResult } from '../core/types.js';
import type { HostAgent, AgentEventRecord } from './agent.js';
import type { HostConfig } from './config.js';
import type { Heartbeat, HeartbeatPath } from './heartbeat.js';
import type { PairedVolumeControl } from './pairedVolumeControl.js';
import type { HostPort } from '../array/config.js';

export const STATUS_API = { status: '/v1/status', switchover: '/v1/switchover' } as const;

export interface PairStatus {
  name: string;
  attribute: string | null;
  state: string | null;
  holder: string | null;
  peerConnected: boolean | null;
  access: string | null;
  /** Why the fields are null: the array could not be asked. */
  error: string | null;
}

export interface HostStatus {
  name: string;
  role: Role;
  preferred: boolean;
  holding: boolean;
  heartbeatFault: boolean;
  determining: PairStatus;
  dataPairs: PairStatus[];
  peers: { name: string; role: Role; lastSeenMs: number; alive: boolean; paths: Partial<Record<HeartbeatPath, number>> }[];
  events: AgentEventRecord[];
}

export type HostStatusResponse = CommandResult<{ status: HostStatus }>;
export type SwitchoverResponse = CommandResult<{ accepted: true; role: Role }>;

interface StatusDeps {
  config: HostConfig;
  agent: HostAgent;
  heartbeat: Heartbeat;
  control: PairedVolumeControl;
}

async function pairStatus(control: PairedVolumeControl, name: string): Promise<PairStatus> {
  const r = await control.pair(name);
  if (r.result === 'ABNORMAL') return { name, attribute: null, state: null, holder: null, peerConnected: null, access: null, error: `${r.reason}: ${r.message}` };
  const p = r.pair;
  return { name, attribute: p.attribute, state: p.displayState, holder: p.holder, peerConnected: p.peerConnected, access: p.access, error: null };
}

export async function collectStatus({ config, agent, heartbeat, control }: StatusDeps): Promise<HostStatus> {
  const s = agent.snapshot;
  const ages = heartbeat.pathAges();
  const alive = new Set(agent.peersAlive());
  const pairNames = [...new Set(config.resources.flatMap((r) => r.pairs))];
  const [determining, ...dataPairs] = await Promise.all([config.determining, ...pairNames].map((n) => pairStatus(control, n)));
  return {
    name: config.name,
    role: s.role,
    preferred: config.preferred,
    holding: s.holding,
    heartbeatFault: s.heartbeatFault,
    determining,
    dataPairs,
    peers: Object.entries(s.peers).map(([name, p]) => ({
      name,
      role: p.role,
      lastSeenMs: Math.min(...Object.values(ages[name] ?? {}), Number.MAX_SAFE_INTEGER),
      alive: alive.has(name),
      paths: ages[name] ?? {},
    })),
    events: [...agent.events],
  };
}

function reply(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function handle(deps: StatusDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  req.resume(); // bodies are not used; drain them
  if (path === STATUS_API.status && req.method === 'GET') {
    const response: HostStatusResponse = { result: 'NORMAL', status: await collectStatus(deps) };
    return reply(res, 200, response);
  }
  if (path === STATUS_API.switchover && req.method === 'POST') {
    const refusal = deps.agent.requestSwitchover();
    const response: SwitchoverResponse = refusal
      ? { result: 'ABNORMAL', reason: 'invalid-state', message: `switchover refused: ${refusal}` }
      : { result: 'NORMAL', accepted: true, role: deps.agent.role };
    return reply(res, refusal ? 409 : 200, response);
  }
  const known = path === STATUS_API.status || path === STATUS_API.switchover;
  reply(res, known ? 405 : 404, { result: 'ABNORMAL', reason: known ? 'bad-request' : 'not-found', message: `${req.method} ${path} is not part of the host status API` });
}

export async function startStatusApi(deps: StatusDeps, listen: HostPort): Promise<{ server: Server; address: HostPort }> {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((err: Error) => reply(res, 500, { result: 'ABNORMAL', reason: 'io-error', message: err.message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as { address: string; port: number };
  return { server, address: { host: a.address, port: a.port } };
}
