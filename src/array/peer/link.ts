// The peer link between two arrays (SPEC §2): a transport with no pair knowledge. Each array
// listens and dials; exactly one authenticated connection at a time is the session. When
// both dial at once, the array whose name sorts first (the leader) keeps the connection it
// dialed; the follower only ever adopts the connection the leader committed, so both sides
// agree without a race. A lost session is redialed with backoff (100 ms .. 2 s, jittered).
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { checkName } from '../../protocol/peer.js';
import { Backoff } from './backoff.js';
import { PeerConnection, type PeerLogger } from './connection.js';
import { PeerUnavailableError } from './errors.js';
import { PeerSession, type DataHandler, type RequestHandler } from './session.js';

export { PeerRemoteError, PeerTimeoutError, PeerUnavailableError } from './errors.js';
export type { PeerLogger } from './connection.js';
export type { DataHandler, RequestHandler } from './session.js';

export interface PeerLinkOptions {
  name: string;
  listen: { host: string; port: number };
  connect: { host: string; port: number };
  secret: string;
  heartbeatMs?: number;
  deadAfterMs?: number;
  requestTimeoutMs?: number;
  logger?: PeerLogger;
}

/** Connections still shaking hands that an array accepts at once; more are dropped. */
const MAX_HANDSHAKING = 8;
const silentLogger: PeerLogger = { info() {}, warn() {} };

function positive(value: number | undefined, fallback: number, key: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`peer link option ${key} must be a positive number of ms, got ${value}`);
  return v;
}

/** Events: 'up' (peerName), 'down' (reason). */
export class PeerLink extends EventEmitter {
  private readonly name: string;
  private readonly secret: string;
  private readonly listenAddr: { host: string; port: number };
  private readonly connectAddr: { host: string; port: number };
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly logger: PeerLogger;
  private readonly backoff = new Backoff(100, 2000);
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private dataHandler: DataHandler | undefined;
  private readonly handshaking = new Set<PeerConnection>();
  private session: PeerSession | null = null;
  private outgoing: PeerConnection | null = null;
  private dialTimer: NodeJS.Timeout | null = null;
  private server: net.Server | null = null;
  private stopped = true;

  constructor(opts: PeerLinkOptions) {
    super();
    checkName(opts.name);
    if (opts.secret.length === 0) throw new Error('peer link secret must not be empty');
    this.name = opts.name;
    this.secret = opts.secret;
    this.listenAddr = opts.listen;
    this.connectAddr = opts.connect;
    this.heartbeatMs = positive(opts.heartbeatMs, 500, 'heartbeatMs');
    this.deadAfterMs = positive(opts.deadAfterMs, 2000, 'deadAfterMs');
    this.requestTimeoutMs = positive(opts.requestTimeoutMs, 5000, 'requestTimeoutMs');
    if (this.deadAfterMs <= this.heartbeatMs) throw new Error('peer link deadAfterMs must exceed heartbeatMs');
    this.logger = opts.logger ?? silentLogger;
  }

  get connected(): boolean {
    return this.session !== null;
  }

  get peerName(): string | null {
    return this.session?.peerName ?? null;
  }

  /** Listens, then starts dialing; resolves once listening (not when the peer is up). */
  async start(): Promise<void> {
    if (!this.stopped) throw new Error('peer link already started');
    const server = net.createServer((socket) => this.onIncoming(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.listenAddr.port, this.listenAddr.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.logger.warn({ err: err.message }, 'peer link listener error'));
    this.server = server;
    this.stopped = false;
    this.dial();
  }

  /** Closes the session (pending promises reject, 'down' is emitted) and the listener. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.dialTimer) clearTimeout(this.dialTimer);
    this.dialTimer = null;
    for (const conn of this.handshaking) conn.close('peer link stopped');
    this.session?.close('peer link stopped');
    const server = this.server;
    this.server = null;
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve());
  }

  request<T = unknown>(kind: string, body: unknown, timeoutMs?: number): Promise<T> {
    if (!this.session) return Promise.reject(new PeerUnavailableError('no session with the peer array'));
    return this.session.request<T>(kind, body, positive(timeoutMs, this.requestTimeoutMs, 'timeoutMs'));
  }

  /** A throw or rejection in the handler makes the remote request() reject with its message. */
  onRequest(kind: string, handler: RequestHandler): void {
    this.requestHandlers.set(kind, handler);
  }

  /** Resolves when the peer's data handler resolved; rejects if it threw or the session dropped. */
  sendData(channel: string, offset: number, data: Buffer, flags: number): Promise<void> {
    if (!this.session) return Promise.reject(new PeerUnavailableError('no session with the peer array'));
    return this.session.sendData(channel, offset, data, flags);
  }

  /** `data` is a view of the received bytes: copy it if it must outlive the handler's work. */
  onData(handler: DataHandler): void {
    this.dataHandler = handler;
  }

  private onIncoming(socket: net.Socket): void {
    if (this.stopped || this.handshaking.size >= MAX_HANDSHAKING) {
      socket.destroy();
      return;
    }
    this.track(new PeerConnection(this.connectionOptions(socket, 'listener')));
  }

  private dial(): void {
    if (this.stopped || this.session || this.outgoing) return;
    const socket = net.connect({ host: this.connectAddr.host, port: this.connectAddr.port });
    const conn = new PeerConnection(this.connectionOptions(socket, 'dialer'));
    this.outgoing = conn;
    this.track(conn);
  }

  private scheduleDial(): void {
    if (this.stopped || this.session || this.outgoing || this.dialTimer) return;
    this.dialTimer = setTimeout(() => {
      this.dialTimer = null;
      this.dial();
    }, this.backoff.next());
  }

  private connectionOptions(socket: net.Socket, role: 'dialer' | 'listener') {
    return {
      socket,
      role,
      name: this.name,
      secret: this.secret,
      heartbeatMs: this.heartbeatMs,
      deadAfterMs: this.deadAfterMs,
      logger: this.logger,
    };
  }

  private track(conn: PeerConnection): void {
    this.handshaking.add(conn);
    conn.on('candidate', () => this.arbitrate());
    conn.on('committed', () => this.adoptChosenByLeader(conn));
    conn.once('closed', () => {
      this.handshaking.delete(conn);
      if (this.outgoing === conn) {
        this.outgoing = null;
        this.scheduleDial();
      }
      // Our own dial failing may release a candidate that was waiting for it.
      if (!this.session) this.arbitrate();
    });
  }

  /** Leader side: pick the session among connections whose handshake finished. */
  private arbitrate(): void {
    if (this.stopped) return;
    const ready = [...this.handshaking].filter((c) => c.readyToCommit);
    if (ready.length === 0) return;
    if (this.session) {
      for (const c of ready) c.close('duplicate connection: a session is already up');
      return;
    }
    const dialedByUs = ready.find((c) => c.role === 'dialer');
    if (dialedByUs) return this.adopt(dialedByUs, true);
    // The peer's connection must wait while ours is still trying: ours has precedence.
    if (this.outgoing && !this.outgoing.closed) return;
    this.adopt(ready[0], true);
  }

  /** Follower side: the leader's choice wins, even over a session we still believe in. */
  private adoptChosenByLeader(conn: PeerConnection): void {
    if (this.stopped) return conn.close('peer link stopped');
    this.session?.close('the peer chose another connection');
    this.adopt(conn, false);
  }

  private adopt(conn: PeerConnection, commit: boolean): void {
    if (commit) conn.commit();
    this.handshaking.delete(conn);
    const session = new PeerSession(
      conn,
      { request: (kind) => this.requestHandlers.get(kind), data: () => this.dataHandler },
      this.requestTimeoutMs,
    );
    this.session = session;
    session.once('closed', (reason: string) => this.onSessionClosed(session, reason));
    this.backoff.reset();
    for (const other of this.handshaking) other.close('duplicate connection: another one became the session');
    this.logger.info({ peer: session.peerName, dialedBy: conn.role === 'dialer' ? this.name : session.peerName }, 'peer link up');
    this.emit('up', session.peerName);
  }

  private onSessionClosed(session: PeerSession, reason: string): void {
    if (this.session !== session) return;
    this.session = null;
    this.logger.info({ peer: session.peerName, reason }, 'peer link down');
    this.emit('down', reason);
    this.scheduleDial();
  }
}
