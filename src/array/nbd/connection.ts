// One client connection: the handshake first, then the transmission phase. Whatever the
// client sends, the worst outcome is that this connection closes; errors never escape.
import type { Socket } from 'node:net';
import type { ExportRegistry } from '../blockDevice.js';
import { Handshake } from './handshake.js';
import { Transmission, type NbdRequestStats } from './transmission.js';

export interface NbdLogger {
  info(o: object, msg?: string): void;
  warn(o: object, msg?: string): void;
}

/** How long a closing connection may take to flush its last replies before it is cut. */
const CLOSE_GRACE_MS = 2000;

export class NbdConnection {
  private handshake: Handshake | null;
  private transmission: Transmission | null = null;
  private readonly closed: Promise<void>;
  private exportName = '';

  constructor(
    private readonly socket: Socket,
    registry: ExportRegistry,
    private readonly logger: NbdLogger,
    onRequest: ((s: NbdRequestStats) => void) | undefined,
  ) {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    socket.on('error', (err) => this.logger.warn({ peer, err: err.message }, 'nbd connection error'));
    socket.on('close', () => {
      this.transmission?.dispose();
      this.logger.info({ peer, export: this.exportName }, 'nbd connection closed');
    });
    this.handshake = new Handshake(registry, {
      send: (data) => socket.write(data),
      fail: (reason) => {
        this.logger.warn({ peer, reason }, 'nbd handshake refused');
        socket.destroy();
      },
      abort: () => this.end(),
      enterTransmission: (exp, rest) => {
        this.handshake = null;
        this.exportName = exp.name;
        this.logger.info({ peer, export: exp.name, flags: exp.transmissionFlags }, 'nbd transmission started');
        this.transmission = new Transmission(socket, exp, {
          onRequest,
          warn: (o, msg) => this.logger.warn({ peer, export: exp.name, ...o }, msg),
          protocolError: (reason) => {
            this.logger.warn({ peer, export: exp.name, reason }, 'nbd protocol error, closing');
            socket.destroy();
          },
          finished: () => this.end(),
        });
        if (rest.length > 0) this.transmission.push(rest);
      },
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        if (this.handshake) this.handshake.push(chunk);
        else this.transmission?.push(chunk);
      } catch (err) {
        // A bug must cost this connection only, never the server.
        this.logger.warn({ peer, err: (err as Error).stack ?? String(err) }, 'nbd connection failed, closing');
        socket.destroy();
      }
    });
  }

  /**
   * Server shutdown: a connection still haggling is closed; one in transmission answers what
   * is in flight, refuses new requests with ESHUTDOWN and closes when idle.
   */
  shutdown(): Promise<void> {
    if (this.transmission) this.transmission.shutdown();
    else this.socket.destroy();
    return this.closed;
  }

  /** Half-close after the last reply; cut the socket if the client does not close its side. */
  private end(): void {
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}
