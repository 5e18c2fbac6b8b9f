// Hand-written HPACK decoder (RFC 7541) with a persistent, bounded dynamic table and tolerant of table misses.
// Why not hpack.js: its Decompressor is a stream that asserts (throws) mid-block and leaves its table half-updated,
// and it cannot report a dynamic-table miss (mid-stream captures) while keeping the rest of the block.
import { HUFFMAN_CODES, STATIC_TABLE } from './hpack-tables.js';

/** Upper bound of the dynamic table size we honour, whatever a size update asks (memory bound per direction). */
export const MAX_TABLE_SIZE = 65536;
/** A header name/value longer than this is a corrupt block (the whole block is capped at 64 KiB anyway). */
const MAX_STRING = 65536;

export interface HpackDecoder {
  /** Newest first, as HPACK indexes them (dynamic index 62 = entries[0]). */
  entries: [string, string][];
  size: number;
  maxSize: number;
}

export interface HpackResult {
  headers: [string, string][];
  /** Indexes that pointed past our dynamic table (capture started mid-connection). */
  misses: number;
  /** Structural error: the block was cut short here (headers holds what came before). */
  error?: string;
}

export function newDecoder(): HpackDecoder {
  return { entries: [], size: 0, maxSize: 4096 };
}

// Huffman decoding trie: node i has children at trie[2i] (bit 0) and trie[2i+1] (bit 1); a value < 0 is the leaf
// -(symbol + 1), 0 means "no child".
const trie = buildTrie();

function buildTrie(): Int32Array {
  const t = new Int32Array(2 * 600);
  let next = 1;
  for (let sym = 0; sym <= 256; sym++) {
    const bits = HUFFMAN_CODES[2 * sym];
    const code = HUFFMAN_CODES[2 * sym + 1];
    let node = 0;
    for (let b = bits - 1; b >= 0; b--) {
      const bit = Math.floor(code / 2 ** b) % 2;
      const slot = 2 * node + bit;
      if (b === 0) {
        t[slot] = -(sym + 1);
      } else {
        if (t[slot] === 0) t[slot] = next++;
        node = t[slot];
      }
    }
  }
  return t;
}

/** Decodes a Huffman string; undefined on EOS inside, an invalid code or bad padding (RFC 7541 §5.2). */
export function huffmanDecode(buf: Buffer, start: number, end: number): string | undefined {
  const out: number[] = [];
  let node = 0;
  let depth = 0; // bits consumed since the last symbol
  let allOnes = true;
  for (let i = start; i < end; i++) {
    const byte = buf[i];
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const child = trie[2 * node + bit];
      if (child === 0) return undefined;
      depth++;
      if (bit === 0) allOnes = false;
      if (child < 0) {
        const sym = -child - 1;
        if (sym === 256) return undefined;
        out.push(sym);
        node = 0;
        depth = 0;
        allOnes = true;
      } else {
        node = child;
      }
    }
  }
  if (depth > 7 || !allOnes) return undefined;
  return Buffer.from(out).toString('latin1');
}

interface Cursor {
  pos: number;
}

/** Prefix integer (§5.1); undefined when truncated or absurdly large. */
function readInt(buf: Buffer, c: Cursor, prefixBits: number): number | undefined {
  if (c.pos >= buf.length) return undefined;
  const mask = (1 << prefixBits) - 1;
  let v = buf[c.pos++] & mask;
  if (v < mask) return v;
  let shift = 0;
  while (true) {
    if (c.pos >= buf.length || shift > 21) return undefined;
    const b = buf[c.pos++];
    v += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return v;
  }
}

function readString(buf: Buffer, c: Cursor): string | undefined {
  if (c.pos >= buf.length) return undefined;
  const huff = (buf[c.pos] & 0x80) !== 0;
  const len = readInt(buf, c, 7);
  if (len === undefined || len > MAX_STRING || c.pos + len > buf.length) return undefined;
  const start = c.pos;
  c.pos += len;
  return huff ? huffmanDecode(buf, start, start + len) : buf.toString('latin1', start, start + len);
}

function evict(d: HpackDecoder): void {
  while (d.size > d.maxSize && d.entries.length > 0) {
    const e = d.entries.pop();
    if (e) d.size -= 32 + e[0].length + e[1].length;
  }
}

function insert(d: HpackDecoder, name: string, value: string): void {
  const sz = 32 + name.length + value.length;
  if (sz > d.maxSize) {
    d.entries.length = 0;
    d.size = 0;
    return;
  }
  d.entries.unshift([name, value]);
  d.size += sz;
  evict(d);
}

/** undefined = a dynamic index we never saw (a miss), null = out of any range. */
function lookup(d: HpackDecoder, index: number): readonly [string, string] | undefined | null {
  if (index === 0) return null;
  if (index < STATIC_TABLE.length) return STATIC_TABLE[index];
  const e = d.entries[index - STATIC_TABLE.length];
  return e ?? undefined;
}

/** Decodes one complete header block, updating the dynamic table. Never throws. */
export function decodeBlock(d: HpackDecoder, block: Buffer): HpackResult {
  const headers: [string, string][] = [];
  let misses = 0;
  const c: Cursor = { pos: 0 };
  const fail = (error: string): HpackResult => ({ headers, misses, error });
  while (c.pos < block.length) {
    const b = block[c.pos];
    if (b & 0x80) {
      const idx = readInt(block, c, 7);
      if (idx === undefined) return fail('hpack: truncated index');
      const e = lookup(d, idx);
      if (e === null) return fail('hpack: index 0');
      if (e === undefined) misses++;
      else headers.push([e[0], e[1]]);
    } else if ((b & 0xe0) === 0x20) {
      const size = readInt(block, c, 5);
      if (size === undefined) return fail('hpack: truncated size update');
      d.maxSize = Math.min(size, MAX_TABLE_SIZE);
      evict(d);
    } else {
      const incremental = (b & 0xc0) === 0x40;
      const idx = readInt(block, c, incremental ? 6 : 4);
      if (idx === undefined) return fail('hpack: truncated literal');
      let name: string | undefined;
      if (idx === 0) {
        name = readString(block, c);
        if (name === undefined) return fail('hpack: bad name string');
      } else {
        const e = lookup(d, idx);
        if (e === null) return fail('hpack: index 0');
        if (e === undefined) misses++;
        name = e?.[0];
      }
      const value = readString(block, c);
      if (value === undefined) return fail('hpack: bad value string');
      // A missed name still takes a table slot so later indexes stay aligned (its size is a guess).
      if (incremental) insert(d, name ?? '', value);
      if (name !== undefined) headers.push([name, value]);
    }
  }
  return { headers, misses };
}
