// Text <-> bytes for the addresses of name resolution records and exported-PDU tags (IPv4, IPv6, EUI).

/** Dotted quad from 4 bytes. */
export function formatIpv4(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text from 16 bytes: lower-case, longest run of two or more zero groups as '::'. */
export function formatIpv6(b: Buffer): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Colon-separated lower-case hex (EUI-48 / EUI-64). */
export function formatEui(b: Buffer): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** 4 bytes from a dotted quad; throws on malformed text (writer input is trusted code, so this is a bug). */
export function parseIpv4(text: string): Buffer {
  const parts = text.split('.');
  if (parts.length !== 4) throw new Error(`not an IPv4 address: ${text}`);
  const out = Buffer.alloc(4);
  parts.forEach((p, i) => {
    const n = Number(p);
    if (!/^\d{1,3}$/.test(p) || n > 255) throw new Error(`not an IPv4 address: ${text}`);
    out[i] = n;
  });
  return out;
}

/** 16 bytes from IPv6 text (with '::' and an optional embedded IPv4 tail). */
export function parseIpv6(text: string): Buffer {
  const bad = (): never => {
    throw new Error(`not an IPv6 address: ${text}`);
  };
  let s = text;
  const lastColon = s.lastIndexOf(':');
  if (lastColon >= 0 && s.includes('.', lastColon)) {
    // Embedded IPv4 tail (::ffff:10.0.0.1): rewrite it as two hex groups.
    const v4 = parseIpv4(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const parse = (h: string): number[] => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : bad())));
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  let groups: number[];
  if (halves.length === 2) {
    if (head.length + rest.length > 7) bad();
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    groups = head;
    if (groups.length !== 8) bad();
  }
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

/** Bytes of a colon- or dash-separated EUI-48/EUI-64. */
export function parseEui(text: string): Buffer {
  const parts = text.split(/[:-]/);
  if ((parts.length !== 6 && parts.length !== 8) || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new Error(`not an EUI-48/EUI-64 address: ${text}`);
  }
  return Buffer.from(parts.join(''), 'hex');
}
