// Peer link data path over loopback: two in-process PeerLinks (sender and receiver share one
// event loop and the machine's 2 cores, so figures are a floor for two processes).
import { PeerLink } from '../src/array/peer/link.js';
import { freeLoopbackPort } from '../test/helpers/faultProxy.js';

interface Result {
  label: string;
  frames: number;
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

/** Keeps `depth` frames of `size` bytes in flight for about `seconds`. */
async function measure(link: PeerLink, label: string, size: number, depth: number, seconds: number): Promise<Result> {
  const payload = Buffer.alloc(size, 0xa5);
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  let offset = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await link.sendData('bench', offset, payload, 0);
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
    label,
    frames: latencies.length,
    mibPerSec: (latencies.length * size) / elapsed / 2 ** 20,
    framesPerSec: latencies.length / elapsed,
    p50us: pct(0.5),
    p99us: pct(0.99),
  };
}

export async function run(): Promise<string> {
  const { a, b } = await startPair();
  try {
    await measure(a, 'warm-up', 1 << 20, 4, 0.3);
    const results = [
      await measure(a, '1 MiB, 1 in flight', 1 << 20, 1, 1.5),
      await measure(a, '1 MiB, 8 in flight', 1 << 20, 8, 1.5),
      await measure(a, '4 KiB, 1 in flight', 4096, 1, 1.5),
      await measure(a, '4 KiB, 32 in flight', 4096, 32, 1.5),
    ];
    const rows = results.map(
      (r) => `| ${r.label} | ${r.frames} | ${r.mibPerSec.toFixed(0)} | ${Math.round(r.framesPerSec)} | ${r.p50us} | ${r.p99us} |`,
    );
    return [
      '### Peer link data frames over loopback (one process, sendData until the peer handler acked)',
      '',
      '| workload | frames | MiB/s | frames/s | p50 µs | p99 µs |',
      '|---|---|---|---|---|---|',
      ...rows,
    ].join('\n');
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

// `node --import tsx bench/peer.bench.ts` runs it on its own.
if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
