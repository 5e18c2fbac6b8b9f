// Timestamp units of pcap/pcapng (if_tsresol, if_tsoffset) and exact conversions to microseconds + sub-µs ns.

/** Units per second for an if_tsresol byte: high bit clear = 10^-n, set = 2^-(n & 0x7f). */
export function tsresolUnits(tsresol: number): bigint {
  const n = tsresol & 0x7f;
  return (tsresol & 0x80) === 0 ? 10n ** BigInt(n) : 1n << BigInt(n);
}

/** How the reader converts a 64-bit timestamp of an interface; the first two avoid BigInt on the hot path. */
export const TsKind = { MICRO: 0, NANO: 1, GENERIC: 2 } as const;
export type TsKindValue = (typeof TsKind)[keyof typeof TsKind];

export function tsKindOf(units: bigint): TsKindValue {
  if (units === 1_000_000n) return TsKind.MICRO;
  if (units === 1_000_000_000n) return TsKind.NANO;
  return TsKind.GENERIC;
}

/** Output of a conversion; one instance is reused by the reader. */
export interface SplitTs {
  us: number;
  subUsNs: number;
}

/**
 * Converts (high, low) in `units` per second to whole microseconds plus the sub-µs remainder in ns.
 * The nanosecond case splits 2^32 = 1000 * 4294967 + 296 so that every intermediate stays below 2^53
 * and the result is exact without BigInt.
 */
export function splitTimestamp(high: number, low: number, kind: TsKindValue, units: bigint, out: SplitTs): void {
  if (kind === TsKind.MICRO) {
    out.us = high * 4294967296 + low;
    out.subUsNs = 0;
  } else if (kind === TsKind.NANO) {
    const r = high * 296 + low;
    const q = Math.floor(r / 1000);
    out.us = high * 4294967 + q;
    out.subUsNs = r - q * 1000;
  } else {
    const total = (BigInt(high) << 32n) | BigInt(low);
    const ns = (total * 1_000_000_000n) / units;
    out.us = Number(ns / 1000n);
    out.subUsNs = Number(ns % 1000n);
  }
}

/** Splits an epoch timestamp given as bigint ns or number µs into (high, low) words in `units` per second. */
export function toTimestampWords(ts: bigint | number, units: bigint): [number, number] {
  if (typeof ts === 'number' && units === 1_000_000_000n && Number.isInteger(ts) && ts >= 0) {
    // µs → ns without BigInt: split µs into 2^32 words first so every product stays exact.
    const usHi = Math.floor(ts / 4294967296);
    const usLo = ts - usHi * 4294967296;
    const loNs = usLo * 1000;
    const carry = Math.floor(loNs / 4294967296);
    return [usHi * 1000 + carry, loNs - carry * 4294967296];
  }
  if (typeof ts === 'number' && units === 1_000_000n && Number.isInteger(ts) && ts >= 0) {
    const hi = Math.floor(ts / 4294967296);
    return [hi, ts - hi * 4294967296];
  }
  if (typeof ts === 'bigint' && units === 1_000_000_000n && ts >= 0n) {
    return [Number(ts >> 32n), Number(ts & 0xffffffffn)];
  }
  const ns = typeof ts === 'bigint' ? ts : BigInt(Math.floor(ts)) * 1000n + BigInt(Math.round((ts - Math.floor(ts)) * 1000));
  const v = (ns * units) / 1_000_000_000n;
  const clamped = v < 0n ? 0n : v & 0xffffffffffffffffn;
  return [Number(clamped >> 32n), Number(clamped & 0xffffffffn)];
}
