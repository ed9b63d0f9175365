// Shared set-up for the peer link tests: two in-process PeerLinks on loopback joined through
// a LinkCut, loggers that record what they were told, and a raw peer for wire-level tests.
import { once, type EventEmitter } from 'node:events';
import net from 'node:net';
import { FrameDecoder, type FrameTypeValue } from '../../src/protocol/peer.js';
import { PeerLink, type PeerLinkOptions } from '../../src/array/peer/link.js';
import { LinkCut, freeLoopbackPort } from '../../src/lab/faultProxy.js';

export const FAST = { heartbeatMs: 50, deadAfterMs: 300, requestTimeoutMs: 3000 } as const;

export interface LogLine {
  level: 'info' | 'warn';
  obj: object;
  msg: string;
}

export function captureLogger() {
  const lines: LogLine[] = [];
  return {
    lines,
    logger: {
      info: (obj: object, msg = '') => void lines.push({ level: 'info', obj, msg }),
      warn: (obj: object, msg = '') => void lines.push({ level: 'warn', obj, msg }),
    },
    /** True when some warn line's message or fields mention `text`. */
    warned(text: string): boolean {
      return lines.some((l) => l.level === 'warn' && (l.msg + JSON.stringify(l.obj)).includes(text));
    },
  };
}

/** Resolves with the event's arguments; rejects if it does not come within `ms`. */
export function nextEvent(emitter: EventEmitter, event: string, ms = 5000): Promise<unknown[]> {
  return once(emitter, event, { signal: AbortSignal.timeout(ms) });
}

/** Polls `cond` every 10 ms; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface LinkedPair {
  a: PeerLink;
  b: PeerLink;
  cut: LinkCut;
  logA: ReturnType<typeof captureLogger>;
  logB: ReturnType<typeof captureLogger>;
  /** Counts of 'up' / 'down' events per side since creation. */
  events: { a: { up: number; down: number }; b: { up: number; down: number } };
  close(): Promise<void>;
}

/** Links 'site-a' and 'site-b' (A sorts first: A is the leader) through a LinkCut; not started. */
export async function linkedPair(over: { a?: Partial<PeerLinkOptions>; b?: Partial<PeerLinkOptions> } = {}): Promise<LinkedPair> {
  const aListen = { host: '127.0.0.1', port: await freeLoopbackPort() };
  const bListen = { host: '127.0.0.1', port: await freeLoopbackPort() };
  const cut = await LinkCut.start(aListen, bListen);
  const logA = captureLogger();
  const logB = captureLogger();
  const a = new PeerLink({ name: 'site-a', listen: aListen, connect: cut.aConnect, secret: 's3cret', logger: logA.logger, ...FAST, ...over.a });
  const b = new PeerLink({ name: 'site-b', listen: bListen, connect: cut.bConnect, secret: 's3cret', logger: logB.logger, ...FAST, ...over.b });
  const events = { a: { up: 0, down: 0 }, b: { up: 0, down: 0 } };
  a.on('up', () => events.a.up++).on('down', () => events.a.down++);
  b.on('up', () => events.b.up++).on('down', () => events.b.down++);
  return {
    a,
    b,
    cut,
    logA,
    logB,
    events,
    async close() {
      await Promise.all([a.stop(), b.stop()]);
      await cut.close();
    },
  };
}

/** Starts both links and waits until each side reports 'up'. */
export async function startAndWaitUp(pair: LinkedPair): Promise<void> {
  const upA = nextEvent(pair.a, 'up');
  const upB = nextEvent(pair.b, 'up');
  await Promise.all([pair.a.start(), pair.b.start()]);
  await Promise.all([upA, upB]);
}

/** A hand-driven peer on a raw socket: sends encoded frames, queues decoded ones. */
export class RawPeer {
  readonly frames: { type: FrameTypeValue; body: Buffer }[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    const decoder = new FrameDecoder((type, body) => this.frames.push({ type, body: Buffer.from(body) }));
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => (this.closed = true));
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect', { signal: AbortSignal.timeout(5000) });
    return new RawPeer(socket);
  }

  send(parts: Buffer[]): void {
    for (const p of parts) this.socket.write(p);
  }

  /** Waits for (and removes) the first queued frame of this type. */
  async take(type: FrameTypeValue, ms = 5000): Promise<Buffer> {
    let found = -1;
    await until(() => (found = this.frames.findIndex((f) => f.type === type)) >= 0, ms, `frame type ${type}`);
    return this.frames.splice(found, 1)[0].body;
  }

  destroy(): void {
    this.socket.destroy();
  }
}
