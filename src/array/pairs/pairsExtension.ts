// Remote copy on an array: the peer link, the pair manager, the pair routes of the control
// API, and the NBD exports of paired volumes (which then follow the pair's access rules).
import { eventRoutes } from '../api/events.js';
import { pairRoutes } from '../api/pairs.js';
import type { ArrayExtension } from '../main.js';
import { PeerLink } from '../peer/link.js';
import { exitOnViolation, setInvariantHandler } from '../../core/assert.js';
import { systemClock } from '../../ports/clock.js';
import { randomIds } from '../../ports/ids.js';
import { FileRegionStore } from './fileRegionStore.js';
import { PairManager } from './pairManager.js';
import { registerPairMetrics } from './pairMetrics.js';
import { PairStore } from './pairStore.js';

export const pairsExtension: ArrayExtension = {
  name: 'pairs',
  async start({ config, logger, meta, volumes, exports, metrics }) {
    const log = logger.child({ component: 'pairs' });
    // A broken invariant of the pair layer stops the array (a supervisor restarts it) rather than run on.
    setInvariantHandler(exitOnViolation);
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
      regionSize: config.regionSize,
      defaultPace: config.copy.pace,
      store: new PairStore(meta),
      regions: new FileRegionStore(config.dataDir),
      volumes,
      link,
      log,
      clock: systemClock,
      ids: randomIds,
    });
    pairs.open();
    volumes.setInUseLookup((volume) => pairs.pairOfVolume(volume));
    exports.setDeviceResolver((volume, plain) => pairs.routeFor(volume, plain));
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
