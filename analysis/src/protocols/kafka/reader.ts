// Bounds-checked reader of Kafka primitive types (classic and compact/flexible encodings); never throws.

/** Longest string we decode (topic names are ≤ 249 bytes; client ids and group ids are short too). */
const MAX_TEXT = 1024;

/**
 * Reads from `buf` within [pos, end). A read past the end sets `ok` to false and returns a neutral value, so a
 * decoder can run straight through and check `ok` once (a truncated prefix of a large message is normal).
 */
export class Reader {
  ok = true;
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
    /** Flexible version: compact strings/arrays (unsigned varint length + 1) and tagged fields. */
    readonly flexible: boolean,
  ) {}

  private need(n: number): boolean {
    if (!this.ok || n < 0 || this.pos + n > this.end) {
      this.ok = false;
      return false;
    }
    return true;
  }

  skip(n: number): void {
    if (this.need(n)) this.pos += n;
  }

  i8(): number {
    if (!this.need(1)) return 0;
    return this.buf.readInt8(this.pos++);
  }

  i16(): number {
    if (!this.need(2)) return 0;
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    if (!this.need(4)) return 0;
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  /** Unsigned varint (≤ 5 bytes, 32 bits). */
  uvarint(): number {
    let v = 0;
    for (let i = 0; i < 5; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return v;
    }
    this.ok = false;
    return 0;
  }

  /** Zigzag varint (record fields); 64-bit values are read up to 10 bytes but returned as a JS number. */
  varint(): number {
    let v = 0;
    for (let i = 0; i < 10; i++) {
      if (!this.need(1)) return 0;
      const b = this.buf[this.pos++];
      v += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    }
    this.ok = false;
    return 0;
  }

  /** Array length: i32 (-1 = null) or compact uvarint - 1. Null and garbage lengths return -1. */
  arrayLen(): number {
    const n = this.flexible ? this.uvarint() - 1 : this.i32();
    if (!this.ok || n < 0) return -1;
    // Every element takes at least one byte: a count larger than what remains is garbage.
    if (n > this.end - this.pos) {
      this.ok = false;
      return -1;
    }
    return n;
  }

  /** Nullable string (i16 length or compact); returns undefined for null or past the end. */
  str(): string | undefined {
    const n = this.flexible ? this.uvarint() - 1 : this.i16();
    if (!this.ok || n < 0) return undefined;
    if (!this.need(n)) return undefined;
    const s = this.buf.toString('utf8', this.pos, this.pos + Math.min(n, MAX_TEXT));
    this.pos += n;
    return s;
  }

  /** Bytes field (i32 length or compact): returns [start, length] and moves past it; length -1 = null. */
  bytes(): [number, number] {
    const n = this.flexible ? this.uvarint() - 1 : this.i32();
    if (!this.ok || n < 0) return [this.pos, -1];
    const start = this.pos;
    this.skip(n);
    return [start, n];
  }

  uuid(): string {
    if (!this.need(16)) return '';
    const h = this.buf.toString('hex', this.pos, this.pos + 16);
    this.pos += 16;
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  /** Tagged fields section of flexible versions (skipped); a no-op for classic versions. */
  tags(): void {
    if (!this.flexible) return;
    const n = this.uvarint();
    for (let i = 0; i < n && this.ok; i++) {
      this.uvarint();
      this.skip(this.uvarint());
    }
  }
}
