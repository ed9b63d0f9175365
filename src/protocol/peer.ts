// The peer link wire format (docs/peer-protocol.md): length-prefixed binary frames between
// two arrays. Pure codec, no sockets: encoders return the frame as Buffer parts so a big
// payload is written after its header without being copied, and FrameDecoder hands out
// payloads as views of the received chunk whenever a frame sits in one chunk.

/** Bumped on any incompatible change to frames or handshake; both sides must agree. */
export const PEER_PROTOCOL_VERSION = 1;
/** "PVPL": first bytes of every HELLO body, so a stranger speaking something else is caught. */
export const PEER_MAGIC = 0x5056504c;
/** Largest value of the length field: room for a 32 MiB data payload plus its header. */
export const MAX_FRAME_BYTES = 33 * 1024 * 1024;
/** u32 length (bytes after this field) + u8 type. */
export const FRAME_HEADER_BYTES = 5;
export const NONCE_BYTES = 32;
export const PROOF_BYTES = 32;
const MAX_NAME_BYTES = 255;

export const FrameType = {
  HELLO: 0x01, // magic u32, version u16, JSON {name, nonce}
  AUTH: 0x02, // 32-byte HMAC proof for the peer's nonce
  READY: 0x03, // (follower -> leader) your proof checked out
  COMMIT: 0x04, // (leader -> follower) this connection is the session
  PING: 0x05, // heartbeat, empty
  BYE: 0x06, // utf8 reason, sent before a deliberate close
  REQUEST: 0x10, // id u32, kindLen u16, kind, JSON body
  RESPONSE: 0x11, // id u32, status u8 (0 ok, 1 error), JSON body (value or {message})
  DATA: 0x20, // id u32, flags u32, offset u64, channelLen u16, channel, payload
  DATA_ACK: 0x21, // id u32, status u8, utf8 error message when status = 1
} as const;
export type FrameTypeValue = (typeof FrameType)[keyof typeof FrameType];
const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

/** A frame that cannot be decoded: the session that carried it is closed. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export interface Hello {
  magic: number;
  version: number;
  name: string;
  nonce: Buffer;
}
export interface RequestFrame {
  id: number;
  kind: string;
  body: unknown;
}
export interface ResponseFrame {
  id: number;
  ok: boolean;
  body: unknown;
}
export interface DataFrame {
  id: number;
  flags: number;
  offset: number;
  channel: string;
  data: Buffer;
}
export interface DataAckFrame {
  id: number;
  ok: boolean;
  message: string;
}

function header(type: FrameTypeValue, fixedBytes: number, trailingBytes: number): Buffer {
  const length = 1 + fixedBytes + trailingBytes;
  if (length > MAX_FRAME_BYTES) throw new FrameError(`frame of ${length} bytes exceeds ${MAX_FRAME_BYTES}`);
  const buf = Buffer.allocUnsafe(FRAME_HEADER_BYTES + fixedBytes);
  buf.writeUInt32BE(length, 0);
  buf.writeUInt8(type, 4);
  return buf;
}

function simple(type: FrameTypeValue, body: Buffer): Buffer[] {
  return body.length === 0 ? [header(type, 0, 0)] : [header(type, 0, body.length), body];
}

function json(value: unknown): Buffer {
  // JSON has no `undefined`: an empty body stands for it.
  const text = JSON.stringify(value);
  return text === undefined ? Buffer.alloc(0) : Buffer.from(text, 'utf8');
}

function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    throw new FrameError('body is not valid JSON');
  }
}

export function checkName(name: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > MAX_NAME_BYTES || name.includes('\0')) {
    throw new FrameError(`array name must be 1..${MAX_NAME_BYTES} bytes without NUL`);
  }
}

export function encodeHello(name: string, nonce: Buffer, version = PEER_PROTOCOL_VERSION): Buffer[] {
  const rest = json({ name, nonce: nonce.toString('hex') });
  const head = header(FrameType.HELLO, 6, rest.length);
  head.writeUInt32BE(PEER_MAGIC, FRAME_HEADER_BYTES);
  head.writeUInt16BE(version, FRAME_HEADER_BYTES + 4);
  return [head, rest];
}

/** Decodes magic and version first so a mismatch is reported as such, not as garbage. */
export function decodeHello(body: Buffer): Hello {
  if (body.length < 6) throw new FrameError('HELLO too short');
  const magic = body.readUInt32BE(0);
  const version = body.readUInt16BE(4);
  if (magic !== PEER_MAGIC || version !== PEER_PROTOCOL_VERSION) return { magic, version, name: '', nonce: Buffer.alloc(0) };
  const rest = parseJson(body.subarray(6)) as { name?: unknown; nonce?: unknown } | undefined;
  if (typeof rest?.name !== 'string' || typeof rest.nonce !== 'string') throw new FrameError('HELLO lacks name or nonce');
  checkName(rest.name);
  const nonce = Buffer.from(rest.nonce, 'hex');
  if (nonce.length !== NONCE_BYTES) throw new FrameError(`HELLO nonce must be ${NONCE_BYTES} bytes`);
  return { magic, version, name: rest.name, nonce };
}

export function encodeAuth(proof: Buffer): Buffer[] {
  return simple(FrameType.AUTH, proof);
}

export function decodeAuth(body: Buffer): Buffer {
  if (body.length !== PROOF_BYTES) throw new FrameError(`AUTH proof must be ${PROOF_BYTES} bytes`);
  return body;
}

export function encodeEmpty(type: typeof FrameType.READY | typeof FrameType.COMMIT | typeof FrameType.PING): Buffer[] {
  return simple(type, Buffer.alloc(0));
}

export function encodeBye(reason: string): Buffer[] {
  return simple(FrameType.BYE, Buffer.from(reason, 'utf8'));
}

export function encodeRequest(id: number, kind: string, body: unknown): Buffer[] {
  const kindBytes = Buffer.from(kind, 'utf8');
  if (kindBytes.length === 0 || kindBytes.length > 0xffff) throw new FrameError('request kind must be 1..65535 bytes');
  const bodyBytes = json(body);
  const head = header(FrameType.REQUEST, 6, kindBytes.length + bodyBytes.length);
  head.writeUInt32BE(id, FRAME_HEADER_BYTES);
  head.writeUInt16BE(kindBytes.length, FRAME_HEADER_BYTES + 4);
  return [head, kindBytes, bodyBytes];
}

export function decodeRequest(body: Buffer): RequestFrame {
  if (body.length < 6) throw new FrameError('REQUEST too short');
  const kindLen = body.readUInt16BE(4);
  if (kindLen === 0 || body.length < 6 + kindLen) throw new FrameError('REQUEST kind out of bounds');
  return {
    id: body.readUInt32BE(0),
    kind: body.toString('utf8', 6, 6 + kindLen),
    body: parseJson(body.subarray(6 + kindLen)),
  };
}

export function encodeResponse(id: number, ok: boolean, body: unknown): Buffer[] {
  const bodyBytes = json(body);
  const head = header(FrameType.RESPONSE, 5, bodyBytes.length);
  head.writeUInt32BE(id, FRAME_HEADER_BYTES);
  head.writeUInt8(ok ? 0 : 1, FRAME_HEADER_BYTES + 4);
  return [head, bodyBytes];
}

export function decodeResponse(body: Buffer): ResponseFrame {
  if (body.length < 5) throw new FrameError('RESPONSE too short');
  const status = body.readUInt8(4);
  if (status > 1) throw new FrameError('RESPONSE status must be 0 or 1');
  return { id: body.readUInt32BE(0), ok: status === 0, body: parseJson(body.subarray(5)) };
}

const DATA_FIXED_BYTES = 4 + 4 + 8 + 2;

/** Header and payload stay separate buffers: the payload is never copied. */
export function encodeData(id: number, channel: string, offset: number, data: Buffer, flags: number): Buffer[] {
  if (!Number.isSafeInteger(offset) || offset < 0) throw new FrameError('data offset must be a non-negative safe integer');
  if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff) throw new FrameError('data flags must be a u32');
  const channelBytes = Buffer.from(channel, 'utf8');
  if (channelBytes.length > 0xffff) throw new FrameError('data channel longer than 65535 bytes');
  const head = header(FrameType.DATA, DATA_FIXED_BYTES + channelBytes.length, data.length);
  let p = FRAME_HEADER_BYTES;
  p = head.writeUInt32BE(id, p);
  p = head.writeUInt32BE(flags, p);
  p = head.writeUInt32BE(Math.floor(offset / 2 ** 32), p);
  p = head.writeUInt32BE(offset % 2 ** 32, p);
  p = head.writeUInt16BE(channelBytes.length, p);
  channelBytes.copy(head, p);
  return data.length === 0 ? [head] : [head, data];
}

export function decodeData(body: Buffer): DataFrame {
  if (body.length < DATA_FIXED_BYTES) throw new FrameError('DATA too short');
  const high = body.readUInt32BE(8);
  if (high >= 2 ** 21) throw new FrameError('DATA offset beyond 2^53');
  const channelLen = body.readUInt16BE(16);
  const start = DATA_FIXED_BYTES + channelLen;
  if (body.length < start) throw new FrameError('DATA channel out of bounds');
  return {
    id: body.readUInt32BE(0),
    flags: body.readUInt32BE(4),
    offset: high * 2 ** 32 + body.readUInt32BE(12),
    channel: body.toString('utf8', DATA_FIXED_BYTES, start),
    data: body.subarray(start),
  };
}

export function encodeDataAck(id: number, ok: boolean, message = ''): Buffer[] {
  const text = Buffer.from(ok ? '' : message, 'utf8');
  const head = header(FrameType.DATA_ACK, 5, text.length);
  head.writeUInt32BE(id, FRAME_HEADER_BYTES);
  head.writeUInt8(ok ? 0 : 1, FRAME_HEADER_BYTES + 4);
  return text.length === 0 ? [head] : [head, text];
}

export function decodeDataAck(body: Buffer): DataAckFrame {
  if (body.length < 5) throw new FrameError('DATA_ACK too short');
  const status = body.readUInt8(4);
  if (status > 1) throw new FrameError('DATA_ACK status must be 0 or 1');
  return { id: body.readUInt32BE(0), ok: status === 0, message: body.toString('utf8', 5) };
}

/**
 * Splits a byte stream into frames. A frame contained in one chunk is delivered as a view
 * of that chunk; a frame spread over chunks is assembled into one buffer allocated once
 * at its full size. Throws FrameError on a bad length or unknown type; the caller closes.
 */
export class FrameDecoder {
  private readonly head = Buffer.alloc(FRAME_HEADER_BYTES);
  private headHave = 0;
  private type = 0;
  private assembling: Buffer | null = null;
  private filled = 0;

  constructor(private readonly onFrame: (type: FrameTypeValue, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.assembling) {
        const n = Math.min(this.assembling.length - this.filled, chunk.length - pos);
        chunk.copy(this.assembling, this.filled, pos, pos + n);
        this.filled += n;
        pos += n;
        if (this.filled === this.assembling.length) {
          const body = this.assembling;
          this.assembling = null;
          this.onFrame(this.type as FrameTypeValue, body);
        }
        continue;
      }
      let bodyLength: number;
      if (this.headHave === 0 && chunk.length - pos >= FRAME_HEADER_BYTES) {
        bodyLength = this.readHeader(chunk, pos);
        pos += FRAME_HEADER_BYTES;
      } else {
        const n = Math.min(FRAME_HEADER_BYTES - this.headHave, chunk.length - pos);
        chunk.copy(this.head, this.headHave, pos, pos + n);
        this.headHave += n;
        pos += n;
        if (this.headHave < FRAME_HEADER_BYTES) return;
        this.headHave = 0;
        bodyLength = this.readHeader(this.head, 0);
      }
      if (chunk.length - pos >= bodyLength) {
        const body = chunk.subarray(pos, pos + bodyLength);
        pos += bodyLength;
        this.onFrame(this.type as FrameTypeValue, body);
      } else {
        this.assembling = Buffer.allocUnsafe(bodyLength);
        this.filled = 0;
      }
    }
  }

  private readHeader(buf: Buffer, at: number): number {
    const length = buf.readUInt32BE(at);
    const type = buf.readUInt8(at + 4);
    if (length < 1 || length > MAX_FRAME_BYTES) throw new FrameError(`frame length ${length} outside 1..${MAX_FRAME_BYTES}`);
    if (!KNOWN_TYPES.has(type)) throw new FrameError(`unknown frame type 0x${type.toString(16)}`);
    this.type = type;
    return length - 1;
  }
}
