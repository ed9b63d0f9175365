// The transmission phase of one connection: parses requests straight out of the socket's
// chunks, range-checks them, calls the device and queues replies (matched by cookie; replies
// may go out of order). Requests whose device call completes synchronously are answered in
// the same event-loop turn, all in one socket write.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { BlockError, Errno, type BlockDevice } from '../blockDevice.js';
import {
  Cmd,
  CmdFlag,
  MAX_PAYLOAD,
  REQUEST_HEADER_SIZE,
  REQUEST_MAGIC,
  ReplyFlag,
  ReplyType,
  SIMPLE_REPLY_SIZE,
  STRUCTURED_HEADER_SIZE,
  decodeRequestHeader,
  encodeStructuredError,
  writeSimpleReply,
  writeStructuredHeader,
  type RequestHeader,
} from '../../protocol/nbd.js';
import type { NegotiatedExport } from './handshake.js';
import { BufferPool } from './bufferPool.js';
import { ReplyWriter, type ReplySlot } from './replyWriter.js';

export type NbdCommandName = 'read' | 'write' | 'flush' | 'trim' | 'write_zeroes';

export interface NbdRequestStats {
  exportName: string;
  command: NbdCommandName;
  bytes: number;
  seconds: number;
  errno: number;
}

export interface TransmissionHooks {
  onRequest?: (s: NbdRequestStats) => void;
  warn(o: object, msg: string): void;
  /** The client broke the protocol; the connection must close. */
  protocolError(reason: string): void;
  /** DISC received or shutdown finished: everything is answered; close the connection. */
  finished(): void;
}

/** Beyond this many requests waiting for the device, stop reading from the socket. */
const MAX_IN_FLIGHT = 256;
const OFFSET_DATA_HEADER = STRUCTURED_HEADER_SIZE + 8;

function errnoOf(err: unknown): number {
  return err instanceof BlockError ? err.errno : Errno.EIO;
}

function isPromise(r: void | Promise<void>): r is Promise<void> {
  return r !== undefined && typeof (r as Promise<void>).then === 'function';
}

export class Transmission {
  private readonly writer: ReplyWriter;
  private readonly device: BlockDevice;
  private readonly req: RequestHeader = { magic: 0, flags: 0, type: 0, cookieHi: 0, cookieLo: 0, offset: 0, length: 0 };
  /** A request header split across chunks is gathered here. */
  private readonly headerBuf = Buffer.allocUnsafe(REQUEST_HEADER_SIZE);
  private headerFill = 0;
  /** A write payload split across chunks is assembled here (its request is in `req`). */
  private payload: Buffer | null = null;
  private payloadFill = 0;
  /** Payload bytes of a refused oversize write still to be skipped. */
  private discard = 0;
  /**
   * Assembled write payloads are reused only for devices that promise not to keep `data`
   * after write() returns or resolves (`retainsWriteData === false`); a device that queues
   * data for later (e.g. asynchronous remote copy) gets a fresh buffer per write.
   */
  private readonly payloadPool: BufferPool | null;
  private inFlight = 0;
  private stopping = false; // DISC received: read nothing more
  private shuttingDown = false; // server closing: answer ESHUTDOWN
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly exp: NegotiatedExport,
    private readonly hooks: TransmissionHooks,
  ) {
    this.writer = new ReplyWriter(socket);
    this.device = exp.device;
    this.payloadPool = (exp.device as { retainsWriteData?: boolean }).retainsWriteData === false ? new BufferPool() : null;
    socket.on('drain', () => this.maybeResume());
  }

  /** Parses every request in `chunk`, answers the synchronous ones, then writes once. */
  push(chunk: Buffer): void {
    let at = 0;
    const end = chunk.length;
    while (at < end && !this.stopping && !this.closed) {
      if (this.discard > 0) {
        const n = Math.min(this.discard, end - at);
        this.discard -= n;
        at += n;
        continue;
      }
      if (this.payload !== null) {
        const n = Math.min(this.payload.length - this.payloadFill, end - at);
        chunk.copy(this.payload, this.payloadFill, at, at + n);
        this.payloadFill += n;
        at += n;
        if (this.payloadFill === this.payload.length) {
          const data = this.payload;
          this.payload = null;
          this.handleWrite(data, this.payloadPool);
        }
        continue;
      }
      if (this.headerFill === 0 && end - at >= REQUEST_HEADER_SIZE) {
        decodeRequestHeader(chunk, at, this.req);
        at += REQUEST_HEADER_SIZE;
      } else {
        const n = Math.min(REQUEST_HEADER_SIZE - this.headerFill, end - at);
        chunk.copy(this.headerBuf, this.headerFill, at, at + n);
        this.headerFill += n;
        at += n;
        if (this.headerFill < REQUEST_HEADER_SIZE) break;
        this.headerFill = 0;
        decodeRequestHeader(this.headerBuf, 0, this.req);
      }
      const req = this.req;
      if (req.magic !== REQUEST_MAGIC) {
        this.closed = true;
        this.hooks.protocolError(`bad request magic 0x${req.magic.toString(16)}`);
        return;
      }
      if (req.type !== Cmd.WRITE) {
        this.handleRequest();
        continue;
      }
      if (req.length > MAX_PAYLOAD) {
        // Skip the payload so the stream stays in sync, and refuse the request.
        this.discard = req.length;
        this.replySimple(Errno.EOVERFLOW, req.cookieHi, req.cookieLo);
        continue;
      }
      if (end - at >= req.length) {
        // The whole payload is inside this chunk: hand the device a view, no copy. Socket
        // chunks are fresh buffers per read, so the view stays valid after this call.
        const data = chunk.subarray(at, at + req.length);
        at += req.length;
        this.handleWrite(data, null);
      } else {
        this.payload = this.payloadPool ? this.payloadPool.take(req.length) : Buffer.allocUnsafeSlow(req.length);
        this.payloadFill = 0;
      }
    }
    this.writer.flush();
    if (this.inFlight >= MAX_IN_FLIGHT || this.socket.writableNeedDrain) this.socket.pause();
  }

  /** Server shutdown: answer new requests with ESHUTDOWN; finish once nothing is in flight. */
  shutdown(): void {
    this.shuttingDown = true;
    this.checkFinished();
  }

  /** The socket closed: stop doing anything. */
  dispose(): void {
    this.closed = true;
  }

  private handleRequest(): void {
    const { type, flags, offset, length, cookieHi, cookieLo } = this.req;
    switch (type) {
      case Cmd.READ:
        if ((flags & ~(CmdFlag.FUA | (this.exp.structuredReplies ? CmdFlag.DF : 0))) !== 0) return this.replyRead(Errno.EINVAL, cookieHi, cookieLo, 'unsupported flags');
        if (length > MAX_PAYLOAD) return this.replyRead(Errno.EOVERFLOW, cookieHi, cookieLo, 'read larger than 32 MiB');
        if (offset + length > this.device.size) return this.replyRead(Errno.EINVAL, cookieHi, cookieLo, 'read beyond the end of the export');
        if (this.shuttingDown) return this.replyRead(Errno.ESHUTDOWN, cookieHi, cookieLo, 'server is shutting down');
        return this.read(offset, length, cookieHi, cookieLo);
      case Cmd.FLUSH:
        if ((flags & ~CmdFlag.FUA) !== 0) return this.replySimple(Errno.EINVAL, cookieHi, cookieLo);
        if (this.shuttingDown) return this.replySimple(Errno.ESHUTDOWN, cookieHi, cookieLo);
        return this.run('flush', 0, cookieHi, cookieLo, () => this.device.flush());
      case Cmd.TRIM:
        if ((flags & ~CmdFlag.FUA) !== 0) return this.replySimple(Errno.EINVAL, cookieHi, cookieLo);
        if (offset + length > this.device.size) return this.replySimple(Errno.EINVAL, cookieHi, cookieLo);
        if (this.shuttingDown) return this.replySimple(Errno.ESHUTDOWN, cookieHi, cookieLo);
        return this.run('trim', length, cookieHi, cookieLo, () => this.device.trim(offset, length, (flags & CmdFlag.FUA) !== 0));
      case Cmd.WRITE_ZEROES:
        if ((flags & ~(CmdFlag.FUA | CmdFlag.NO_HOLE | CmdFlag.FAST_ZERO)) !== 0) return this.replySimple(Errno.EINVAL, cookieHi, cookieLo);
        if (offset + length > this.device.size) return this.replySimple(Errno.ENOSPC, cookieHi, cookieLo);
        if (this.shuttingDown) return this.replySimple(Errno.ESHUTDOWN, cookieHi, cookieLo);
        // Zeroing here costs as much as writing, so a request for a *fast* zero is refused
        // with ENOTSUP, which tells the client to fall back to its own strategy.
        if ((flags & CmdFlag.FAST_ZERO) !== 0) return this.replySimple(Errno.ENOTSUP, cookieHi, cookieLo);
        return this.run('write_zeroes', length, cookieHi, cookieLo, () =>
          this.device.writeZeroes(offset, length, (flags & CmdFlag.FUA) !== 0, (flags & CmdFlag.NO_HOLE) === 0),
        );
      case Cmd.DISC:
        this.stopping = true;
        return this.checkFinished();
      default:
        return this.replySimple(Errno.EINVAL, cookieHi, cookieLo);
    }
  }

  /** `owner` is the pool `data` goes back to once the device is done with it. */
  private handleWrite(data: Buffer, owner: BufferPool | null): void {
    const { flags, offset, cookieHi, cookieLo } = this.req;
    const errno =
      (flags & ~CmdFlag.FUA) !== 0 ? Errno.EINVAL : offset + data.length > this.device.size ? Errno.ENOSPC : this.shuttingDown ? Errno.ESHUTDOWN : 0;
    if (errno !== 0) {
      owner?.give(data);
      return this.replySimple(errno, cookieHi, cookieLo);
    }
    const fua = (flags & CmdFlag.FUA) !== 0;
    this.run('write', data.length, cookieHi, cookieLo, () => this.device.write(offset, data, fua), owner === null ? undefined : () => owner.give(data));
  }

  /** Calls the device for a command with a header-only reply; replies now or on completion. */
  private run(
    command: NbdCommandName,
    bytes: number,
    cookieHi: number,
    cookieLo: number,
    call: () => void | Promise<void>,
    release?: () => void,
  ): void {
    const started = this.hooks.onRequest ? performance.now() : 0;
    let result: void | Promise<void>;
    try {
      result = call();
    } catch (err) {
      release?.();
      return this.completed(command, bytes, cookieHi, cookieLo, started, err, false);
    }
    if (!isPromise(result)) {
      release?.();
      return this.completed(command, bytes, cookieHi, cookieLo, started, undefined, false);
    }
    this.inFlight++;
    result.then(
      () => {
        release?.();
        this.completed(command, bytes, cookieHi, cookieLo, started, undefined, true);
      },
      (err: unknown) => {
        release?.();
        this.completed(command, bytes, cookieHi, cookieLo, started, err, true);
      },
    );
  }

  private completed(command: NbdCommandName, bytes: number, cookieHi: number, cookieLo: number, started: number, err: unknown, async: boolean): void {
    const errno = err === undefined ? 0 : errnoOf(err);
    if (err !== undefined && !(err instanceof BlockError)) this.hooks.warn({ err, command }, 'device failed with an unexpected error');
    this.report(command, bytes, started, errno);
    if (async) this.inFlight--;
    if (this.closed) return;
    this.replySimple(errno, cookieHi, cookieLo);
    if (async) this.afterAsync();
  }

  private read(offset: number, length: number, cookieHi: number, cookieLo: number): void {
    const started = this.hooks.onRequest ? performance.now() : 0;
    const structured = this.exp.structuredReplies;
    if (structured && length === 0) return this.replyRead(0, cookieHi, cookieLo, '');
    const headerSize = structured ? OFFSET_DATA_HEADER : SIMPLE_REPLY_SIZE;
    const slot = this.writer.reserve(headerSize + length);
    let result: void | Promise<void>;
    try {
      result = this.device.read(offset, slot.buffer.subarray(headerSize));
    } catch (err) {
      this.writer.unreserve(slot);
      return this.readCompleted(length, cookieHi, cookieLo, started, err, null, false);
    }
    this.writeReadHeader(slot.buffer, offset, length, cookieHi, cookieLo);
    if (!isPromise(result)) return this.report('read', length, started, 0);
    // The data arrives later: take the slot out of the output and append it when filled.
    this.writer.detach(slot);
    this.inFlight++;
    result.then(
      () => this.readCompleted(length, cookieHi, cookieLo, started, undefined, slot, true),
      (err: unknown) => this.readCompleted(length, cookieHi, cookieLo, started, err, null, true),
    );
  }

  private readCompleted(length: number, cookieHi: number, cookieLo: number, started: number, err: unknown, reply: ReplySlot | null, async: boolean): void {
    const errno = err === undefined ? 0 : errnoOf(err);
    if (err !== undefined && !(err instanceof BlockError)) this.hooks.warn({ err, command: 'read' }, 'device failed with an unexpected error');
    this.report('read', length, started, errno);
    if (async) this.inFlight--;
    if (this.closed) return;
    if (reply !== null) this.writer.appendSlot(reply);
    else this.replyRead(errno, cookieHi, cookieLo, err instanceof Error ? err.message : 'read failed');
    if (async) this.afterAsync();
  }

  private writeReadHeader(b: Buffer, offset: number, length: number, cookieHi: number, cookieLo: number): void {
    if (!this.exp.structuredReplies) return writeSimpleReply(b, 0, 0, cookieHi, cookieLo);
    writeStructuredHeader(b, 0, ReplyFlag.DONE, ReplyType.OFFSET_DATA, cookieHi, cookieLo, 8 + length);
    b.writeUInt32BE(Math.floor(offset / 0x100000000), STRUCTURED_HEADER_SIZE);
    b.writeUInt32BE(offset >>> 0, STRUCTURED_HEADER_SIZE + 4);
  }

  /** A READ reply without data: an error, or an empty structured reply. */
  private replyRead(errno: number, cookieHi: number, cookieLo: number, message: string): void {
    if (!this.exp.structuredReplies) return this.replySimple(errno, cookieHi, cookieLo);
    if (errno !== 0) return this.writer.append(encodeStructuredError(errno, cookieHi, cookieLo, message));
    const b = Buffer.allocUnsafe(STRUCTURED_HEADER_SIZE);
    writeStructuredHeader(b, 0, ReplyFlag.DONE, ReplyType.NONE, cookieHi, cookieLo, 0);
    this.writer.append(b);
  }

  private replySimple(errno: number, cookieHi: number, cookieLo: number): void {
    const at = this.writer.reserveInSlab(SIMPLE_REPLY_SIZE);
    writeSimpleReply(this.writer.slabBuffer, at, errno, cookieHi, cookieLo);
  }

  private report(command: NbdCommandName, bytes: number, started: number, errno: number): void {
    const onRequest = this.hooks.onRequest;
    if (!onRequest) return;
    try {
      onRequest({ exportName: this.exp.name, command, bytes, seconds: (performance.now() - started) / 1000, errno });
    } catch (err) {
      this.hooks.warn({ err }, 'onRequest hook failed');
    }
  }

  private afterAsync(): void {
    this.writer.scheduleFlush();
    this.maybeResume();
    this.checkFinished();
  }

  private maybeResume(): void {
    if (this.closed || this.stopping) return;
    if (this.inFlight < MAX_IN_FLIGHT && !this.socket.writableNeedDrain && this.socket.isPaused()) this.socket.resume();
  }

  private checkFinished(): void {
    if (this.closed || this.inFlight > 0) return;
    if (this.stopping || this.shuttingDown) {
      this.closed = true;
      this.writer.flush();
      this.hooks.finished();
    }
  }
}
