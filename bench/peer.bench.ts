// Peer link data path over loopback: two in-process PeerLinks (sender and receiver share one
// event loop and the machine's 2 cores, so figures are a floor for two processes).
import net from 'node:net';
import { PeerLink } from '../src/array/peer/link.js';
import { freeLoopbackPort } from '../src/lab/faultProxy.js';

interface Result {
  mibPerSec: number;
  framesPerSec: number;
  p50us: number;
  p99us: number;
}

async function startPair(): Promise<{ a: PeerLink; b: PeerLink }> {
  const aPort = await freeLoopbackPort();
  const bPort = await freeLoopbackPort();
  const common = { secret: 'bench', heartbeatMs: 500, deadAfterMs: 5000, requestTimeoutMs: 30_000 };
  const a = new PeerLink({ name: 'site-a', listen: { host: '127.0.0.1', port: aPort }, connect: { host: '127.0.0.1', port: bPort }, ...common });
  const b = new PeerLink({ name: 'site-b', listen: { host: '127.0.0.1', port: bPort }, connect: { host: '127.0.0.1', port: aPort }, ...common });
  b.onData(() => undefined);
  const up = new Promise<void>((resolve) => a.once('up', () => resolve()));
  await Promise.all([a.start(), b.start()]);
  await up;
  return { a, b };
}

/**
 * Baseline: the same exchange on a bare TCP socket — `size` bytes out, one byte back per
 * `size` bytes received — so the link's own cost shows as a ratio measured in the same run.
 */
async function rawTcp(size: number): Promise<{ send: (payload: Buffer) => Promise<void>; close: () => void }> {
  const server = net.createServer((sock) => {
    let pending = 0;
    sock.on('data', (chunk: Buffer) => {
      pending += chunk.length;
      while (pending >= size) {
        pending -= size;
        sock.write(Buffer.from([1]));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.setNoDelay(true);
  await new Promise((resolve) => client.once('connect', resolve));
  const waiters: (() => void)[] = [];
  client.on('data', (chunk: Buffer) => {
    for (let i = 0; i < chunk.length; i++) waiters.shift()?.();
  });
  return {
    send: (payload) =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        client.write(payload);
      }),
    close: () => {
      client.destroy();
      server.close();
    },
  };
}

type Sender = (offset: number, payload: Buffer) => Promise<void>;

/** Keeps `depth` frames of `size` bytes in flight for about `seconds`. */
async function measure(send: Sender, size: number, depth: number, seconds: number): Promise<Result> {
  const payload = Buffer.alloc(size, 0xa5);
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  let offset = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await send(offset, payload);
      offset += size;
      latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: depth }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((x, y) => x - y);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] * 1000);
  return {
    mibPerSec: (latencies.length * size) / elapsed / 2 ** 20,
    framesPerSec: latencies.length / elapsed,
    p50us: pct(0.5),
    p99us: pct(0.99),
  };
}

export async function run(): Promise<string> {
  const { a, b } = await startPair();
  const viaLink: Sender = (offset, payload) => a.sendData('bench', offset, payload, 0);
  const workloads: [string, number, number][] = [
    ['1 MiB, 1 in flight', 1 << 20, 1],
    ['1 MiB, 8 in flight', 1 << 20, 8],
    ['4 KiB, 1 in flight', 4096, 1],
    ['4 KiB, 32 in flight', 4096, 32],
  ];
  const rows: string[] = [];
  try {
    await measure(viaLink, 1 << 20, 4, 0.3);
    for (const [label, size, depth] of workloads) {
      const raw = await rawTcp(size);
      try {
        const link = await measure(viaLink, size, depth, 1.5);
        const base = await measure((_o, p) => raw.send(p), size, depth, 1.5);
        rows.push(
          `| ${label} | ${link.mibPerSec.toFixed(0)} | ${Math.round(link.framesPerSec)} | ${link.p50us} | ${link.p99us} | ${base.mibPerSec.toFixed(0)} | ${(link.mibPerSec / base.mibPerSec).toFixed(2)} |`,
        );
      } finally {
        raw.close();
      }
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
  return [
    '### Peer link data frames over loopback',
    '',
    'One process holds both arrays (sender and receiver share an event loop). A frame counts when',
    "the peer's data handler acknowledged it. Baseline: the same bytes on a bare TCP socket with a",
    'one-byte ack per frame, measured right after in the same run.',
    '',
    '| workload | MiB/s | frames/s | p50 µs | p99 µs | bare TCP MiB/s | link / bare |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

// `node --import tsx bench/peer.bench.ts` runs it on its own.
if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
