// A TCP proxy that injects link faults, for tests, the lab and the demo (no tc netem on these machines):
//   pass      relay bytes both ways
//   cut       close every relayed connection and accept-then-close new ones (link down, RST-like)
//   blackhole keep connections open but drop every byte both ways (silent loss, detected only by timeouts)
//   slow      delay each chunk by delayMs, preserving order
// LinkCut drives the two proxies between two arrays (A dials B through one, B dials A through
// the other) so a test can cut, blackhole or restore "the link" as one.
import net from 'node:net';

export type ProxyMode = 'pass' | 'cut' | 'blackhole' | 'slow';
export interface Address {
  host: string;
  port: number;
}

export { freeLoopbackPort } from './freePort.js';

/** One direction of a relayed connection: a FIFO of chunks, each written at its due time. */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly to: net.Socket) {}

  push(chunk: Buffer, delayMs: number): void {
    if (delayMs === 0 && this.queue.length === 0) {
      this.to.write(chunk);
      return;
    }
    this.queue.push({ due: Date.now() + delayMs, chunk });
    if (!this.timer) this.drain();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
  }

  private drain(): void {
    this.timer = null;
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0].due <= now) {
      const { chunk } = this.queue.shift()!;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.queue.length > 0) this.timer = setTimeout(() => this.drain(), this.queue[0].due - now);
  }
}

interface Relay {
  client: net.Socket;
  upstream: net.Socket | null;
  pipes: DelayedPipe[];
}

export class FaultProxy {
  mode: ProxyMode = 'pass';
  private delayMs = 50;
  private readonly relays = new Set<Relay>();

  private constructor(
    private readonly server: net.Server,
    private readonly target: Address,
    readonly port: number,
  ) {}

  static async start(target: Address): Promise<FaultProxy> {
    let proxy: FaultProxy | null = null;
    const server = net.createServer((client) => {
      if (proxy) proxy.accept(client);
      else client.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new FaultProxy(server, target, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get address(): Address {
    return { host: '127.0.0.1', port: this.port };
  }

  /** Number of relayed connections currently open (cut ones are gone at once). */
  get connections(): number {
    return this.relays.size;
  }

  setMode(mode: ProxyMode, opts: { delayMs?: number } = {}): void {
    this.mode = mode;
    if (opts.delayMs !== undefined) this.delayMs = opts.delayMs;
    for (const relay of [...this.relays]) {
      // Leaving a blackhole, a half-closed connection is reset as soon as packets flow again.
      const halfClosed = relay.client.destroyed || (relay.upstream?.destroyed ?? false);
      if (mode === 'cut' || (mode !== 'blackhole' && halfClosed)) this.drop(relay);
    }
  }

  async close(): Promise<void> {
    for (const relay of [...this.relays]) this.drop(relay);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'cut') {
      client.destroy();
      return;
    }
    const relay: Relay = { client, upstream: null, pipes: [] };
    this.relays.add(relay);
    client.on('error', () => this.sideClosed(relay));
    client.on('close', () => this.sideClosed(relay));
    // A connection opened into a blackhole never reaches the target, like a SYN that is lost.
    if (this.mode === 'blackhole') return;
    const upstream = net.connect(this.target);
    relay.upstream = upstream;
    const toUpstream = new DelayedPipe(upstream);
    const toClient = new DelayedPipe(client);
    relay.pipes = [toUpstream, toClient];
    upstream.on('error', () => this.sideClosed(relay));
    upstream.on('close', () => this.sideClosed(relay));
    client.on('data', (chunk: Buffer) => this.relay(chunk, toUpstream));
    upstream.on('data', (chunk: Buffer) => this.relay(chunk, toClient));
  }

  private relay(chunk: Buffer, pipe: DelayedPipe): void {
    if (this.mode === 'blackhole' || this.mode === 'cut') return;
    pipe.push(chunk, this.mode === 'slow' ? this.delayMs : 0);
  }

  /** In a blackhole a close is lost like any other packet: the far side stays open. */
  private sideClosed(relay: Relay): void {
    if (this.mode !== 'blackhole' || (relay.client.destroyed && (relay.upstream?.destroyed ?? true))) this.drop(relay);
  }

  private drop(relay: Relay): void {
    if (!this.relays.delete(relay)) return;
    for (const pipe of relay.pipes) pipe.stop();
    relay.client.destroy();
    relay.upstream?.destroy();
  }
}

/** The link between arrays A and B as two proxies: A dials `aConnect`, B dials `bConnect`. */
export class LinkCut {
  private constructor(
    readonly aToB: FaultProxy,
    readonly bToA: FaultProxy,
  ) {}

  /** `aListen` / `bListen`: where A and B listen for their peer. */
  static async start(aListen: Address, bListen: Address): Promise<LinkCut> {
    return new LinkCut(await FaultProxy.start(bListen), await FaultProxy.start(aListen));
  }

  get aConnect(): Address {
    return this.aToB.address;
  }

  get bConnect(): Address {
    return this.bToA.address;
  }

  cut(): void {
    this.setMode('cut');
  }

  blackhole(): void {
    this.setMode('blackhole');
  }

  slow(delayMs: number): void {
    this.setMode('slow', delayMs);
  }

  restore(): void {
    this.setMode('pass');
  }

  async close(): Promise<void> {
    await Promise.all([this.aToB.close(), this.bToA.close()]);
  }

  private setMode(mode: ProxyMode, delayMs?: number): void {
    this.aToB.setMode(mode, { delayMs });
    this.bToA.setMode(mode, { delayMs });
  }
}
