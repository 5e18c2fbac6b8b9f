// Test helper: a tiny big-endian encoder for building Kafka messages (classic encodings only).
export class Enc {
  private parts: Buffer[] = [];
  i8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    this.parts.push(b);
    return this;
  }
  i16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  i64(v: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  /** Nullable string with i16 length. */
  str(s: string | null): this {
    if (s === null) return this.i16(-1);
    this.i16(Buffer.byteLength(s));
    this.parts.push(Buffer.from(s));
    return this;
  }
  /** Unsigned varint (compact lengths, tagged field counts). */
  uvarint(v: number): this {
    const out: number[] = [];
    while (v >= 0x80) {
      out.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    out.push(v);
    this.parts.push(Buffer.from(out));
    return this;
  }
  /** Compact nullable string (length + 1). */
  cstr(s: string | null): this {
    if (s === null) return this.uvarint(0);
    this.uvarint(Buffer.byteLength(s) + 1);
    this.parts.push(Buffer.from(s));
    return this;
  }
  /** Compact array length (n + 1; -1 = null). */
  carr(n: number): this {
    return this.uvarint(n + 1);
  }
  /** Empty tagged fields section. */
  tags(): this {
    return this.uvarint(0);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** The message with its i32 size prefix. */
  message(): Buffer {
    const body = Buffer.concat(this.parts);
    const size = Buffer.alloc(4);
    size.writeInt32BE(body.length);
    return Buffer.concat([size, body]);
  }
}

/** Request header v1: api key, version, correlation id, client id. */
export function request(key: number, version: number, corr: number, clientId: string | null = 'rewind'): Enc {
  return new Enc().i16(key).i16(version).i32(corr).str(clientId);
}

/** Response header v0: correlation id. */
export function response(corr: number): Enc {
  return new Enc().i32(corr);
}

/** Zigzag varint as used inside records. */
function varint(v: number): Buffer {
  let z = v >= 0 ? v * 2 : -v * 2 - 1;
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z & 0x7f) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return Buffer.from(out);
}

/** A v2 record batch holding one uncompressed record (no key) with `value` and `headers` (CRC left 0). */
export function recordBatch(value: string, headers: [string, string][] = []): Buffer {
  const h: Buffer[] = [varint(headers.length)];
  for (const [k, v] of headers) h.push(varint(Buffer.byteLength(k)), Buffer.from(k), varint(Buffer.byteLength(v)), Buffer.from(v));
  const body = Buffer.concat([Buffer.from([0]), varint(0), varint(0), varint(-1), varint(Buffer.byteLength(value)), Buffer.from(value), ...h]);
  const record = Buffer.concat([varint(body.length), body]);
  const afterLength = new Enc().i32(0).i8(2).i32(0).i16(0).i32(0).i64(1700000000000).i64(1700000000000).i64(-1).i16(-1).i32(-1).i32(1).raw(record).message();
  // message() prefixed the size, which is exactly batchLength: prepend baseOffset.
  return Buffer.concat([Buffer.alloc(8), afterLength]);
}
