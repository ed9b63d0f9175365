// Volume sizes as operators write them: "64M", "1G", "512K", "4096" (bytes). Binary units.

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export class SizeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SizeError';
  }
}

/** Parse a size into bytes; must be a positive multiple of 512 (one sector). */
export function parseSize(input: number | string): number {
  let bytes: number;
  if (typeof input === 'number') {
    bytes = input;
  } else {
    const m = /^\s*(\d+)\s*(?:([KMGT])(?:i?B)?|B)?\s*$/i.exec(input);
    if (!m) throw new SizeError(`size "${input}" is not a number with an optional unit K, M, G or T`);
    bytes = Number(m[1]) * UNITS[(m[2] ?? '').toUpperCase()];
  }
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new SizeError(`size ${String(input)} must be a positive whole number of bytes`);
  if (bytes % 512 !== 0) throw new SizeError(`size ${String(input)} (${bytes} bytes) is not a multiple of 512`);
  return bytes;
}

/** Render bytes the way parseSize reads them, using the largest exact unit. */
export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K'] as const) {
    if (bytes >= UNITS[unit] && bytes % UNITS[unit] === 0) return `${bytes / UNITS[unit]}${unit}`;
  }
  return String(bytes);
}
