// A small NBD client (fixed newstyle, NBD_OPT_GO, simple replies): READ, WRITE (with FUA),
// FLUSH and DISC. Used by the demo application and by the record checker. Requests may be in
// flight together; every one has a deadline, and a lost connection fails every pending one.
import net from 'node:net';
import {
  ClientFlag,
  Cmd,
  CmdFlag,
  HandshakeFlag,
  IHAVEOPT,
  Info,
  NBD_MAGIC,
  OPTION_REPLY_HEADER_SIZE,
  OPTION_REPLY_MAGIC,
  Opt,
  Rep,
  SERVER_GREETING_SIZE,
  SIMPLE_REPLY_MAGIC,
  SIMPLE_REPLY_SIZE,
  TransmissionFlag,
  decodeOptionReplyHeader,
  encodeInfoRequest,
  encodeOption,
  encodeRequest,
  isErrorReply,
} from './nbd.js';

export interface NbdTarget {
  host: string;
  port: number;
  /** Export name (the volume name). */
  name: string;
}

/** `nbd://host:port/export` (port defaults to 10809). */
export function parseNbdUri(uri: string): NbdTarget {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`not an NBD URI: "${uri}" (expected nbd://host:port/export)`);
  }
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (url.protocol !== 'nbd:' || !url.hostname || !name) throw new Error(`not an NBD URI: "${uri}" (expected nbd://host:port/export)`);
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : 10809, name };
}

/** A request the server answered with an error; `errno` is the NBD error (1 EPERM, 5 EIO, ...). */
export class NbdRequestError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
    this.name = 'NbdRequestError';
  }
}

interface Pending {
  readLength: number;
  what: string;
  timer: NodeJS.Timeout;
  resolve(data: Buffer): void;
  reject(err: Error): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Reads exactly n bytes from a socket during the handshake, with a deadline. */
class HandshakeReader {
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly socket: net.Socket) {
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.wake?.();
  };

  private readonly onClose = (): void => {
    this.failure = new Error('the NBD server closed the connection during the handshake');
    this.wake?.();
  };

  async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** Stops reading; returns bytes that arrived past the handshake (none with a correct server). */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    return this.buffered;
  }
}

export class NbdClient {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  /** The reply whose header has been read and whose data is still arriving. */
  private header: { error: number; cookie: bigint; dataLength: number } | null = null;
  private readonly pending = new Map<bigint, Pending>();
  private nextCookie = 1n;
  private closed: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly size: number,
    readonly flags: number,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => this.failAll(new Error('the NBD connection was closed')));
    socket.on('error', (err) => this.failAll(new Error(`the NBD connection failed: ${err.message}`)));
  }

  get readOnly(): boolean {
    return (this.flags & TransmissionFlag.READ_ONLY) !== 0;
  }

  /** Connects, negotiates with NBD_OPT_GO and enters transmission. Bounded by timeoutMs. */
  static async connect(target: NbdTarget | string, opts: { timeoutMs?: number } = {}): Promise<NbdClient> {
    const t = typeof target === 'string' ? parseNbdUri(target) : target;
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const socket = net.connect(t.port, t.host);
    socket.setNoDelay(true);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`NBD handshake with ${t.host}:${t.port} not done within ${timeoutMs} ms`)), timeoutMs);
    });
    const connectError = new Promise<never>((_, reject) => socket.once('error', (err) => reject(new Error(`cannot connect to NBD server ${t.host}:${t.port}: ${err.message}`))));
    try {
      const { size, flags, rest } = await Promise.race([negotiate(socket, t.name), deadline, connectError]);
      const client = new NbdClient(socket, size, flags, timeoutMs);
      if (rest.length > 0) client.onData(rest);
      return client;
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.request(Cmd.READ, 0, offset, length, undefined, `READ ${length}@${offset}`);
  }

  /** Resolves once the server acknowledged the write; with fua, once it is durable. */
  async write(offset: number, data: Buffer, opts: { fua?: boolean } = {}): Promise<void> {
    await this.request(Cmd.WRITE, opts.fua ? CmdFlag.FUA : 0, offset, data.length, data, `WRITE ${data.length}@${offset}`);
  }

  async flush(): Promise<void> {
    await this.request(Cmd.FLUSH, 0, 0, 0, undefined, 'FLUSH');
  }

  /** Polite disconnect (NBD_CMD_DISC); pending requests fail. */
  close(): void {
    if (!this.closed) {
      this.socket.write(encodeRequest(Cmd.DISC, 0, this.nextCookie++, 0, 0));
      this.socket.end();
    }
    this.failAll(new Error('the NBD client was closed'));
  }

  private request(type: number, flags: number, offset: number, length: number, payload: Buffer | undefined, what: string): Promise<Buffer> {
    if (this.closed) return Promise.reject(this.closed);
    const cookie = this.nextCookie++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(cookie);
        reject(new Error(`${what}: no reply within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.pending.set(cookie, { readLength: type === Cmd.READ ? length : 0, what, timer, resolve, reject });
      this.socket.write(encodeRequest(type, flags, cookie, offset, length, payload));
    });
  }

  /** Takes n bytes off the front of the received chunks (the caller checked they are there). */
  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) {
      this.chunks[0] = first.subarray(n);
      if (this.chunks[0].length === 0) this.chunks.shift();
      this.received -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const c = this.chunks[0];
      const part = Math.min(c.length, n - at);
      c.copy(out, at, 0, part);
      at += part;
      if (part === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(part);
    }
    this.received -= n;
    return out;
  }

  private onData(chunk: Buffer): void {
    // Replies are kept as a list of chunks and copied once: large READs arrive in many pieces.
    this.chunks.push(chunk);
    this.received += chunk.length;
    for (;;) {
      if (!this.header) {
        if (this.received < SIMPLE_REPLY_SIZE) return;
        const h = this.take(SIMPLE_REPLY_SIZE);
        if (h.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) {
          this.socket.destroy();
          this.failAll(new Error(`bad NBD reply magic 0x${h.readUInt32BE(0).toString(16)}`));
          return;
        }
        const error = h.readUInt32BE(4);
        const cookie = h.readBigUInt64BE(8);
        // A reply to a request that timed out still carries its data: skip it by the length we asked for.
        this.header = { error, cookie, dataLength: error === 0 ? (this.pending.get(cookie)?.readLength ?? 0) : 0 };
      }
      const { error, cookie, dataLength } = this.header;
      if (this.received < dataLength) return;
      const data = dataLength > 0 ? this.take(dataLength) : Buffer.alloc(0);
      this.header = null;
      const p = this.pending.get(cookie);
      if (!p) continue;
      this.pending.delete(cookie);
      clearTimeout(p.timer);
      if (error === 0) p.resolve(Buffer.from(data));
      else p.reject(new NbdRequestError(error, `${p.what} failed with NBD error ${error}`));
    }
  }

  private failAll(err: Error): void {
    this.closed ??= err;
    for (const [cookie, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(cookie);
    }
  }
}

async function negotiate(socket: net.Socket, name: string): Promise<{ size: number; flags: number; rest: Buffer }> {
  const reader = new HandshakeReader(socket);
  const greeting = await reader.read(SERVER_GREETING_SIZE);
  if (greeting.readBigUInt64BE(0) !== NBD_MAGIC || greeting.readBigUInt64BE(8) !== IHAVEOPT) throw new Error('not an NBD newstyle server');
  if ((greeting.readUInt16BE(16) & HandshakeFlag.FIXED_NEWSTYLE) === 0) throw new Error('the NBD server does not speak fixed newstyle');
  const clientFlags = Buffer.alloc(4);
  clientFlags.writeUInt32BE(ClientFlag.C_FIXED_NEWSTYLE | ClientFlag.C_NO_ZEROES);
  socket.write(clientFlags);
  socket.write(encodeOption(Opt.GO, encodeInfoRequest(name, [Info.BLOCK_SIZE])));
  let exportInfo: { size: number; flags: number } | null = null;
  for (;;) {
    const h = decodeOptionReplyHeader(await reader.read(OPTION_REPLY_HEADER_SIZE));
    if (h.magic !== OPTION_REPLY_MAGIC) throw new Error('bad NBD option reply magic');
    const data = await reader.read(h.length);
    if (isErrorReply(h.type)) throw new Error(`the NBD server refused export "${name}": ${data.toString('utf8') || `error 0x${h.type.toString(16)}`}`);
    if (h.type === Rep.INFO && data.length >= 12 && data.readUInt16BE(0) === Info.EXPORT) {
      exportInfo = { size: Number(data.readBigUInt64BE(2)), flags: data.readUInt16BE(10) };
    }
    if (h.type === Rep.ACK) break;
  }
  if (!exportInfo) throw new Error(`the NBD server accepted export "${name}" without saying its size`);
  return { ...exportInfo, rest: reader.detach() };
}
