// Test support: a tiny hessian2 encoder (strings, null, ints, maps) and Dubbo 2 frame builder, per the specs.
/** hessian2 string: 0x00–0x1f short (len in tag), 0x30–0x33 + 1 byte (len < 1024), else 'S' + u16 len (final chunk). */
export function hstr(s: string | null): Buffer {
  if (s === null) return Buffer.from('N');
  const body = Buffer.from(s, 'utf8');
  const n = s.length; // UTF-16 units, as hessian counts
  if (n <= 0x1f) return Buffer.concat([Buffer.from([n]), body]);
  if (n < 1024) return Buffer.concat([Buffer.from([0x30 + (n >> 8), n & 0xff]), body]);
  if (n > 0xffff) throw new Error('hstr: use chunks');
  return Buffer.concat([Buffer.from([0x53, n >> 8, n & 0xff]), body]);
}

/** hessian2 int in the single-byte range -16..47: 0x90 + v. */
export function hint(v: number): Buffer {
  return Buffer.from([0x90 + v]);
}

/** Untyped map 'H' k v … 'Z' with string keys/values. */
export function hmap(entries: [string, string | null][]): Buffer {
  return Buffer.concat([Buffer.from('H'), ...entries.flatMap(([k, v]) => [hstr(k), hstr(v)]), Buffer.from('Z')]);
}

export interface HeaderOpts {
  request: boolean;
  twoWay?: boolean;
  event?: boolean;
  serialization?: number;
  status?: number;
  id: bigint | number;
}

/** 16-byte header: magic 0xdabb, flag (req 0x80 | twoWay 0x40 | event 0x20 | serialization), status, id u64, len u32. */
export function dubboFrame(h: HeaderOpts, body: Buffer): Buffer {
  const hdr = Buffer.alloc(16);
  hdr.writeUInt16BE(0xdabb, 0);
  hdr[2] = (h.request ? 0x80 : 0) | (h.twoWay ? 0x40 : 0) | (h.event ? 0x20 : 0) | (h.serialization ?? 2);
  hdr[3] = h.status ?? 0;
  hdr.writeBigUInt64BE(BigInt(h.id), 4);
  hdr.writeUInt32BE(body.length, 12);
  return Buffer.concat([hdr, body]);
}

/** Request body: dubbo version, service path, service version, method, parameter types, args, attachments. */
export function requestBody(service: string, method: string, args: Buffer[], attachments: [string, string | null][], types = 'Ljava/lang/String;'): Buffer {
  return Buffer.concat([hstr('2.0.2'), hstr(service), hstr('1.0.0'), hstr(method), hstr(types), ...args, hmap(attachments)]);
}
