// Bounded, resumable RESP2/RESP3 value scanner: walks one value's wire layout without buffering bulk bodies.

/** One open aggregate: elements still expected, and whether it is a RESP3 attribute map (which prefixes a value). */
export interface Frame {
  left: number;
  attr: boolean;
}

/** A direct element seen by the scanner, kept small: at most TEXT_KEEP bytes of text. */
export interface Item {
  type: string;
  /** Announced length (bulk types) or element count (aggregates); -1 for null. */
  len: number;
  /** Text of simple types and of fully present bulk strings (truncated to TEXT_KEEP bytes). */
  text?: string;
  /** The full text was longer than what `text` holds, or the bulk body was not present. */
  truncated: boolean;
}

/** What the scanner learned about the message's top-level value and its first direct children. */
export interface Summary {
  top?: Item;
  items: Item[];
  /** Direct children beyond the kept `items`. */
  more: number;
  hasAttributes: boolean;
  resp3: boolean;
}

export type ScanOutcome =
  /** The value ended at `end`. */
  | { kind: 'done'; end: number }
  /** Bytes ran out at `end` (a unit boundary; `stack` describes what is still open there). */
  | { kind: 'more'; end: number; bulkLeft: number }
  /** A bulk body longer than what we keep was cut at `end`: `skip` bytes of it (incl. CRLF) remain. */
  | { kind: 'cut'; end: number; skip: number }
  | { kind: 'bad'; end: number; error: string };

export const MAX_LINE = 64 * 1024;
export const MAX_DEPTH = 32;
/** Bulk bodies up to this size are waited for whole; longer ones are cut and skipped. */
export const MAX_HELD_BULK = 8 * 1024;
export const TEXT_KEEP = 96;
export const TOP_TEXT_KEEP = 256;
export const ITEMS_KEEP = 16;
const MAX_LEN = 0x7fffffff;

const SIMPLE = new Set(['+', '-', ':', ',', '#', '_', '(']);
const BLOB = new Set(['$', '!', '=']);
const AGG = new Set(['*', '%', '~', '>', '|']);
const RESP3_TYPES = new Set([',', '#', '_', '(', '!', '=', '%', '~', '>', '|']);

/** True when the byte can start a RESP value. */
export function isRespType(b: number): boolean {
  const c = String.fromCharCode(b);
  return SIMPLE.has(c) || BLOB.has(c) || AGG.has(c);
}

function findCrlf(buf: Buffer, from: number): number {
  const i = buf.indexOf(0x0d, from);
  if (i < 0) return -1;
  if (i + 1 >= buf.length) return -1;
  if (buf[i + 1] !== 0x0a) return -2; // a bare CR inside a line is not RESP
  return i;
}

function parseLen(s: string): number {
  if (!/^-?\d{1,10}$/.test(s)) return NaN;
  const n = Number(s);
  return n > MAX_LEN ? NaN : n;
}

/**
 * Marks one unit complete: decrements open frames, closing the ones that end. A closing attribute frame does not
 * count as an element of its parent (the attribute only prefixes the next value).
 */
function complete(stack: Frame[]): void {
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    top.left--;
    if (top.left > 0) return;
    stack.pop();
    if (top.attr) return;
  }
}

/**
 * Scans units from `pos` while `stack` is non-empty, mutating `stack` only after a unit is fully read (so on 'more'
 * the stack matches `end`). `sum` (optional) collects the top-level value and its direct children.
 */
export function scan(buf: Buffer, pos: number, stack: Frame[], sum: Summary | null): ScanOutcome {
  while (stack.length > 0) {
    if (pos >= buf.length) return { kind: 'more', end: pos, bulkLeft: 0 };
    const t = String.fromCharCode(buf[pos]);
    const eol = findCrlf(buf, pos + 1);
    if (eol === -2) return { kind: 'bad', end: pos, error: 'bare CR in a RESP line' };
    if (eol === -1) {
      if (buf.length - pos > MAX_LINE) return { kind: 'bad', end: pos, error: 'RESP line longer than 64 KiB' };
      return { kind: 'more', end: pos, bulkLeft: 0 };
    }
    if (eol - pos > MAX_LINE) return { kind: 'bad', end: pos, error: 'RESP line longer than 64 KiB' };
    const line = buf.toString('latin1', pos + 1, eol);
    const after = eol + 2;
    const depth = stack.length;
    const parent = stack[depth - 1];
    // Collect the top-level value (depth 1) and the direct children of a top-level aggregate (depth 2, not inside
    // an attribute).
    const collectTop = sum !== null && depth === 1 && t !== '|';
    const collectItem = sum !== null && depth === 2 && !parent.attr && sum.top !== undefined;
    if (sum !== null && RESP3_TYPES.has(t)) sum.resp3 = true;
    if (SIMPLE.has(t)) {
      if (t === ':' || t === '(') {
        if (!/^[+-]?\d{1,}$/.test(line) || line.length > 64) return { kind: 'bad', end: pos, error: `bad RESP ${t === ':' ? 'integer' : 'big number'}` };
      } else if (t === '_') {
        if (line.length !== 0) return { kind: 'bad', end: pos, error: 'bad RESP3 null' };
      } else if (t === '#') {
        if (line !== 't' && line !== 'f') return { kind: 'bad', end: pos, error: 'bad RESP3 boolean' };
      } else if (t === ',') {
        if (line.length === 0 || line.length > 64) return { kind: 'bad', end: pos, error: 'bad RESP3 double' };
      }
      // A top-level line may be an error message: keep more of it.
      const keep = depth === 1 ? TOP_TEXT_KEEP : TEXT_KEEP;
      const item: Item = { type: t, len: line.length, text: line.slice(0, keep), truncated: line.length > keep };
      if (collectTop) sum.top = item;
      else if (collectItem) addItem(sum, item);
      complete(stack);
      pos = after;
      continue;
    }
    if (BLOB.has(t)) {
      const n = parseLen(line);
      if (Number.isNaN(n) || n < -1 || (n === -1 && t !== '$')) return { kind: 'bad', end: pos, error: `bad RESP ${t} length` };
      if (n === -1) {
        const item: Item = { type: t, len: -1, truncated: false };
        if (collectTop) sum.top = item;
        else if (collectItem) addItem(sum, item);
        complete(stack);
        pos = after;
        continue;
      }
      const have = buf.length - after;
      if (have < n + 2) {
        if (n <= MAX_HELD_BULK) return { kind: 'more', end: pos, bulkLeft: n + 2 - have };
        // Too long to hold: report what we know (length, no text) and let the caller skip the rest.
        const item: Item = { type: t, len: n, truncated: true };
        if (collectTop) sum.top = item;
        else if (collectItem) addItem(sum, item);
        complete(stack);
        return { kind: 'cut', end: buf.length, skip: n + 2 - have };
      }
      if (buf[after + n] !== 0x0d || buf[after + n + 1] !== 0x0a) return { kind: 'bad', end: pos, error: 'RESP bulk string not followed by CRLF' };
      if (collectTop || collectItem) {
        const keep = Math.min(n, TEXT_KEEP);
        const item: Item = { type: t, len: n, text: buf.toString('latin1', after, after + keep), truncated: n > TEXT_KEEP };
        if (collectTop) sum.top = item;
        else addItem(sum, item);
      }
      complete(stack);
      pos = after + n + 2;
      continue;
    }
    if (AGG.has(t)) {
      const n = parseLen(line);
      if (Number.isNaN(n) || n < -1 || (n === -1 && t !== '*')) return { kind: 'bad', end: pos, error: `bad RESP ${t} count` };
      const item: Item = { type: t, len: n, truncated: false };
      if (t === '|') {
        if (sum !== null) sum.hasAttributes = true;
      } else if (collectTop) sum.top = item;
      else if (collectItem) addItem(sum, item);
      const elems = t === '%' || t === '|' ? n * 2 : n;
      pos = after;
      if (elems <= 0) {
        if (t !== '|') complete(stack);
        continue;
      }
      if (depth >= MAX_DEPTH) return { kind: 'bad', end: pos, error: 'RESP nesting deeper than 32' };
      stack.push({ left: elems, attr: t === '|' });
      continue;
    }
    return { kind: 'bad', end: pos, error: `unknown RESP type byte 0x${buf[pos].toString(16).padStart(2, '0')}` };
  }
  return { kind: 'done', end: pos };
}

function addItem(sum: Summary, item: Item): void {
  if (sum.items.length < ITEMS_KEEP) sum.items.push(item);
  else sum.more++;
}
