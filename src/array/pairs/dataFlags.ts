// Flags of replicated data frames on the peer link (channel = pair name).
export const DataFlag = {
  /** Durable on the S side before the acknowledgement (host FUA). */
  FUA: 1,
  /** Payload is an 8-byte big-endian length: write that many zeroes at offset (TRIM/WRITE_ZEROES). */
  ZEROES: 2,
  /** Initial copy / resync data (not a host write). */
  COPY: 4,
} as const;

export function zeroesPayload(length: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(length));
  return b;
}
