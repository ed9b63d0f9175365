// Heartbeat between host agents over up to two independent paths: TCP (newline-delimited JSON
// on a kept-open connection per peer) and UDP (one JSON datagram per message). A message on any
// path proves the peer alive; the per-path ages tell an operator which path is broken.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { z } from 'zod';
import { ROLES, type HeartbeatContent } from '../core/agent.js';
import { formatHostPort, type HostPort } from '../array/config.js';

export type HeartbeatPath = 'tcp' | 'udp';

export interface HeartbeatMessage extends HeartbeatContent {
  name: string;
  seq: number;
}

const switchoverMessage = z.object({ to: z.string().min(1).max(64), id: z.number().int().nonnegative() }).strict();
const messageSchema = z
  .object({
    name: z.string().min(1).max(64),
    seq: z.number().int().nonnegative(),
    role: z.enum(ROLES as [string, ...string[]]),
    handover: switchoverMessage.optional(),
    switchoverRequest: switchoverMessage.optional(),
  })
  .strict();

/** Longest message accepted; anything longer is not a heartbeat. */
const MAX_MESSAGE_BYTES = 4096;
const RECONNECT_MS = 200;

export function parseHeartbeat(text: string): HeartbeatMessage | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  const parsed = messageSchema.safeParse(doc);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
  return parsed.data as HeartbeatMessage;
}

export interface HeartbeatOptions {
  name: string;
  tcp: { listen: HostPort; peers: HostPort[] };
  udp: { listen: HostPort; peers: HostPort[] } | null;
  onMessage: (message: HeartbeatMessage, path: HeartbeatPath) => void;
  onMalformed: (path: HeartbeatPath, from: string, problem: string) => void;
  /** Milliseconds clock for the path ages (monotonic in production). */
  clock?: () => number;
}

export interface BoundAddresses {
  tcp: HostPort;
  udp: HostPort | null;
}

export class Heartbeat {
  private server: Server | null = null;
  private udp: UdpSocket | null = null;
  private readonly outgoing = new Map<string, Socket | null>();
  private readonly inbound = new Set<Socket>();
  private readonly reconnectTimers = new Set<NodeJS.Timeout>();
  private readonly lastSeen = new Map<string, Partial<Record<HeartbeatPath, number>>>();
  private seq = 0;
  private closed = false;
  private readonly clock: () => number;

  constructor(private readonly opts: HeartbeatOptions) {
    this.clock = opts.clock ?? (() => performance.now());
  }

  async start(): Promise<BoundAddresses> {
    const server = createServer((socket) => this.acceptTcp(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.tcp.listen.port, this.opts.tcp.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const tcpAddress = server.address() as { address: string; port: number };
    let udpAddress: HostPort | null = null;
    if (this.opts.udp) {
      const udp = createSocket(this.opts.udp.listen.host.includes(':') ? 'udp6' : 'udp4');
      this.udp = udp;
      udp.on('message', (buf, rinfo) => this.receive(buf.toString('utf8'), 'udp', `${rinfo.address}:${rinfo.port}`));
      udp.on('error', () => undefined); // send errors to an unreachable peer are expected while it is down
      const listen = this.opts.udp.listen;
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(listen.port, listen.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      const a = udp.address();
      udpAddress = { host: a.address, port: a.port };
    }
    for (const peer of this.opts.tcp.peers) this.connect(peer);
    return { tcp: { host: tcpAddress.address, port: tcpAddress.port }, udp: udpAddress };
  }

  /** Send one message on every path to every peer. Paths that are down are skipped silently. */
  send(content: HeartbeatContent): void {
    if (this.closed) return;
    const message: HeartbeatMessage = { name: this.opts.name, seq: ++this.seq, ...content };
    const line = JSON.stringify(message);
    for (const socket of this.outgoing.values()) {
      if (socket && !socket.connecting && socket.writable && socket.writableLength < MAX_MESSAGE_BYTES * 4) socket.write(`${line}\n`);
    }
    if (this.udp && this.opts.udp) {
      for (const peer of this.opts.udp.peers) this.udp.send(line, peer.port, peer.host);
    }
  }

  /** Milliseconds since each peer was last heard, per path. */
  pathAges(): Record<string, Partial<Record<HeartbeatPath, number>>> {
    const now = this.clock();
    const out: Record<string, Partial<Record<HeartbeatPath, number>>> = {};
    for (const [peer, paths] of this.lastSeen) {
      out[peer] = Object.fromEntries(Object.entries(paths).map(([p, t]) => [p, Math.round(now - t)]));
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.reconnectTimers) clearTimeout(t);
    for (const s of this.outgoing.values()) s?.destroy();
    for (const s of this.inbound) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve()));
  }

  private receive(text: string, path: HeartbeatPath, from: string): void {
    if (text.length > MAX_MESSAGE_BYTES) {
      this.opts.onMalformed(path, from, `message longer than ${MAX_MESSAGE_BYTES} bytes`);
      return;
    }
    const message = parseHeartbeat(text);
    if (typeof message === 'string') {
      this.opts.onMalformed(path, from, message);
      return;
    }
    if (message.name === this.opts.name) return;
    const paths = this.lastSeen.get(message.name) ?? {};
    paths[path] = this.clock();
    this.lastSeen.set(message.name, paths);
    this.opts.onMessage(message, path);
  }

  private acceptTcp(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.inbound.add(socket);
    const from = `${socket.remoteAddress}:${socket.remotePort}`;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.length > 0) this.receive(line, 'tcp', from);
      }
      if (buffered.length > MAX_MESSAGE_BYTES) {
        this.opts.onMalformed('tcp', from, `no newline within ${MAX_MESSAGE_BYTES} bytes; connection dropped`);
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.inbound.delete(socket));
  }

  /** Keep one outgoing connection per peer, reconnecting while the agent runs. */
  private connect(peer: HostPort): void {
    if (this.closed) return;
    const key = formatHostPort(peer);
    const socket = createConnection({ host: peer.host, port: peer.port });
    socket.setNoDelay(true);
    this.outgoing.set(key, socket);
    socket.on('data', () => undefined); // the peer never writes on our outgoing connection
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.outgoing.set(key, null);
      if (this.closed) return;
      const timer = setTimeout(() => {
        this.reconnectTimers.delete(timer);
        this.connect(peer);
      }, RECONNECT_MS);
      this.reconnectTimers.add(timer);
    });
  }
}
