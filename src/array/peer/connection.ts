// One TCP connection to a peer array: handshake (version, names, mutual challenge-response),
// heartbeat and silence detection, and batched frame writes. It knows nothing of requests or
// data; once committed it hands every frame to its owner (PeerSession).
//
// Handshake (both sides at once): HELLO -> AUTH -> the follower (the array whose name sorts
// last) sends READY once the leader's proof checked out; the leader, once the follower's
// proof checked out and READY arrived, emits 'candidate' and PeerLink decides whether this
// connection becomes the session (commit() sends COMMIT). The follower only commits on COMMIT,
// so both sides always pick the same connection.
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import {
  FrameDecoder,
  FrameError,
  FrameType,
  PEER_MAGIC,
  PEER_PROTOCOL_VERSION,
  decodeAuth,
  decodeHello,
  encodeAuth,
  encodeBye,
  encodeEmpty,
  encodeHello,
  type FrameTypeValue,
} from '../../protocol/peer.js';
import { authProof, newNonce, proofMatches, type PeerRole } from './auth.js';

export interface PeerLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

export interface ConnectionOptions {
  socket: Socket;
  role: PeerRole;
  name: string;
  secret: string;
  heartbeatMs: number;
  deadAfterMs: number;
  logger: PeerLogger;
}

type Phase = 'hello' | 'auth' | 'verified' | 'committed' | 'closed';

/** Events: 'candidate' (leader: handshake done), 'committed' (follower: leader chose this
 * connection), 'frame' (type, body) once committed, 'closed' (reason) exactly once. */
export class PeerConnection extends EventEmitter {
  readonly role: PeerRole;
  peerName: string | null = null;
  /** True when our name sorts before the peer's: we choose which connection is the session. */
  isLeader = false;
  private phase: Phase = 'hello';
  private peerReady = false;
  private readonly nonce = newNonce();
  private readonly socket: Socket;
  private readonly opts: ConnectionOptions;
  private readonly decoder: FrameDecoder;
  private readonly ticker: NodeJS.Timeout;
  private readonly handshakeDeadline: number;
  private lastReceived = Date.now();
  private lastPing = 0;
  private readonly tickMs: number;
  private lastTick = Date.now();
  private deferredVerdict = false;
  private corked = false;

  constructor(opts: ConnectionOptions) {
    super();
    this.opts = opts;
    this.role = opts.role;
    this.socket = opts.socket;
    this.handshakeDeadline = Date.now() + 2 * opts.deadAfterMs;
    this.decoder = new FrameDecoder((type, body) => this.onFrame(type, body));
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onChunk(chunk));
    this.socket.on('error', (err) => this.close(`socket error: ${err.message}`));
    this.socket.on('close', () => this.close('connection closed'));
    this.tickMs = Math.max(10, Math.min(opts.heartbeatMs, opts.deadAfterMs / 4));
    this.ticker = setInterval(() => this.tick(), this.tickMs);
    this.send(encodeHello(opts.name, this.nonce));
  }

  get committed(): boolean {
    return this.phase === 'committed';
  }

  /** Leader only: both proofs checked and the follower said READY; waiting for commit(). */
  get readyToCommit(): boolean {
    return this.isLeader && this.phase === 'verified' && this.peerReady;
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  /** Leader only: make this connection the session and tell the follower. */
  commit(): void {
    if (!this.readyToCommit) throw new Error('commit() before the handshake finished');
    this.phase = 'committed';
    this.send(encodeEmpty(FrameType.COMMIT));
  }

  /** Writes a frame's parts; all writes of one event-loop turn leave in one writev. */
  send(parts: Buffer[]): void {
    if (this.phase === 'closed' || this.socket.destroyed) return;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    for (const part of parts) this.socket.write(part);
  }

  /** Closes at once. `bye` first tells the peer why (refusals), so its log says it too. */
  close(reason: string, bye = false): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    clearInterval(this.ticker);
    if (bye && !this.socket.destroyed) {
      this.socket.write(Buffer.concat(encodeBye(reason)));
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.emit('closed', reason);
  }

  private describe(): object {
    return { peer: this.peerName, role: this.role, remote: `${this.socket.remoteAddress}:${this.socket.remotePort}` };
  }

  private refuse(reason: string, msg: string): void {
    this.opts.logger.warn({ ...this.describe(), reason }, msg);
    this.close(reason, true);
  }

  private onChunk(chunk: Buffer): void {
    this.lastReceived = Date.now();
    try {
      this.decoder.push(chunk);
    } catch (err) {
      if (this.phase === 'closed') return;
      const reason = err instanceof FrameError ? `malformed frame: ${err.message}` : `frame handling failed: ${(err as Error).message}`;
      this.opts.logger.warn({ ...this.describe(), reason }, 'peer link protocol error, closing connection');
      this.close(reason);
    }
  }

  private tick(): void {
    const now = Date.now();
    // After our own event loop stalled, bytes may be waiting unread in the socket: read them
    // (the poll phase runs before the next tick) before blaming the peer for silence. Only
    // one verdict is deferred in a row, so a loop that is always late still detects death.
    const stalled = now - this.lastTick > 2 * this.tickMs;
    this.lastTick = now;
    const defer = stalled && !this.deferredVerdict;
    this.deferredVerdict = defer;
    if (!defer && now - this.lastReceived > this.opts.deadAfterMs) {
      this.close(`nothing received for ${now - this.lastReceived} ms`);
    } else if (this.phase !== 'committed' && now > this.handshakeDeadline) {
      this.close('handshake timed out');
    } else if (now - this.lastPing >= this.opts.heartbeatMs) {
      this.lastPing = now;
      this.send(encodeEmpty(FrameType.PING));
    }
  }

  private onFrame(type: FrameTypeValue, body: Buffer): void {
    if (this.phase === 'closed') return;
    switch (type) {
      case FrameType.PING:
        return;
      case FrameType.BYE:
        this.opts.logger.warn({ ...this.describe(), reason: body.toString('utf8') }, 'peer closed the connection');
        return this.close(`peer closed: ${body.toString('utf8')}`);
      case FrameType.HELLO:
        return this.onHello(body);
      case FrameType.AUTH:
        return this.onAuth(body);
      case FrameType.READY:
        if (!this.isLeader || this.phase !== 'verified' || this.peerReady) throw new FrameError('unexpected READY');
        this.peerReady = true;
        this.emit('candidate');
        return;
      case FrameType.COMMIT:
        if (this.isLeader || this.phase !== 'verified') throw new FrameError('unexpected COMMIT');
        this.phase = 'committed';
        this.emit('committed');
        return;
      default:
        if (this.phase !== 'committed') throw new FrameError(`frame type 0x${type.toString(16)} before the session was established`);
        this.emit('frame', type, body);
    }
  }

  private onHello(body: Buffer): void {
    if (this.phase !== 'hello') throw new FrameError('unexpected HELLO');
    const hello = decodeHello(body);
    if (hello.magic !== PEER_MAGIC) return this.refuse('not a pairvol peer (bad magic)', 'peer link refused');
    if (hello.version !== PEER_PROTOCOL_VERSION) {
      return this.refuse(
        `protocol version mismatch: ours ${PEER_PROTOCOL_VERSION}, peer's ${hello.version}`,
        'peer link refused: protocol version mismatch',
      );
    }
    if (hello.name === this.opts.name) return this.refuse(`peer uses our own name ${hello.name}`, 'peer link refused');
    this.peerName = hello.name;
    this.isLeader = this.opts.name < hello.name;
    this.phase = 'auth';
    const [dialer, listener] = this.role === 'dialer' ? [this.opts.name, hello.name] : [hello.name, this.opts.name];
    this.send(encodeAuth(authProof(this.opts.secret, hello.nonce, dialer, listener, this.role)));
  }

  private onAuth(body: Buffer): void {
    if (this.phase !== 'auth' || this.peerName === null) throw new FrameError('unexpected AUTH');
    const peerRole: PeerRole = this.role === 'dialer' ? 'listener' : 'dialer';
    const [dialer, listener] = this.role === 'dialer' ? [this.opts.name, this.peerName] : [this.peerName, this.opts.name];
    const expected = authProof(this.opts.secret, this.nonce, dialer, listener, peerRole);
    if (!proofMatches(expected, decodeAuth(body))) {
      return this.refuse('authentication failed (wrong shared secret?)', 'peer link refused: authentication failed');
    }
    this.phase = 'verified';
    if (!this.isLeader) this.send(encodeEmpty(FrameType.READY));
  }
}
