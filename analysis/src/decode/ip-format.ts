// IP address text formatting (IPv4 dotted quad, IPv6 RFC 5952) behind small direct-mapped caches, since addresses repeat.

/** Formats an IPv4 address given as a 32-bit integer (any sign) in dotted-quad form. */
export function formatIpv4(addr: number): string {
  return (addr >>> 24) + '.' + ((addr >>> 16) & 0xff) + '.' + ((addr >>> 8) & 0xff) + '.' + (addr & 0xff);
}

/**
 * Formats the 16 bytes at buf[off..off+16) as an IPv6 address, RFC 5952: lowercase hex, no leading zeros,
 * the longest run (first on ties) of two or more zero groups shortened to '::', and IPv4-mapped (::ffff:a.b.c.d)
 * and IPv4-compatible (::a.b.c.d) addresses with a dotted quad, exactly as tshark prints them.
 */
export function formatIpv6(buf: Uint8Array, off: number): string {
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let i = 0; i < 8; i++) groups[i] = (buf[off + 2 * i] << 8) | buf[off + 2 * i + 1];
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const mapped =
    groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff;
  if (mapped) return '::ffff:' + buf[off + 12] + '.' + buf[off + 13] + '.' + buf[off + 14] + '.' + buf[off + 15];
  // IPv4-compatible (::a.b.c.d, exactly six leading zero groups): dotted like inet_ntop and tshark; ::1, ::2 stay hex.
  if (bestStart === 0 && bestLen === 6) return '::' + buf[off + 12] + '.' + buf[off + 13] + '.' + buf[off + 14] + '.' + buf[off + 15];
  if (bestStart < 0) return hexJoin(groups, 0, 8);
  return hexJoin(groups, 0, bestStart) + '::' + hexJoin(groups, bestStart + bestLen, 8);
}

function hexJoin(groups: number[], from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += (i === from ? '' : ':') + groups[i].toString(16);
  return s;
}

/**
 * Direct-mapped cache of IPv4 strings: a miss overwrites its slot, so memory stays bounded and a hit costs a
 * multiply, two array reads and a compare (cheaper than a Map, and no eviction bookkeeping).
 */
export class Ipv4TextCache {
  private readonly keys: Int32Array;
  private readonly values: (string | undefined)[];
  private readonly shift: number;

  /** 2^bits slots; the default 65536 (~0.8 MB) keeps big captures' working sets mostly hitting. */
  constructor(bits = 16) {
    this.keys = new Int32Array(1 << bits);
    this.values = new Array<string | undefined>(1 << bits).fill(undefined);
    this.shift = 32 - bits;
  }

  /** `addr` is the address as a signed 32-bit integer (b0 << 24 | b1 << 16 | b2 << 8 | b3). */
  text(addr: number): string {
    const slot = Math.imul(addr, 0x9e3779b1) >>> this.shift;
    const cached = this.values[slot];
    if (cached !== undefined && this.keys[slot] === addr) return cached;
    const s = formatIpv4(addr);
    this.keys[slot] = addr;
    this.values[slot] = s;
    return s;
  }
}

/** Direct-mapped cache of IPv6 strings keyed by the four 32-bit words of the address. */
export class Ipv6TextCache {
  /** Hash of the address formatted last (callers reuse it instead of hashing the text). */
  lastHash = 0;
  private readonly keys: Int32Array;
  private readonly values: (string | undefined)[];
  private readonly shift: number;

  /** 2^bits slots; the default 16384 (~0.4 MB). */
  constructor(bits = 14) {
    this.keys = new Int32Array(4 << bits);
    this.values = new Array<string | undefined>(1 << bits).fill(undefined);
    this.shift = 32 - bits;
  }

  text(buf: Uint8Array, off: number): string {
    const w0 = (buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3];
    const w1 = (buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7];
    const w2 = (buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11];
    const w3 = (buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15];
    const h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1);
    this.lastHash = h;
    const slot = h >>> this.shift;
    const k = slot << 2;
    const cached = this.values[slot];
    const keys = this.keys;
    if (cached !== undefined && keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) {
      return cached;
    }
    const s = formatIpv6(buf, off);
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    this.values[slot] = s;
    return s;
  }
}
