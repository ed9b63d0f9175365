// `pairvol array`: one storage array. Opens metadata and volumes, serves them over NBD and
// answers the control API; SIGTERM/SIGINT shut it down cleanly (in-flight NBD requests are
// answered, files and the database closed) and exit 0.
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../log.js';
import { healthRoutes } from './api/health.js';
import { buildControlApi, type ApiPlugin } from './api/server.js';
import { volumeRoutes } from './api/volumes.js';
import { formatHostPort, loadArrayConfig, type ArrayConfig, type HostPort } from './config.js';
import { VolumeExports } from './exports.js';
import { MetadataStore } from './metadata.js';
import { ArrayMetrics } from './metrics.js';
import { NbdServer } from './nbd/server.js';
import { VolumeStore } from './volumeStore.js';

/** What a layer added on top of volumes (pairs, peer link) gets to work with. */
export interface ArrayServices {
  config: ArrayConfig;
  logger: Logger;
  meta: MetadataStore;
  volumes: VolumeStore;
  exports: VolumeExports;
  metrics: ArrayMetrics;
}

/** A layer started after volumes are open and before anything listens; closed first at shutdown. */
export interface ArrayExtension {
  name: string;
  start(services: ArrayServices): Promise<{ apiPlugins?: ApiPlugin[]; peerConnected?: () => boolean; close(): Promise<void> }>;
}

export interface RunningArray {
  services: ArrayServices;
  nbd: HostPort;
  control: HostPort;
  close(): Promise<void>;
}

export async function startArray(config: ArrayConfig, logger: Logger, extensions: ArrayExtension[] = []): Promise<RunningArray> {
  const startedAt = Date.now();
  mkdirSync(config.dataDir, { recursive: true });
  const meta = MetadataStore.open(config.dataDir);
  const closers: (() => Promise<void> | void)[] = [() => meta.close()];
  const closeAll = async (): Promise<void> => {
    for (const close of closers.reverse()) await close();
  };
  try {
    const volumes = VolumeStore.open(meta, config.dataDir, logger.child({ component: 'volumes' }));
    closers.push(() => volumes.close());
    const services: ArrayServices = { config, logger, meta, volumes, exports: new VolumeExports(volumes), metrics: new ArrayMetrics(config.name) };

    const plugins: ApiPlugin[] = [volumeRoutes(volumes)];
    let peerConnected = (): boolean => false;
    for (const ext of extensions) {
      const started = await ext.start(services);
      closers.push(() => started.close());
      plugins.push(...(started.apiPlugins ?? []));
      if (started.peerConnected) peerConnected = started.peerConnected;
    }
    plugins.unshift(healthRoutes({ name: config.name, startedAt, metrics: services.metrics, peerConnected: () => peerConnected() }));

    const nbd = new NbdServer({
      registry: services.exports,
      onRequest: (s) => services.metrics.observeNbd(s),
      logger: logger.child({ component: 'nbd' }),
    });
    await nbd.listen(config.nbd.listen.host, config.nbd.listen.port);
    closers.push(() => nbd.close());

    const api = buildControlApi({ token: config.control.token, logger: logger.child({ component: 'api' }), plugins });
    await api.listen({ host: config.control.listen.host, port: config.control.listen.port });
    closers.push(() => api.close());

    return {
      services,
      nbd: { host: config.nbd.listen.host, port: nbd.port },
      control: { host: config.control.listen.host, port: (api.server.address() as AddressInfo).port },
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Run until SIGTERM/SIGINT. A bad config throws ConfigError before anything is created. */
export async function runArray(configPath: string, extensions: ArrayExtension[] = []): Promise<void> {
  const config = loadArrayConfig(configPath);
  const logger = createLogger(`array:${config.name}`, config.logLevel);
  const array = await startArray(config, logger, extensions);
  process.stdout.write(`pairvol array ${config.name} ready nbd=${formatHostPort(array.nbd)} control=${formatHostPort(array.control)}\n`);
  logger.info({ dataDir: config.dataDir, nbd: array.nbd, control: array.control }, 'array ready');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    array.close().then(
      () => {
        logger.info('stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
