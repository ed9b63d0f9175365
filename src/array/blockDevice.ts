// What the NBD server serves: one export = one BlockDevice. A plain volume implements it
// directly; a paired volume (src/array/pairs/) wraps a volume with access rules and remote copy.

/** NBD errno values (NBD protocol "Error values"). */
export const Errno = {
  EPERM: 1,
  EIO: 5,
  ENOMEM: 12,
  EINVAL: 22,
  ENOSPC: 28,
  EOVERFLOW: 75,
  ENOTSUP: 95,
  ESHUTDOWN: 108,
} as const;
export type ErrnoValue = (typeof Errno)[keyof typeof Errno];

/** Thrown (or rejected) by a BlockDevice to make the NBD reply carry this errno. */
export class BlockError extends Error {
  constructor(
    readonly errno: ErrnoValue,
    message: string,
  ) {
    super(message);
    this.name = 'BlockError';
  }
}

/**
 * A block device as the NBD server sees it. Offsets and lengths are already range-checked
 * by the server. Methods may complete synchronously (return undefined) or return a Promise;
 * the server keeps many requests in flight and replies when each completes.
 * A write must not be acknowledged (resolve) before it is as durable as `fua` asks, and
 * flush() must not resolve before every write that already resolved is durable.
 */
export interface BlockDevice {
  readonly size: number;
  /** True when host writes are refused right now (advertised as NBD_FLAG_READ_ONLY at GO). */
  readonly readOnly: boolean;
  /** Fill `into` with `into.length` bytes from `offset`. */
  read(offset: number, into: Buffer): void | Promise<void>;
  write(offset: number, data: Buffer, fua: boolean): void | Promise<void>;
  flush(): void | Promise<void>;
  /** Discard (a hint; may write zeroes or punch a hole). */
  trim(offset: number, length: number, fua: boolean): void | Promise<void>;
  /** Make the range read as zeroes; `mayPunch` false means NBD_CMD_FLAG_NO_HOLE. */
  writeZeroes(offset: number, length: number, fua: boolean, mayPunch: boolean): void | Promise<void>;
}

/** The set of exports an NBD server offers; looked up at GO/INFO/EXPORT_NAME time. */
export interface ExportRegistry {
  list(): { name: string; description: string }[];
  get(name: string): { device: BlockDevice; description: string } | undefined;
}
