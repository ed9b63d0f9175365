// The server side of the fixed newstyle handshake and option haggling. Performance does not
// matter here; correctness and refusing garbage do. Anything malformed ends the connection
// through `fail`; an unknown option gets NBD_REP_ERR_UNSUP and haggling continues.
import type { BlockDevice, ExportRegistry } from '../blockDevice.js';
import {
  ClientFlag,
  HandshakeFlag,
  IHAVEOPT,
  Info,
  MAX_PAYLOAD,
  MIN_BLOCK_SIZE,
  OPTION_HEADER_SIZE,
  Opt,
  PREFERRED_BLOCK_SIZE,
  Rep,
  TransmissionFlag,
  decodeInfoRequest,
  decodeOptionHeader,
  encodeExportNameReply,
  encodeInfoBlockSize,
  encodeInfoExport,
  encodeInfoString,
  encodeOptionReply,
  encodeServerEntry,
  encodeServerGreeting,
} from '../../protocol/nbd.js';

/** Options carry at most a name (<= 4 KiB) and a few info requests; more is garbage. */
export const MAX_OPTION_LENGTH = 64 * 1024;

/** What the handshake hands over to the transmission phase. */
export interface NegotiatedExport {
  name: string;
  device: BlockDevice;
  structuredReplies: boolean;
  transmissionFlags: number;
}

export interface HandshakeCallbacks {
  send(data: Buffer): void;
  /** GO or EXPORT_NAME succeeded; `rest` holds bytes already received after the option. */
  enterTransmission(exp: NegotiatedExport, rest: Buffer): void;
  /** The client aborted (after our ACK) or sent something we cannot continue from. */
  fail(reason: string): void;
  abort(): void;
}

/** Transmission flags for a device, computed at GO time (writability can change later). */
export function transmissionFlagsFor(device: BlockDevice, structuredReplies: boolean): number {
  let flags =
    TransmissionFlag.HAS_FLAGS |
    TransmissionFlag.SEND_FLUSH |
    TransmissionFlag.SEND_FUA |
    TransmissionFlag.SEND_TRIM |
    TransmissionFlag.SEND_WRITE_ZEROES |
    TransmissionFlag.SEND_FAST_ZERO;
  if (device.readOnly) flags |= TransmissionFlag.READ_ONLY;
  // Every READ gets exactly one data chunk, so "don't fragment" is always honoured.
  if (structuredReplies) flags |= TransmissionFlag.SEND_DF;
  // Multi-conn is only safe when a flush on one connection covers writes made on the others;
  // devices that guarantee it say so (a file does: fdatasync covers the whole file).
  if ((device as { flushCoversAllConnections?: boolean }).flushCoversAllConnections === true) flags |= TransmissionFlag.CAN_MULTI_CONN;
  return flags;
}

type Step = 'clientFlags' | 'optionHeader' | 'optionData' | 'done';

export class Handshake {
  private buffered: Buffer = Buffer.alloc(0);
  private step: Step = 'clientFlags';
  private noZeroes = false;
  private structuredReplies = false;
  private option = 0;
  private optionLength = 0;

  constructor(
    private readonly registry: ExportRegistry,
    private readonly cb: HandshakeCallbacks,
  ) {
    cb.send(encodeServerGreeting(HandshakeFlag.FIXED_NEWSTYLE | HandshakeFlag.NO_ZEROES));
  }

  push(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.step !== 'done') {
      const need = this.step === 'clientFlags' ? 4 : this.step === 'optionHeader' ? OPTION_HEADER_SIZE : this.optionLength;
      if (this.buffered.length < need) return;
      const data = this.buffered.subarray(0, need);
      this.buffered = this.buffered.subarray(need);
      this.consume(data);
    }
  }

  private consume(data: Buffer): void {
    if (this.step === 'clientFlags') {
      const flags = data.readUInt32BE(0);
      if ((flags & ~(ClientFlag.C_FIXED_NEWSTYLE | ClientFlag.C_NO_ZEROES)) !== 0) return this.stop(`unknown client flags 0x${flags.toString(16)}`);
      this.noZeroes = (flags & ClientFlag.C_NO_ZEROES) !== 0;
      this.step = 'optionHeader';
      return;
    }
    if (this.step === 'optionHeader') {
      const h = decodeOptionHeader(data);
      if (h.magic !== IHAVEOPT) return this.stop('bad option magic');
      if (h.length > MAX_OPTION_LENGTH) return this.stop(`option ${h.option} length ${h.length} is too large`);
      this.option = h.option;
      this.optionLength = h.length;
      this.step = 'optionData';
      if (h.length > 0) return;
      data = Buffer.alloc(0);
    }
    this.step = 'optionHeader';
    this.handleOption(this.option, data);
  }

  private stop(reason: string): void {
    this.step = 'done';
    this.cb.fail(reason);
  }

  private reply(type: number, data?: Buffer): void {
    this.cb.send(encodeOptionReply(this.option, type, data));
  }

  private error(type: number, message: string): void {
    this.reply(type, Buffer.from(message, 'utf8'));
  }

  private handleOption(option: number, data: Buffer): void {
    switch (option) {
      case Opt.EXPORT_NAME:
        return this.exportName(data.toString('utf8'));
      case Opt.ABORT:
        this.reply(Rep.ACK);
        this.step = 'done';
        return this.cb.abort();
      case Opt.LIST:
        if (data.length !== 0) return this.error(Rep.ERR_INVALID, 'LIST takes no data');
        for (const e of this.registry.list()) this.reply(Rep.SERVER, encodeServerEntry(e.name, e.description));
        return this.reply(Rep.ACK);
      case Opt.STRUCTURED_REPLY:
        if (data.length !== 0) return this.error(Rep.ERR_INVALID, 'STRUCTURED_REPLY takes no data');
        this.structuredReplies = true;
        return this.reply(Rep.ACK);
      case Opt.INFO:
      case Opt.GO:
        return this.infoOrGo(option === Opt.GO, data);
      default:
        return this.error(Rep.ERR_UNSUP, `option ${option} is not supported`);
    }
  }

  private infoOrGo(go: boolean, data: Buffer): void {
    const req = decodeInfoRequest(data);
    if (!req) return this.error(Rep.ERR_INVALID, 'malformed INFO/GO request');
    const entry = this.registry.get(req.name);
    if (!entry) return this.error(Rep.ERR_UNKNOWN, `no export named "${req.name}"`);
    const flags = transmissionFlagsFor(entry.device, this.structuredReplies);
    this.reply(Rep.INFO, encodeInfoExport(entry.device.size, flags));
    if (req.infos.includes(Info.NAME)) this.reply(Rep.INFO, encodeInfoString(Info.NAME, req.name));
    if (req.infos.includes(Info.DESCRIPTION) && entry.description !== '') this.reply(Rep.INFO, encodeInfoString(Info.DESCRIPTION, entry.description));
    if (req.infos.includes(Info.BLOCK_SIZE)) this.reply(Rep.INFO, encodeInfoBlockSize(MIN_BLOCK_SIZE, PREFERRED_BLOCK_SIZE, MAX_PAYLOAD));
    this.reply(Rep.ACK);
    if (go) this.finish(req.name, entry.device, flags);
  }

  private exportName(name: string): void {
    const entry = this.registry.get(name);
    // EXPORT_NAME cannot carry an error: the protocol says to close.
    if (!entry) return this.stop(`EXPORT_NAME for unknown export "${name}"`);
    const flags = transmissionFlagsFor(entry.device, this.structuredReplies);
    this.cb.send(encodeExportNameReply(entry.device.size, flags, this.noZeroes));
    this.finish(name, entry.device, flags);
  }

  private finish(name: string, device: BlockDevice, transmissionFlags: number): void {
    this.step = 'done';
    const rest = this.buffered;
    this.buffered = Buffer.alloc(0);
    this.cb.enterTransmission({ name, device, structuredReplies: this.structuredReplies, transmissionFlags }, rest);
  }
}
