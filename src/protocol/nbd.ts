// The NBD wire protocol (NetworkBlockDevice/nbd doc/proto.md): constants and codecs for the
// fixed newstyle handshake, option haggling and transmission. Used by the array's NBD server
// and by the raw test client, so both sides read the same definitions. All integers big-endian.

export const NBD_MAGIC = 0x4e42444d41474943n; // "NBDMAGIC"
export const IHAVEOPT = 0x49484156454f5054n; // "IHAVEOPT", also the client option magic
export const OPTION_REPLY_MAGIC = 0x0003e889045565a9n;
export const REQUEST_MAGIC = 0x25609513;
export const SIMPLE_REPLY_MAGIC = 0x67446698;
export const STRUCTURED_REPLY_MAGIC = 0x668e33ef;

/** Handshake flags (server) and client flags. */
export const HandshakeFlag = { FIXED_NEWSTYLE: 1, NO_ZEROES: 2 } as const;
export const ClientFlag = { C_FIXED_NEWSTYLE: 1, C_NO_ZEROES: 2 } as const;

export const Opt = {
  EXPORT_NAME: 1,
  ABORT: 2,
  LIST: 3,
  STARTTLS: 5,
  INFO: 6,
  GO: 7,
  STRUCTURED_REPLY: 8,
  LIST_META_CONTEXT: 9,
  SET_META_CONTEXT: 10,
  EXTENDED_HEADERS: 11,
} as const;

const REP_ERR = 0x80000000;
export const Rep = {
  ACK: 1,
  SERVER: 2,
  INFO: 3,
  META_CONTEXT: 4,
  ERR_UNSUP: REP_ERR + 1,
  ERR_POLICY: REP_ERR + 2,
  ERR_INVALID: REP_ERR + 3,
  ERR_PLATFORM: REP_ERR + 4,
  ERR_TLS_REQD: REP_ERR + 5,
  ERR_UNKNOWN: REP_ERR + 6,
  ERR_SHUTDOWN: REP_ERR + 7,
  ERR_BLOCK_SIZE_REQD: REP_ERR + 8,
  ERR_TOO_BIG: REP_ERR + 9,
} as const;

export function isErrorReply(type: number): boolean {
  return type >= REP_ERR;
}

export const Info = { EXPORT: 0, NAME: 1, DESCRIPTION: 2, BLOCK_SIZE: 3 } as const;

export const TransmissionFlag = {
  HAS_FLAGS: 1 << 0,
  READ_ONLY: 1 << 1,
  SEND_FLUSH: 1 << 2,
  SEND_FUA: 1 << 3,
  ROTATIONAL: 1 << 4,
  SEND_TRIM: 1 << 5,
  SEND_WRITE_ZEROES: 1 << 6,
  SEND_DF: 1 << 7,
  CAN_MULTI_CONN: 1 << 8,
  SEND_RESIZE: 1 << 9,
  SEND_CACHE: 1 << 10,
  SEND_FAST_ZERO: 1 << 11,
} as const;

export const Cmd = {
  READ: 0,
  WRITE: 1,
  DISC: 2,
  FLUSH: 3,
  TRIM: 4,
  CACHE: 5,
  WRITE_ZEROES: 6,
  BLOCK_STATUS: 7,
} as const;

export const CmdFlag = { FUA: 1, NO_HOLE: 2, DF: 4, REQ_ONE: 8, FAST_ZERO: 16 } as const;

export const ReplyType = { NONE: 0, OFFSET_DATA: 1, OFFSET_HOLE: 2, ERROR: 0x8001, ERROR_OFFSET: 0x8002 } as const;
export const ReplyFlag = { DONE: 1 } as const;

/** Sizes of fixed-length wire structures. */
export const SERVER_GREETING_SIZE = 18; // NBDMAGIC + IHAVEOPT + u16 handshake flags
export const OPTION_HEADER_SIZE = 16; // IHAVEOPT + u32 option + u32 length
export const OPTION_REPLY_HEADER_SIZE = 20; // magic + u32 option + u32 type + u32 length
export const REQUEST_HEADER_SIZE = 28;
export const SIMPLE_REPLY_SIZE = 16;
export const STRUCTURED_HEADER_SIZE = 20; // magic + u16 flags + u16 type + u64 cookie + u32 length
export const EXPORT_NAME_PADDING = 124;

/** Block size constraints we advertise: no alignment needed, 4 KiB preferred, 32 MiB max payload. */
export const MIN_BLOCK_SIZE = 1;
export const PREFERRED_BLOCK_SIZE = 4096;
export const MAX_PAYLOAD = 32 * 1024 * 1024;

/** The server's first message. */
export function encodeServerGreeting(handshakeFlags: number): Buffer {
  const b = Buffer.allocUnsafe(SERVER_GREETING_SIZE);
  b.writeBigUInt64BE(NBD_MAGIC, 0);
  b.writeBigUInt64BE(IHAVEOPT, 8);
  b.writeUInt16BE(handshakeFlags, 16);
  return b;
}

export interface OptionHeader {
  magic: bigint;
  option: number;
  length: number;
}

export function decodeOptionHeader(b: Buffer, at = 0): OptionHeader {
  return { magic: b.readBigUInt64BE(at), option: b.readUInt32BE(at + 8), length: b.readUInt32BE(at + 12) };
}

/** A client option: IHAVEOPT, option, length, data. */
export function encodeOption(option: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(OPTION_HEADER_SIZE + data.length);
  b.writeBigUInt64BE(IHAVEOPT, 0);
  b.writeUInt32BE(option, 8);
  b.writeUInt32BE(data.length, 12);
  data.copy(b, OPTION_HEADER_SIZE);
  return b;
}

export function encodeOptionReply(option: number, type: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.allocUnsafe(OPTION_REPLY_HEADER_SIZE + data.length);
  b.writeBigUInt64BE(OPTION_REPLY_MAGIC, 0);
  b.writeUInt32BE(option, 8);
  b.writeUInt32BE(type, 12);
  b.writeUInt32BE(data.length, 16);
  data.copy(b, OPTION_REPLY_HEADER_SIZE);
  return b;
}

export interface OptionReplyHeader {
  magic: bigint;
  option: number;
  type: number;
  length: number;
}

export function decodeOptionReplyHeader(b: Buffer, at = 0): OptionReplyHeader {
  return {
    magic: b.readBigUInt64BE(at),
    option: b.readUInt32BE(at + 8),
    type: b.readUInt32BE(at + 12),
    length: b.readUInt32BE(at + 16),
  };
}

/** Data of NBD_OPT_INFO / NBD_OPT_GO: u32 name length, name, u16 count, count x u16 info type. */
export function encodeInfoRequest(name: string, infos: number[]): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const b = Buffer.allocUnsafe(4 + nameBytes.length + 2 + 2 * infos.length);
  b.writeUInt32BE(nameBytes.length, 0);
  nameBytes.copy(b, 4);
  let at = 4 + nameBytes.length;
  b.writeUInt16BE(infos.length, at);
  for (const info of infos) b.writeUInt16BE(info, (at += 2));
  return b;
}

/** Decodes INFO/GO data; undefined when the lengths inside do not add up to the option length. */
export function decodeInfoRequest(data: Buffer): { name: string; infos: number[] } | undefined {
  if (data.length < 6) return undefined;
  const nameLength = data.readUInt32BE(0);
  if (nameLength > data.length - 6) return undefined;
  const count = data.readUInt16BE(4 + nameLength);
  if (data.length !== 4 + nameLength + 2 + 2 * count) return undefined;
  const infos: number[] = [];
  for (let i = 0; i < count; i++) infos.push(data.readUInt16BE(6 + nameLength + 2 * i));
  return { name: data.toString('utf8', 4, 4 + nameLength), infos };
}

export function encodeInfoExport(size: number, transmissionFlags: number): Buffer {
  const b = Buffer.allocUnsafe(12);
  b.writeUInt16BE(Info.EXPORT, 0);
  b.writeBigUInt64BE(BigInt(size), 2);
  b.writeUInt16BE(transmissionFlags, 10);
  return b;
}

/** INFO_NAME and INFO_DESCRIPTION: u16 type then the string. */
export function encodeInfoString(type: number, text: string): Buffer {
  const s = Buffer.from(text, 'utf8');
  const b = Buffer.allocUnsafe(2 + s.length);
  b.writeUInt16BE(type, 0);
  s.copy(b, 2);
  return b;
}

export function encodeInfoBlockSize(min: number, preferred: number, max: number): Buffer {
  const b = Buffer.allocUnsafe(14);
  b.writeUInt16BE(Info.BLOCK_SIZE, 0);
  b.writeUInt32BE(min, 2);
  b.writeUInt32BE(preferred, 6);
  b.writeUInt32BE(max, 10);
  return b;
}

/** NBD_REP_SERVER data: u32 name length, name, then the description. */
export function encodeServerEntry(name: string, description: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  const d = Buffer.from(description, 'utf8');
  const b = Buffer.allocUnsafe(4 + n.length + d.length);
  b.writeUInt32BE(n.length, 0);
  n.copy(b, 4);
  d.copy(b, 4 + n.length);
  return b;
}

/** Reply to NBD_OPT_EXPORT_NAME: u64 size, u16 transmission flags, 124 zeroes unless NO_ZEROES. */
export function encodeExportNameReply(size: number, transmissionFlags: number, noZeroes: boolean): Buffer {
  const b = Buffer.alloc(10 + (noZeroes ? 0 : EXPORT_NAME_PADDING));
  b.writeBigUInt64BE(BigInt(size), 0);
  b.writeUInt16BE(transmissionFlags, 8);
  return b;
}

/**
 * A transmission request header. The cookie stays two u32 halves: the server only echoes it,
 * and BigInt work per request would be wasted on the hot path.
 */
export interface RequestHeader {
  magic: number;
  flags: number;
  type: number;
  cookieHi: number;
  cookieLo: number;
  offset: number; // exact below 2^53; larger offsets are out of range anyway
  length: number;
}

export function decodeRequestHeader(b: Buffer, at: number, into: RequestHeader): RequestHeader {
  into.magic = b.readUInt32BE(at);
  into.flags = b.readUInt16BE(at + 4);
  into.type = b.readUInt16BE(at + 6);
  into.cookieHi = b.readUInt32BE(at + 8);
  into.cookieLo = b.readUInt32BE(at + 12);
  into.offset = b.readUInt32BE(at + 16) * 0x100000000 + b.readUInt32BE(at + 20);
  into.length = b.readUInt32BE(at + 24);
  return into;
}

export function encodeRequest(type: number, flags: number, cookie: bigint, offset: number, length: number, payload?: Buffer): Buffer {
  const b = Buffer.allocUnsafe(REQUEST_HEADER_SIZE + (payload?.length ?? 0));
  b.writeUInt32BE(REQUEST_MAGIC, 0);
  b.writeUInt16BE(flags, 4);
  b.writeUInt16BE(type, 6);
  b.writeBigUInt64BE(cookie, 8);
  b.writeBigUInt64BE(BigInt(offset), 16);
  b.writeUInt32BE(length, 24);
  payload?.copy(b, REQUEST_HEADER_SIZE);
  return b;
}

/** Writes a 16-byte simple reply header at `at`. */
export function writeSimpleReply(b: Buffer, at: number, error: number, cookieHi: number, cookieLo: number): void {
  b.writeUInt32BE(SIMPLE_REPLY_MAGIC, at);
  b.writeUInt32BE(error, at + 4);
  b.writeUInt32BE(cookieHi, at + 8);
  b.writeUInt32BE(cookieLo, at + 12);
}

/** Writes a 20-byte structured reply chunk header at `at`. */
export function writeStructuredHeader(
  b: Buffer,
  at: number,
  flags: number,
  type: number,
  cookieHi: number,
  cookieLo: number,
  length: number,
): void {
  b.writeUInt32BE(STRUCTURED_REPLY_MAGIC, at);
  b.writeUInt16BE(flags, at + 4);
  b.writeUInt16BE(type, at + 6);
  b.writeUInt32BE(cookieHi, at + 8);
  b.writeUInt32BE(cookieLo, at + 12);
  b.writeUInt32BE(length, at + 16);
}

/** A whole NBD_REPLY_TYPE_ERROR chunk (with DONE): u32 error, u16 message length, message. */
export function encodeStructuredError(error: number, cookieHi: number, cookieLo: number, message: string): Buffer {
  const m = Buffer.from(message.slice(0, 1024), 'utf8');
  const b = Buffer.allocUnsafe(STRUCTURED_HEADER_SIZE + 6 + m.length);
  writeStructuredHeader(b, 0, ReplyFlag.DONE, ReplyType.ERROR, cookieHi, cookieLo, 6 + m.length);
  b.writeUInt32BE(error, STRUCTURED_HEADER_SIZE);
  b.writeUInt16BE(m.length, STRUCTURED_HEADER_SIZE + 4);
  m.copy(b, STRUCTURED_HEADER_SIZE + 6);
  return b;
}
