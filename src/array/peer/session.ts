// The multiplexed request/response and data channel over one committed connection.
// Frames are dispatched to handlers synchronously in arrival order, so handlers are invoked
// in the order the peer sent; answers go back whenever each handler completes, matched by id.
// When the connection closes every pending promise rejects at once.
import { EventEmitter } from 'node:events';
import {
  FrameType,
  decodeData,
  decodeDataAck,
  decodeRequest,
  decodeResponse,
  encodeData,
  encodeDataAck,
  encodeRequest,
  encodeResponse,
  type FrameTypeValue,
} from '../../protocol/peer.js';
import type { PeerConnection } from './connection.js';
import { PeerRemoteError, PeerTimeoutError, PeerUnavailableError } from './errors.js';

export type RequestHandler = (body: any) => unknown | Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type DataHandler = (channel: string, offset: number, data: Buffer, flags: number) => void | Promise<void>;

export interface SessionHandlers {
  request(kind: string): RequestHandler | undefined;
  data(): DataHandler | undefined;
}

interface PendingRequest {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

interface PendingData {
  resolve(): void;
  reject(err: Error): void;
  deadline: number;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Events: 'closed' (reason), once, after every pending promise was rejected. */
export class PeerSession extends EventEmitter {
  private nextId = 1;
  private readonly requests = new Map<number, PendingRequest>();
  // All data frames share one timeout, so insertion order is deadline order: the sweep
  // stops at the first entry still in time instead of arming a timer per write.
  private readonly data = new Map<number, PendingData>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly connection: PeerConnection,
    private readonly handlers: SessionHandlers,
    private readonly requestTimeoutMs: number,
  ) {
    super();
    connection.on('frame', (type: FrameTypeValue, body: Buffer) => this.onFrame(type, body));
    connection.once('closed', (reason: string) => this.onClosed(reason));
    this.sweeper = setInterval(() => this.sweepData(), Math.max(10, Math.min(1000, requestTimeoutMs / 4)));
  }

  get peerName(): string {
    return this.connection.peerName ?? '';
  }

  close(reason: string): void {
    this.connection.close(reason);
  }

  request<T>(kind: string, body: unknown, timeoutMs: number): Promise<T> {
    const id = this.allocateId();
    let frame: Buffer[];
    try {
      frame = encodeRequest(id, kind, body);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new PeerTimeoutError(`peer request ${kind} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.requests.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.connection.send(frame);
    });
  }

  sendData(channel: string, offset: number, data: Buffer, flags: number): Promise<void> {
    const id = this.allocateId();
    let frame: Buffer[];
    try {
      frame = encodeData(id, channel, offset, data, flags);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.data.set(id, { resolve, reject, deadline: Date.now() + this.requestTimeoutMs });
      this.connection.send(frame);
    });
  }

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = this.nextId === 0xffffffff ? 1 : this.nextId + 1;
    return id;
  }

  private onFrame(type: FrameTypeValue, body: Buffer): void {
    switch (type) {
      case FrameType.REQUEST:
        return this.onRequest(body);
      case FrameType.RESPONSE: {
        const res = decodeResponse(body);
        const pending = this.requests.get(res.id);
        if (!pending) return; // answered after its timeout
        this.requests.delete(res.id);
        clearTimeout(pending.timer);
        if (res.ok) pending.resolve(res.body);
        else pending.reject(new PeerRemoteError(String((res.body as { message?: unknown } | undefined)?.message ?? 'peer handler failed')));
        return;
      }
      case FrameType.DATA:
        return this.onData(body);
      case FrameType.DATA_ACK: {
        const ack = decodeDataAck(body);
        const pending = this.data.get(ack.id);
        if (!pending) return;
        this.data.delete(ack.id);
        if (ack.ok) pending.resolve();
        else pending.reject(new PeerRemoteError(ack.message));
        return;
      }
      default:
        throw new Error(`frame type 0x${type.toString(16)} is not a session frame`);
    }
  }

  private onRequest(body: Buffer): void {
    const req = decodeRequest(body);
    const reply = (ok: boolean, value: unknown) => {
      let frame: Buffer[];
      try {
        frame = encodeResponse(req.id, ok, value);
      } catch (err) {
        frame = encodeResponse(req.id, false, { message: `cannot encode answer: ${messageOf(err)}` });
      }
      this.connection.send(frame);
    };
    const handler = this.handlers.request(req.kind);
    if (!handler) return reply(false, { message: `no handler for peer request ${req.kind}` });
    let result: unknown;
    try {
      result = handler(req.body);
    } catch (err) {
      return reply(false, { message: messageOf(err) });
    }
    Promise.resolve(result).then(
      (value) => reply(true, value),
      (err: unknown) => reply(false, { message: messageOf(err) }),
    );
  }

  private onData(body: Buffer): void {
    const frame = decodeData(body);
    const ack = (ok: boolean, message?: string) => this.connection.send(encodeDataAck(frame.id, ok, message));
    const handler = this.handlers.data();
    if (!handler) return ack(false, 'no data handler on the peer');
    let result: void | Promise<void>;
    try {
      result = handler(frame.channel, frame.offset, frame.data, frame.flags);
    } catch (err) {
      return ack(false, messageOf(err));
    }
    if (result === undefined) return ack(true);
    Promise.resolve(result).then(
      () => ack(true),
      (err: unknown) => ack(false, messageOf(err)),
    );
  }

  private sweepData(): void {
    const now = Date.now();
    for (const [id, pending] of this.data) {
      if (pending.deadline > now) break;
      this.data.delete(id);
      pending.reject(new PeerTimeoutError(`peer data frame got no acknowledgement within ${this.requestTimeoutMs} ms`));
    }
  }

  private onClosed(reason: string): void {
    clearInterval(this.sweeper);
    const err = new PeerUnavailableError(`peer link down: ${reason}`);
    for (const pending of this.requests.values()) {
      clearTimeout(pending.timer);
      pending.reject(err);
    }
    this.requests.clear();
    for (const pending of this.data.values()) pending.reject(err);
    this.data.clear();
    this.emit('closed', reason);
  }
}
