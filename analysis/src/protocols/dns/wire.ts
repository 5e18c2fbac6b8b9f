// DNS wire format helpers: bounded name decoding (with compression), and names of query types, classes and rcodes.

/** Longest presentation name we build (RFC 1035 caps wire names at 255 bytes). */
const MAX_NAME_WIRE = 255;
/** Compression pointers followed per name: every valid pointer goes backwards, so this only stops hostile loops. */
const MAX_POINTERS = 64;

export interface DecodedName {
  /** Presentation form without the trailing dot ('.' for the root). */
  name: string;
  /** Offset just after the name in the record that holds it (after the first pointer when compressed). */
  end: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Printable ASCII as is, valid UTF-8 decoded (IDN-less internationalised names, as tshark shows them); dots,
 * backslashes and any other bytes escaped like dig does (`\.`, `\\`, `\DDD`).
 */
function labelText(buf: Buffer, start: number, len: number): string {
  let plain = true;
  let high = false;
  for (let i = start; i < start + len; i++) {
    const c = buf[i];
    if (c >= 0x80) high = true;
    else if (c <= 0x20 || c === 0x7f || c === 0x2e || c === 0x5c) plain = false;
  }
  if (plain && !high) return buf.toString('latin1', start, start + len);
  if (plain) {
    try {
      return utf8.decode(buf.subarray(start, start + len));
    } catch {
      // not UTF-8: escape byte by byte below
    }
  }
  let s = '';
  for (let i = start; i < start + len; i++) {
    const c = buf[i];
    if (c === 0x2e || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c > 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\' + String(c).padStart(3, '0');
  }
  return s;
}

/**
 * Decodes the name at `offset` of the whole message `buf`. Returns null when it is malformed: runs past the
 * buffer, uses a reserved label type, points forwards or at itself, or exceeds 255 bytes.
 */
export function decodeName(buf: Buffer, offset: number): DecodedName | null {
  let pos = offset;
  let end = -1;
  let wire = 0;
  let pointers = 0;
  let name = '';
  for (;;) {
    if (pos >= buf.length) return null;
    const len = buf[pos];
    if (len === 0) {
      wire += 1;
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= buf.length) return null;
      const target = ((len & 0x3f) << 8) | buf[pos + 1];
      // Only backwards pointers: the target must start before this label, which also rules out loops.
      if (target >= pos || ++pointers > MAX_POINTERS) return null;
      if (end < 0) end = pos + 2;
      pos = target;
      continue;
    }
    if (kind !== 0) return null; // 0x40 / 0x80: extended or reserved label types (RFC 6891 deprecated them)
    wire += len + 1;
    if (wire + 1 > MAX_NAME_WIRE || pos + 1 + len > buf.length) return null;
    name += (name.length > 0 ? '.' : '') + labelText(buf, pos + 1, len);
    pos += 1 + len;
  }
  return { name: name.length > 0 ? name : '.', end };
}

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS',
  12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB', 24: 'SIG', 25: 'KEY',
  28: 'AAAA', 29: 'LOC', 33: 'SRV', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 39: 'DNAME', 41: 'OPT', 42: 'APL',
  43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3',
  51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY',
  62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 108: 'EUI48', 109: 'EUI64', 249: 'TKEY',
  250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: 'ANY', 256: 'URI', 257: 'CAA',
  32768: 'TA', 32769: 'DLV',
};

/** Query / record type mnemonic, or the number as text for unassigned ones. */
export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? String(t);
}

const RCODE_NAMES: Record<number, string> = {
  0: 'NoError', 1: 'FormErr', 2: 'ServFail', 3: 'NXDomain', 4: 'NotImp', 5: 'Refused', 6: 'YXDomain',
  7: 'YXRRSet', 8: 'NXRRSet', 9: 'NotAuth', 10: 'NotZone', 11: 'DSOTYPENI',
};

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

const OPCODE_NAMES: Record<number, string> = { 0: 'QUERY', 1: 'IQUERY', 2: 'STATUS', 4: 'NOTIFY', 5: 'UPDATE', 6: 'DSO' };

export function opcodeName(op: number): string {
  return OPCODE_NAMES[op] ?? String(op);
}

/** IPv6 text in RFC 5952 form (longest zero run compressed, lower-case). */
export function ipv6Text(buf: Buffer, off: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(off + i * 2));
  let bestStart = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number[]): string => a.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}
