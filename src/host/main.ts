// `pairvol host --config FILE`: wires config, heartbeat, paired volume control, resources,
// the agent shell and the status API together; prints one ready line; SIGTERM/SIGINT stop the
// application and release the determining pair (if held) before exiting 0.
import { createLogger } from '../log.js';
import { formatHostPort } from '../array/config.js';
import { ControlClient } from '../protocol/controlClient.js';
import { HostAgent } from './agent.js';
import { loadHostConfig } from './config.js';
import { Heartbeat } from './heartbeat.js';
import { PairedVolumeControl } from './pairedVolumeControl.js';
import { ResourceSet } from './resources.js';
import { startStatusApi } from './statusApi.js';

/** Runs until a signal ends it; resolves with the exit code. Throws ConfigError on a bad config. */
export async function runHost(configPath: string): Promise<number> {
  const config = loadHostConfig(configPath);
  const logger = createLogger(`host:${config.name}`, config.logLevel);
  const control = new PairedVolumeControl(new ControlClient({ url: config.array.control, token: config.array.token, timeoutMs: config.array.timeoutMs }));
  const resources = new ResourceSet(config.resources);
  let agent: HostAgent | null = null;
  const heartbeat = new Heartbeat({
    name: config.name,
    tcp: { listen: config.heartbeat.listen, peers: config.heartbeat.peers },
    udp: config.heartbeat.udp,
    onMessage: (m, path) => agent?.onHeartbeat(m, path),
    onMalformed: (path, from, problem) => logger.warn({ event: 'heartbeat-malformed', path, from }, `ignored malformed heartbeat: ${problem}`),
  });
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));
  agent = new HostAgent({ config, control, resources, heartbeat, logger, onExit: () => finish(0) });
  await heartbeat.start();
  const status = await startStatusApi({ config, agent, heartbeat, control }, config.status.listen);
  const onSignal = (signal: string): void => {
    logger.info({ event: 'signal', signal }, `${signal}: stopping the application and releasing if ACTIVE`);
    agent?.requestShutdown();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  agent.start();
  process.stdout.write(`pairvol host ${config.name} ready status=${formatHostPort(status.address)}\n`);
  const code = await done;
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  await heartbeat.close();
  status.server.closeAllConnections();
  await new Promise<void>((resolve) => status.server.close(() => resolve()));
  return code;
}
