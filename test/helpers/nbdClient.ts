// A raw-socket NBD client for tests: it sends exactly the bytes a test asks for (including
// garbage) and reads replies with bounded waits, so negative cases can be driven precisely.
import net from 'node:net';
import {
  ClientFlag,
  Cmd,
  Info,
  OPTION_REPLY_HEADER_SIZE,
  OPTION_REPLY_MAGIC,
  Opt,
  Rep,
  SERVER_GREETING_SIZE,
  SIMPLE_REPLY_MAGIC,
  STRUCTURED_HEADER_SIZE,
  STRUCTURED_REPLY_MAGIC,
  decodeOptionReplyHeader,
  encodeInfoRequest,
  encodeOption,
  encodeRequest,
  isErrorReply,
} from '../../src/protocol/nbd.js';

const WAIT_MS = 5000;

export interface OptionReply {
  option: number;
  type: number;
  data: Buffer;
}

export interface Reply {
  error: number;
  cookie: bigint;
  data?: Buffer;
}

export class RawNbdClient {
  private buffered = Buffer.alloc(0);
  private ended = false;
  private wake: (() => void) | null = null;
  private nextCookie = 1n;

  private constructor(private readonly socket: net.Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake?.();
    });
    const onEnd = (): void => {
      this.ended = true;
      this.wake?.();
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawNbdClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, host, () => resolve(new RawNbdClient(socket)));
      socket.once('error', reject);
    });
  }

  send(data: Buffer): void {
    this.socket.write(data);
  }

  /** Runs `fn` with the socket corked, so everything it sends leaves in one segment. */
  corked<T>(fn: () => T): T {
    this.socket.cork();
    try {
      return fn();
    } finally {
      this.socket.uncork();
    }
  }

  /** Resolves with exactly `n` bytes; rejects if the server closes first or nothing comes in time. */
  async readExactly(n: number, timeoutMs = WAIT_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffered.length < n) {
      if (this.ended) throw new Error(`connection closed with ${this.buffered.length}/${n} bytes`);
      await this.waitForData(deadline);
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }

  /** True when the server closes the connection within the timeout (unread bytes ignored). */
  async closedByServer(timeoutMs = WAIT_MS): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      try {
        await this.waitForData(deadline);
      } catch {
        return false;
      }
    }
    return true;
  }

  private waitForData(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.wake = null;
        reject(new Error('timed out waiting for the server'));
      }, Math.max(0, deadline - Date.now()));
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Reads the greeting and sends client flags. Returns the server's handshake flags. */
  async handshake(clientFlags = ClientFlag.C_FIXED_NEWSTYLE | ClientFlag.C_NO_ZEROES): Promise<number> {
    const greeting = await this.readExactly(SERVER_GREETING_SIZE);
    const flagsOut = Buffer.alloc(4);
    flagsOut.writeUInt32BE(clientFlags);
    this.send(flagsOut);
    return greeting.readUInt16BE(16);
  }

  async readOptionReply(): Promise<OptionReply> {
    const h = decodeOptionReplyHeader(await this.readExactly(OPTION_REPLY_HEADER_SIZE));
    if (h.magic !== OPTION_REPLY_MAGIC) throw new Error('bad option reply magic');
    return { option: h.option, type: h.type, data: await this.readExactly(h.length) };
  }

  /** Sends an option and collects replies up to and including the final one (ACK or error). */
  async option(option: number, data?: Buffer): Promise<OptionReply[]> {
    this.send(encodeOption(option, data));
    const replies: OptionReply[] = [];
    for (;;) {
      const r = await this.readOptionReply();
      replies.push(r);
      if (r.type === Rep.ACK || isErrorReply(r.type)) return replies;
    }
  }

  /** Handshake plus GO; returns the export size and transmission flags. */
  async open(name: string, opts: { structured?: boolean } = {}): Promise<{ size: number; flags: number }> {
    await this.handshake();
    if (opts.structured) await this.option(Opt.STRUCTURED_REPLY);
    const replies = await this.option(Opt.GO, encodeInfoRequest(name, [Info.BLOCK_SIZE]));
    const last = replies[replies.length - 1];
    if (last.type !== Rep.ACK) throw new Error(`GO failed: 0x${last.type.toString(16)} ${last.data.toString()}`);
    const exp = replies.find((r) => r.type === Rep.INFO && r.data.readUInt16BE(0) === Info.EXPORT);
    if (!exp) throw new Error('GO reply lacks INFO_EXPORT');
    return { size: Number(exp.data.readBigUInt64BE(2)), flags: exp.data.readUInt16BE(10) };
  }

  /** Sends a request; returns its cookie. */
  sendRequest(type: number, flags: number, offset: number, length: number, payload?: Buffer): bigint {
    const cookie = this.nextCookie++;
    this.send(encodeRequest(type, flags, cookie, offset, length, payload));
    return cookie;
  }

  /** Reads one simple reply; `readLength` says how much data follows a successful READ reply. */
  async readSimpleReply(readLength = 0): Promise<Reply> {
    const h = await this.readExactly(16);
    if (h.readUInt32BE(0) !== SIMPLE_REPLY_MAGIC) throw new Error(`bad simple reply magic 0x${h.readUInt32BE(0).toString(16)}`);
    const error = h.readUInt32BE(4);
    const cookie = h.readBigUInt64BE(8);
    return error === 0 && readLength > 0 ? { error, cookie, data: await this.readExactly(readLength) } : { error, cookie };
  }

  /** Reads one structured reply chunk. */
  async readStructuredChunk(): Promise<{ flags: number; type: number; cookie: bigint; payload: Buffer }> {
    const h = await this.readExactly(STRUCTURED_HEADER_SIZE);
    if (h.readUInt32BE(0) !== STRUCTURED_REPLY_MAGIC) throw new Error('bad structured reply magic');
    return { flags: h.readUInt16BE(4), type: h.readUInt16BE(6), cookie: h.readBigUInt64BE(8), payload: await this.readExactly(h.readUInt32BE(16)) };
  }

  /** One request with a simple reply, sent and awaited. */
  async request(type: number, flags: number, offset: number, length: number, payload?: Buffer): Promise<Reply> {
    const cookie = this.sendRequest(type, flags, offset, length, payload);
    const r = await this.readSimpleReply(type === Cmd.READ ? length : 0);
    if (r.cookie !== cookie) throw new Error(`reply for cookie ${r.cookie}, expected ${cookie}`);
    return r;
  }

  /** Polite disconnect. */
  disconnect(): void {
    this.sendRequest(Cmd.DISC, 0, 0, 0);
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
