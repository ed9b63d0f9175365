// The NBD server of an array: accepts connections and serves the exports of a registry.
import net from 'node:net';
import type { ExportRegistry } from '../blockDevice.js';
import { NbdConnection, type NbdLogger } from './connection.js';
import type { NbdRequestStats } from './transmission.js';

export type { NbdRequestStats } from './transmission.js';
export type { NbdLogger } from './connection.js';

const silent: NbdLogger = { info: () => {}, warn: () => {} };

export class NbdServer {
  private readonly server: net.Server;
  private readonly connections = new Set<NbdConnection>();
  private readonly registry: ExportRegistry;
  private readonly onRequest?: (s: NbdRequestStats) => void;
  private readonly logger: NbdLogger;

  constructor(opts: { registry: ExportRegistry; onRequest?: (s: NbdRequestStats) => void; logger?: NbdLogger }) {
    this.registry = opts.registry;
    this.onRequest = opts.onRequest;
    this.logger = opts.logger ?? silent;
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server.on('error', (err) => this.logger.warn({ err: err.message }, 'nbd server error'));
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        this.logger.info({ host, port: this.port }, 'nbd server listening');
        resolve();
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return address !== null && typeof address === 'object' ? address.port : 0;
  }

  /** Stop accepting; answer requests in flight, reply ESHUTDOWN to new ones, close connections. */
  async close(): Promise<void> {
    const stopped = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.shutdown()));
    await stopped;
  }

  private accept(socket: net.Socket): void {
    try {
      const connection = new NbdConnection(socket, this.registry, this.logger, this.onRequest);
      this.connections.add(connection);
      socket.once('close', () => this.connections.delete(connection));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'nbd connection setup failed');
      socket.destroy();
    }
  }
}
