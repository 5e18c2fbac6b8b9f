// SQL functions for addresses, registered on the query connections (the app's views, the SQL console):
//   ip_in_cidr(ip, cidr)  1 when the address is inside the network (10.1.5.0/24, fd00:1::/64), else 0; NULL for NULLs.
// Addresses are stored as text (their canonical form), so prefixes cannot be matched with LIKE for IPv6.
import { parseIpv4, parseIpv6 } from '../bundle/addresses.js';
import type { Db } from '../store/store.js';

/** The address's bytes (4 or 16), or null when it is not an address. */
export function ipBytes(text: string): Buffer | null {
  try {
    return text.includes(':') ? parseIpv6(text.replace(/^\[|\]$/g, '')) : parseIpv4(text);
  } catch {
    return null;
  }
}

export interface Cidr {
  bytes: Buffer;
  bits: number;
}

/** `a.b.c.d/n` or `x::/n` (a bare address is /32 or /128); throws on anything else. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const bytes = ipBytes(addr);
  if (bytes === null) throw new Error(`not a network: ${text}`);
  const max = bytes.length * 8;
  const bits = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max) throw new Error(`bad prefix length in ${text} (0..${max})`);
  return { bytes, bits };
}

export function inCidr(ip: Buffer, net: Cidr): boolean {
  if (ip.length !== net.bytes.length) return false;
  const whole = net.bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== net.bytes[i]) return false;
  const rest = net.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[whole] & mask) === (net.bytes[whole] & mask);
}

/** IPv4 text → 32-bit value without allocating; -1 when it is not dotted-quad IPv4. */
export function ipv4Value(text: string): number {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      v = v * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + part;
}

export function registerIpFunctions(db: Db): void {
  const nets = new Map<string, Cidr | null>();
  db.function('ip_in_cidr', { deterministic: true }, (ip: unknown, cidr: unknown) => {
    if (ip === null || cidr === null || ip === undefined || cidr === undefined) return null;
    const key = String(cidr);
    let net = nets.get(key);
    if (net === undefined) {
      try {
        net = parseCidr(key);
      } catch {
        net = null;
      }
      if (nets.size > 1000) nets.clear();
      nets.set(key, net);
    }
    if (net === null) return 0;
    if (net.bytes.length === 4) {
      // The common case without allocations: IPv4 text against an IPv4 network.
      const x = ipv4Value(String(ip));
      if (x < 0) return 0;
      const shift = 32 - net.bits;
      const n = net.bytes.readUInt32BE(0);
      return net.bits === 0 || Math.floor(x / 2 ** shift) === Math.floor(n / 2 ** shift) ? 1 : 0;
    }
    const b = ipBytes(String(ip));
    return b !== null && inCidr(b, net) ? 1 : 0;
  });
}
