// Packed row batches: the bulk tables' rows travel to the writer thread as one binary buffer per batch, which SQLite
// reads itself through the rewind_rows table-valued function (native/rewind_rows.c, built at npm install).
//
// Why: with value arrays, every batch is copied three times over — V8's serializer on the importing thread, its
// deserializer on the writer thread (an array of ~14k values, a fresh string for each text), then better-sqlite3's
// binding (a UTF-8 copy of every string, one call per value). Replayed l7_flow_log batches of the benchmark capture
// (313,987 rows, 27 columns, 2026-12-02): serializing 380 ms, deserializing 527 ms and inserting 690 ms with value
// arrays, against ~90 ms packing and 418 ms inserting packed (the buffer is transferred, not copied, and comes back
// for reuse). Without the extension (no C compiler at install, Windows) the store hands value arrays over as before;
// both give the same rows.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Value tags of the format (see rewind_rows.c). */
const TAG_NULL = 0;
const TAG_NUMBER = 1;
const TAG_TEXT = 2;
/** The same text as the last text of this column in the batch (the same string object: repeated methods, hosts). */
const TAG_REPEAT = 3;
const TAG_EMPTY = 4;
const HEADER_BYTES = 16;

/** Most values per row the extension reads (its MAX_WIDTH). */
export const PACKED_MAX_WIDTH = 128;

const LIBRARY = `rewind_rows.${process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so'}`;
/** The extension's entry point (sqlite3_<name>_init). */
export const PACKED_ROWS_ENTRY = 'sqlite3_rewindrows_init';

/** Database#loadExtension with its entry point argument (better-sqlite3 takes it; its types do not say so). */
export function loadPackedRows(db: { loadExtension(path: string): unknown }, library: string): void {
  (db.loadExtension as (path: string, entryPoint: string) => unknown).call(db, library, PACKED_ROWS_ENTRY);
}

/**
 * Path of the built extension, or null when it is not there (not built, or switched off with REWIND_PACKED_ROWS=0,
 * which the tests use to compare both paths). Found from dist/store and from src/store alike.
 */
export function packedRowsLibrary(): string | null {
  if (process.env.REWIND_PACKED_ROWS === '0') return null;
  let p = fileURLToPath(new URL(`../../native/build/${LIBRARY}`, import.meta.url));
  // In the packaged desktop app the library is unpacked beside the asar archive (SQLite's dlopen cannot read inside).
  const unpacked = p.replace(/app\.asar([\\/])/, 'app.asar.unpacked$1');
  if (unpacked !== p && existsSync(unpacked)) p = unpacked;
  return existsSync(p) ? p : null;
}

/** `INSERT … (cols) VALUES (?, …)` → `INSERT … (cols) SELECT c0, … FROM rewind_rows(?, width)`; null for another shape. */
export function packedInsertSql(sql: string, width: number): string | null {
  if (!Number.isInteger(width) || width < 1 || width > PACKED_MAX_WIDTH) return null;
  const at = sql.lastIndexOf(' VALUES (');
  if (at < 0 || !/^\((\?, ?)*\?\)$/.test(sql.slice(at + ' VALUES '.length))) return null;
  const cols = Array.from({ length: width }, (_, i) => `c${i}`).join(', ');
  return `${sql.slice(0, at)} SELECT ${cols} FROM rewind_rows(?, ${width})`;
}

type Utf8Write = (this: Buffer, s: string, offset: number) => number;
/** Buffer#utf8Write (Node's fast path under Buffer#write(s, offset, 'utf8')); write() where it is missing. */
const utf8Write: Utf8Write = typeof (Buffer.prototype as unknown as { utf8Write?: Utf8Write }).utf8Write === 'function'
  ? (Buffer.prototype as unknown as { utf8Write: Utf8Write }).utf8Write
  : function write(this: Buffer, s: string, offset: number): number { return this.write(s, offset, 'utf8'); };

/**
 * Buffers kept for reuse. Up to 32 batches may be in flight (bulk-writer.ts); past ten, the others get fresh buffers
 * from time to time: a pool of 40 made no difference to the importing thread's CPU (5 alternating imports).
 */
const POOL_SIZE = 10;
const FIRST_BUFFER_BYTES = 256 * 1024;

/**
 * Packs batches into pooled buffers: each batch's buffer is transferred to the writer thread, which sends it back when
 * the batch is inserted (recycle()). Fresh buffers for every batch cost more than packing saved: ~170 KB each is
 * above malloc's mmap threshold, so each was mapped, faulted in page by page and unmapped (sys time ×2.7, measured).
 */
export class RowPacker {
  private readonly pool: ArrayBuffer[] = [];

  /** A buffer back from the writer thread. */
  recycle(buffer: ArrayBuffer): void {
    if (this.pool.length < POOL_SIZE && buffer.byteLength > 0) this.pool.push(buffer);
  }

  /** Numbers of the batch being packed (copied behind its values at the end). */
  private numbers = new Float64Array(4096);
  /** Per text of the batch: where its length field is (patched when a text is not ASCII). */
  private lengthAt = new Int32Array(4096);
  /** Per column the last string written in full (identity). */
  private last: unknown[] = [];

  /**
   * The `rows` rows of `width` values at the start of `values` packed (a view of a buffer to transfer), or null when
   * a value is not a number, a string or null (the caller hands that batch over as values: better-sqlite3 binds or
   * rejects it then).
   */
  pack(values: readonly unknown[], rows: number, width: number): Uint8Array | null {
    const n = rows * width;
    let buf: Buffer = this.take(FIRST_BUFFER_BYTES);
    if (this.numbers.length < n) {
      this.numbers = new Float64Array(n);
      this.lengthAt = new Int32Array(n);
    }
    const nums = this.numbers;
    const lengthAt = this.lengthAt;
    const last = this.last;
    for (let c = 0; c < width; c++) last[c] = null;
    // The texts are joined and written at once behind the numbers: one UTF-8 conversion per batch instead of one
    // call per text (their lengths are the string lengths while every character is ASCII, checked at the end).
    const texts: string[] = [];
    let chars = 0;
    let k = 0;
    let o = HEADER_BYTES;
    for (let i = 0, c = 0; i < n; i++, c = c + 1 === width ? 0 : c + 1) {
      const x = values[i];
      if (o + 16 > buf.length) buf = this.grow(buf, o, 16);
      if (typeof x === 'number') {
        buf[o++] = TAG_NUMBER;
        nums[k++] = x;
      } else if (x === null || x === undefined) {
        buf[o++] = TAG_NULL;
      } else if (typeof x === 'string') {
        if (x === last[c]) buf[o++] = TAG_REPEAT;
        else if (x.length === 0) buf[o++] = TAG_EMPTY;
        else {
          const len = x.length;
          buf[o] = TAG_TEXT;
          buf[o + 1] = len & 0xff;
          buf[o + 2] = (len >>> 8) & 0xff;
          buf[o + 3] = (len >>> 16) & 0xff;
          buf[o + 4] = len >>> 24;
          lengthAt[texts.length] = o + 1;
          texts.push(x);
          chars += len;
          o += 5;
          last[c] = x;
        }
      } else {
        this.recycle(buf.buffer as ArrayBuffer);
        return null;
      }
    }
    const t = (o + 7) & ~7;
    const textStart = t + k * 8;
    // At most 3 bytes of UTF-8 per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    if (textStart + chars * 3 > buf.length) buf = this.grow(buf, o, textStart + chars * 3 - o);
    buf.set(new Uint8Array(nums.buffer, 0, k * 8), t);
    let textBytes = texts.length === 0 ? 0 : utf8Write.call(buf, texts.join(''), textStart);
    if (textBytes !== chars) {
      // Not all ASCII: each text on its own, with its length in bytes.
      let p = textStart;
      for (let j = 0; j < texts.length; j++) {
        const len = utf8Write.call(buf, texts[j], p);
        buf.writeUInt32LE(len, lengthAt[j]);
        p += len;
      }
      textBytes = p - textStart;
    }
    buf.writeUInt32LE(o, 0);
    buf.writeUInt32LE(k, 4);
    buf.writeUInt32LE(textBytes, 8);
    buf.writeUInt32LE(0, 12);
    return new Uint8Array(buf.buffer, 0, textStart + textBytes);
  }

  private take(min: number): Buffer {
    for (;;) {
      const b = this.pool.pop();
      if (b === undefined) break;
      if (b.byteLength >= min) return Buffer.from(b);
    }
    return Buffer.from(new ArrayBuffer(min));
  }

  private grow(buf: Buffer, used: number, need: number): Buffer {
    const next = Buffer.from(new ArrayBuffer(Math.max(buf.length * 2, used + need + 1024)));
    buf.copy(next, 0, 0, used);
    return next;
  }
}

/**
 * Reads chosen columns of a packed batch back (the writer thread's RED rollup reads five numbers and the endpoint of
 * each l7_flow_log row; packing them once more for it cost the importing thread more than this costs the writer).
 */
export class PackedColumnReader {
  /** Per column: the slot of `out` it goes to, or -1. */
  private readonly slotOf: Int32Array;
  /** Per column: the last text read in full (for its repeats). */
  private readonly lastText: (string | null)[];
  private readonly out: unknown[];

  /** `columns[slot]` = the column read into out[slot]. */
  constructor(private readonly width: number, columns: readonly number[]) {
    this.slotOf = new Int32Array(width).fill(-1);
    columns.forEach((c, slot) => {
      if (!Number.isInteger(c) || c < 0 || c >= width) throw new Error(`packed rows: no column ${c} in rows of ${width}`);
      this.slotOf[c] = slot;
    });
    this.lastText = Array.from({ length: width }, () => null);
    this.out = Array.from({ length: columns.length }, () => null);
  }

  /** Calls visit(out) once per row with the chosen columns' values in their slots; returns the number of rows. */
  read(data: Uint8Array, visit: (out: unknown[]) => void): number {
    const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const width = this.width;
    const slotOf = this.slotOf;
    const last = this.lastText;
    const out = this.out;
    for (let c = 0; c < width; c++) last[c] = null;
    const end = b.readUInt32LE(0);
    const t = (end + 7) & ~7;
    const at = data.byteOffset + t;
    const count = b.readUInt32LE(4);
    const nums = at % 8 === 0 ? new Float64Array(data.buffer, at, count) : new Float64Array(data.buffer.slice(at, at + count * 8));
    let text = t + count * 8;
    let k = 0;
    let rows = 0;
    for (let o = HEADER_BYTES, c = 0; o < end;) {
      const tag = b[o++];
      const slot = slotOf[c];
      if (tag === TAG_NUMBER) {
        if (slot >= 0) out[slot] = nums[k];
        k++;
      } else if (tag === TAG_NULL) {
        if (slot >= 0) out[slot] = null;
      } else if (tag === TAG_TEXT) {
        const len = b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
        if (slot >= 0) {
          const s = b.toString('utf8', text, text + len);
          last[c] = s;
          out[slot] = s;
        }
        text += len;
        o += 4;
      } else if (tag === TAG_REPEAT) {
        if (slot >= 0) out[slot] = last[c];
      } else if (tag === TAG_EMPTY) {
        if (slot >= 0) out[slot] = '';
      } else {
        throw new Error(`packed rows: unknown tag ${tag} at byte ${o - 1}`);
      }
      if (++c === width) {
        c = 0;
        rows++;
        visit(out);
      }
    }
    return rows;
  }
}

/** The values of a packed batch as an array again (tests). */
export function unpackRows(data: Uint8Array, width: number): unknown[] {
  const out: unknown[] = [];
  new PackedColumnReader(width, Array.from({ length: width }, (_, i) => i)).read(data, (v) => out.push(...v));
  return out;
}
