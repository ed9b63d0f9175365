// Pair metrics for /metrics, read from the pair layer when Prometheus scrapes: what an
// operator alerts on (a pair not in PAIR, a growing changed share, the peer link down).
import { Gauge, type Registry } from 'prom-client';
import type { PairService } from './pairService.js';

export function registerPairMetrics(registry: Registry, pairs: PairService, peerConnected: () => boolean): void {
  new Gauge({
    name: 'pairvol_pair_state',
    help: 'One series per pair with value 1: its state and this array\'s attribute (P-VOL or S-VOL)',
    labelNames: ['pair', 'group', 'attribute', 'state', 'fence'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of pairs.list()) this.set({ pair: p.name, group: p.group ?? '', attribute: p.attribute, state: p.state, fence: p.fence }, 1);
    },
  });
  new Gauge({
    name: 'pairvol_pair_changed_ratio',
    help: 'Share of regions marked changed (to copy at the next resync), 0..1',
    labelNames: ['pair'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of pairs.list()) this.set({ pair: p.name }, p.changedPercent / 100);
    },
  });
  new Gauge({
    name: 'pairvol_pair_copy_ratio',
    help: 'Copy progress of an initial copy or resync, 0..1 (1 in PAIR)',
    labelNames: ['pair'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of pairs.list()) this.set({ pair: p.name }, p.copyPercent / 100);
    },
  });
  new Gauge({
    name: 'pairvol_peer_connected',
    help: '1 while the remote copy link to the peer array is up',
    registers: [registry],
    collect() {
      this.set(peerConnected() ? 1 : 0);
    },
  });
}
