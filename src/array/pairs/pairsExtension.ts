// Remote copy on an array: the peer link, the pair manager, the pair routes of the control
// API, and the NBD exports of paired volumes (which then follow the pair's access rules).
import { eventRoutes } from '../api/events.js';
import { pairRoutes } from '../api/pairs.js';
import type { ArrayExtension } from '../main.js';
import { PeerLink } from '../peer/link.js';
import { PairManager } from './pairManager.js';
import { registerPairMetrics } from './pairMetrics.js';
import { PairStore } from './pairStore.js';

export const pairsExtension: ArrayExtension = {
  name: 'pairs',
  async start({ config, logger, meta, volumes, exports, metrics }) {
    const log = logger.child({ component: 'pairs' });
    const link = new PeerLink({
      name: config.name,
      listen: config.peer.listen,
      connect: config.peer.connect,
      secret: config.peer.secret,
      heartbeatMs: config.peer.heartbeatMs,
      deadAfterMs: config.peer.deadAfterMs,
      logger: logger.child({ component: 'peer' }),
    });
    const pairs = new PairManager({
      name: config.name,
      dataDir: config.dataDir,
      regionSize: config.regionSize,
      defaultPace: config.copy.pace,
      store: new PairStore(meta),
      volumes,
      link,
      log,
    });
    pairs.open();
    exports.setDeviceResolver((volume, plain) => pairs.deviceFor(volume) ?? plain);
    registerPairMetrics(metrics.registry, pairs, () => link.connected);
    await link.start();
    return {
      apiPlugins: [(app) => void app.register(pairRoutes, { pairs }), (app) => void app.register(eventRoutes, { pairs })],
      peerConnected: () => link.connected,
      async close() {
        await link.stop();
        pairs.close();
      },
    };
  },
};
