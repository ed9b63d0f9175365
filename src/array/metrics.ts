// Prometheus metrics of one array: NBD request counts, bytes and latency per volume and
// command (fed by NbdServer's onRequest), plus the standard process metrics.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { NbdRequestStats } from './nbd/server.js';

export class ArrayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'volume' | 'command' | 'result'>;
  private readonly bytes: Counter<'volume' | 'command'>;
  private readonly latency: Histogram<'volume' | 'command'>;

  constructor(arrayName: string) {
    this.registry.setDefaultLabels({ array: arrayName });
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'pairvol_nbd_requests_total',
      help: 'NBD requests answered, by volume, command and result (ok, or errno-N with the NBD error value)',
      labelNames: ['volume', 'command', 'result'],
      registers: [this.registry],
    });
    this.bytes = new Counter({
      name: 'pairvol_nbd_bytes_total',
      help: 'Bytes moved by successful NBD requests, by volume and command',
      labelNames: ['volume', 'command'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'pairvol_nbd_request_seconds',
      help: 'NBD request latency from receipt to reply, by volume and command',
      labelNames: ['volume', 'command'],
      // 20 µs to 2.6 s: a cached read is tens of µs, a flush over a slow link is seconds.
      buckets: [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
  }

  observeNbd(s: NbdRequestStats): void {
    const labels = { volume: s.exportName, command: s.command };
    this.requests.inc({ ...labels, result: s.errno === 0 ? 'ok' : `errno-${s.errno}` });
    if (s.errno === 0) this.bytes.inc(labels, s.bytes);
    this.latency.observe(labels, s.seconds);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
