// HTTP/1.x message parser: start line and the header fields we keep, scanned as bytes; bodies skipped via body.ts.
import { httpEndpoint } from '../common/http-endpoint.js';
import { latin1, utf8 } from '../common/text.js';
import type { FlowDirection } from '../../flows/types.js';
import { traceIdsFromHeaders } from '../common/trace-context.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult, ResponseStatus } from '../types.js';
import { skipBody, skipGap } from './body.js';
import { KNOWN_METHODS } from './methods.js';
import {
  BODY_CHUNKED,
  BODY_CLOSE,
  BODY_LENGTH,
  BODY_NONE,
  CHUNK_SIZE,
  MAX_HEADER_BYTES,
  MAX_PENDING_METHODS,
} from './types.js';
import type { AttributesMemo, Http1State } from './types.js';

const NEEDS_MORE: ParseResult = { status: 'needs-more', consumed: 0 };

/** Values of the header fields we keep; undefined when absent. The first occurrence wins. */
interface Fields {
  host?: string;
  contentLength: number; // -1 = absent
  badContentLength: boolean;
  chunked: boolean;
  upgrade?: string;
  connectionUpgrade: boolean;
  contentType?: string;
  userAgent?: string;
  xRequestId?: string;
  xForwardedFor?: string;
  traceparent?: string;
  sw8?: string;
  b3?: string;
  xB3TraceId?: string;
  xB3SpanId?: string;
  uberTraceId?: string;
}

/** Every property set up front: one object shape for V8 whatever headers the message carries. */
function resetFields(f: Fields): Fields {
  f.host = undefined;
  f.contentLength = -1;
  f.badContentLength = false;
  f.chunked = false;
  f.upgrade = undefined;
  f.connectionUpgrade = false;
  f.contentType = undefined;
  f.userAgent = undefined;
  f.xRequestId = undefined;
  f.xForwardedFor = undefined;
  f.traceparent = undefined;
  f.sw8 = undefined;
  f.b3 = undefined;
  f.xB3TraceId = undefined;
  f.xB3SpanId = undefined;
  f.uberTraceId = undefined;
  return f;
}

const scratchFields: Fields = resetFields({ contentLength: -1, badContentLength: false, chunked: false, connectionUpgrade: false });

/** RFC 9110 tchar: the bytes a method token may hold. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Interned method names: no string allocation for the usual ones. */
const METHODS = new Map<number, string>();
for (const m of ['GET', 'POST', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE']) {
  METHODS.set(methodKey(Buffer.from(m), 0, m.length), m);
}
function methodKey(b: Buffer, s: number, e: number): number {
  let k = e - s;
  for (let i = s; i < e; i++) k = (k * 31 + b[i]) >>> 0;
  return k;
}

/** Case-insensitive match of bytes[s..s+lit.length) against a lower-case ASCII literal. */
function eqLower(b: Buffer, s: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if ((b[s + i] | 0x20) !== lit.charCodeAt(i)) return false;
  return true;
}

/** Whether b starts with the ASCII string s (exact case). */
function sameBytes(b: Buffer, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[i] !== s.charCodeAt(i)) return false;
  return true;
}

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return true;
  }
  return false;
}

function isOws(b: number): boolean {
  return b === 0x20 || b === 0x09;
}

function responseStatusOf(code: number): ResponseStatus {
  if (code >= 100 && code < 400) return 'ok';
  if (code >= 400 && code < 500) return 'client_error';
  if (code >= 500 && code < 600) return 'server_error';
  return 'unknown';
}

/** Could an HTTP/1 message start at `p`? (Used to find where to resume after garbage.) */
function looksLikeStart(b: Buffer, p: number): boolean {
  if (p + 5 <= b.length && b[p] === 0x48 && b[p + 1] === 0x54 && b[p + 2] === 0x54 && b[p + 3] === 0x50 && b[p + 4] === 0x2f) return true;
  let i = p;
  while (i < b.length && i - p <= 20 && b[i] >= 0x41 && b[i] <= 0x5a) i++;
  return i - p >= 3 && i + 1 < b.length && b[i] === 0x20 && (b[i + 1] === 0x2f || b[i + 1] === 0x2a || b[i + 1] === 0x68);
}

const HTTP_1 = Buffer.from('HTTP/1.');

/** 'HTTP/1.d ddd' at p: a status line. */
function isStatusLineAt(b: Buffer, p: number): boolean {
  if (p + 12 > b.length) return false;
  for (let i = 0; i < 7; i++) if (b[p + i] !== HTTP_1[i]) return false;
  const d = (x: number): boolean => x >= 0x30 && x <= 0x39;
  return d(b[p + 7]) && b[p + 8] === 0x20 && d(b[p + 9]) && d(b[p + 10]) && d(b[p + 11]);
}

/**
 * The first position ≥ from where a message plausibly starts: a line (after an LF at ≥ from − 1) that starts like
 * a request, or a status line anywhere (a body without trailing newline runs straight into the next response).
 * -1 when there is none.
 */
export function findStart(b: Buffer, from: number): number {
  let best = -1;
  for (let i = b.indexOf(HTTP_1, from); i >= 0; i = b.indexOf(HTTP_1, i + 1)) {
    if (isStatusLineAt(b, i)) {
      best = i;
      break;
    }
  }
  const limit = best < 0 ? b.length : best;
  for (let i = Math.max(0, from - 1); i < limit; ) {
    const lf = b.indexOf(10, i);
    if (lf < 0 || lf + 1 >= limit) break;
    if (looksLikeStart(b, lf + 1)) return lf + 1;
    i = lf + 1;
  }
  return best;
}

/** Where to resume after garbage starting at `from`: the next plausible message start, or the end. */
export function resync(b: Buffer, from: number): number {
  const p = findStart(b, Math.max(1, from));
  return p < 0 ? b.length : p;
}

/** Bytes kept while hunting when no start is found: enough to hold the beginning of a start line cut by a segment. */
const HUNT_TAIL = 15;

/** After a gap: skip to the next plausible message start, reporting the skipped bytes as 'ignored'. */
function hunt(b: Buffer, state: Http1State, dir: FlowDirection): ParseResult | undefined {
  if (looksLikeStart(b, 0) || isStatusLineAt(b, 0)) {
    state.hunting[dir] = false;
    return undefined;
  }
  const p = findStart(b, 1);
  if (p > 0) return { status: 'ignored', consumed: p };
  return b.length <= HUNT_TAIL ? NEEDS_MORE : { status: 'ignored', consumed: b.length - HUNT_TAIL };
}

function invalid(b: Buffer, error: string): ParseResult {
  return { status: 'invalid', consumed: resync(b, 1), error };
}

/**
 * Whether the bytes of an incomplete first line can still become a start line: 'HTTP/...' or a method token
 * followed by a space and a target. Lets garbage fail fast instead of waiting for 64 KiB.
 */
function plausiblePrefix(b: Buffer): boolean {
  const n = Math.min(b.length, 5);
  let http = true;
  for (let i = 0; i < n; i++) if (b[i] !== 'HTTP/'.charCodeAt(i)) http = false;
  if (http) return true;
  let i = 0;
  while (i < b.length && i <= 32 && TCHAR[b[i]] === 1) i++;
  if (i === b.length) return i <= 32;
  if (i === 0 || b[i] !== 0x20) return false;
  // The target and version: no control bytes.
  for (let j = i + 1; j < b.length; j++) if (b[j] < 0x20 && b[j] !== 0x09 && b[j] !== 13) return false;
  return true;
}

/** 'd.d' after 'HTTP/' at p, or undefined. */
function versionAt(b: Buffer, p: number, end: number): string | undefined {
  if (end - p !== 8 || !eqLower(b, p, 'http/') || b[p + 6] !== 0x2e) return undefined;
  const ma = b[p + 5];
  const mi = b[p + 7];
  if (ma < 0x30 || ma > 0x39 || mi < 0x30 || mi > 0x39) return undefined;
  if (ma === 0x31) return mi === 0x31 ? '1.1' : mi === 0x30 ? '1.0' : `1.${mi - 0x30}`;
  return `${ma - 0x30}.${mi - 0x30}`;
}

function valueString(b: Buffer, s: number, e: number): string {
  while (s < e && isOws(b[s])) s++;
  while (e > s && isOws(b[e - 1])) e--;
  return latin1(b, s, e);
}

/**
 * Strings of header values that repeat across messages (Host, User-Agent, Content-Type): a small direct-mapped cache
 * checked byte by byte, so a repeated value is one string object (no allocation, its hash computed once).
 */
const VALUE_CACHE_SIZE = 256;
const valueCache: (string | undefined)[] = new Array<string | undefined>(VALUE_CACHE_SIZE).fill(undefined);
const MAX_CACHED_VALUE = 256;

function repeatedValue(b: Buffer, s: number, e: number): string {
  while (s < e && isOws(b[s])) s++;
  while (e > s && isOws(b[e - 1])) e--;
  const n = e - s;
  if (n === 0) return '';
  if (n > MAX_CACHED_VALUE) return latin1(b, s, e);
  const slot = (n * 31 + b[s] * 7 + b[e - 1] * 13 + b[s + (n >> 1)]) & (VALUE_CACHE_SIZE - 1);
  const c = valueCache[slot];
  if (c !== undefined && c.length === n) {
    let i = 0;
    while (i < n && c.charCodeAt(i) === b[s + i]) i++;
    if (i === n) return c;
  }
  const v = latin1(b, s, e);
  valueCache[slot] = v;
  return v;
}

/** Decimal Content-Length (first value of a list); -2 when malformed. */
function contentLength(b: Buffer, s: number, e: number): number {
  while (s < e && isOws(b[s])) s++;
  let v = 0;
  let digits = 0;
  for (; s < e; s++) {
    const c = b[s];
    if (c < 0x30 || c > 0x39) break;
    if (++digits > 15) return -2;
    v = v * 10 + (c - 0x30);
  }
  if (digits === 0) return -2;
  while (s < e && isOws(b[s])) s++;
  return s === e || b[s] === 0x2c /* , */ ? v : -2;
}

function containsLower(b: Buffer, s: number, e: number, lit: string): boolean {
  for (let i = s; i + lit.length <= e; i++) if (eqLower(b, i, lit)) return true;
  return false;
}

/** Whether the field line at s (ending at e) is named `name` (a lower-case literal): the name, then a colon. */
function nameIs(b: Buffer, s: number, e: number, name: string): boolean {
  const n = name.length;
  return s + n < e && b[s + n] === 0x3a && eqLower(b, s, name);
}

/**
 * The X-Request-ID of the request a response answers, while that response's fields are read: a response that echoes
 * it gets the same string (no copy, and the row writer's comparison of the two is an identity check).
 */
let expectedXRequestId: string | undefined;

function xRequestIdValue(b: Buffer, s: number, e: number): string {
  const x = expectedXRequestId;
  if (x !== undefined) {
    while (s < e && isOws(b[s])) s++;
    while (e > s && isOws(b[e - 1])) e--;
    if (e - s === x.length) {
      let i = 0;
      while (i < x.length && x.charCodeAt(i) === b[s + i]) i++;
      if (i === x.length) return x;
    }
  }
  return valueString(b, s, e);
}

/**
 * Reads one field line [s, e) (no CR/LF) into `f` when its name is one we keep. Dispatched on the name's first
 * letter: the other fields (most of them) are passed over without looking for their colon.
 */
function readField(b: Buffer, s: number, e: number, f: Fields): void {
  switch (b[s] | 0x20) {
    case 0x62: // b
      if (f.b3 === undefined && nameIs(b, s, e, 'b3')) f.b3 = valueString(b, s + 3, e);
      break;
    case 0x63: // c
      if (nameIs(b, s, e, 'content-length')) {
        const cl = contentLength(b, s + 15, e);
        if (cl < 0) f.badContentLength = true;
        else if (f.contentLength < 0) f.contentLength = cl;
        else if (f.contentLength !== cl) f.badContentLength = true;
      } else if (nameIs(b, s, e, 'content-type')) {
        if (f.contentType === undefined) {
          // Media type only: parameters (charset, boundary) make the value long and unbounded.
          const v = s + 13;
          let ce = v;
          while (ce < e && b[ce] !== 0x3b) ce++;
          const ct = repeatedValue(b, v, ce);
          f.contentType = hasUpper(ct) ? ct.toLowerCase() : ct;
        }
      } else if (nameIs(b, s, e, 'connection')) {
        if (containsLower(b, s + 11, e, 'upgrade')) f.connectionUpgrade = true;
      }
      break;
    case 0x68: // h
      if (f.host === undefined && nameIs(b, s, e, 'host')) f.host = repeatedValue(b, s + 5, e);
      break;
    case 0x73: // s
      if (f.sw8 === undefined && nameIs(b, s, e, 'sw8')) f.sw8 = valueString(b, s + 4, e);
      break;
    case 0x74: // t
      if (nameIs(b, s, e, 'transfer-encoding')) {
        if (containsLower(b, s + 18, e, 'chunked')) f.chunked = true;
      } else if (f.traceparent === undefined && nameIs(b, s, e, 'traceparent')) f.traceparent = valueString(b, s + 12, e);
      break;
    case 0x75: // u
      if (nameIs(b, s, e, 'user-agent')) {
        if (f.userAgent === undefined) f.userAgent = repeatedValue(b, s + 11, e);
      } else if (nameIs(b, s, e, 'upgrade')) {
        if (f.upgrade === undefined) f.upgrade = valueString(b, s + 8, e);
      } else if (f.uberTraceId === undefined && nameIs(b, s, e, 'uber-trace-id')) f.uberTraceId = valueString(b, s + 14, e);
      break;
    case 0x78: // x
      if (nameIs(b, s, e, 'x-request-id')) {
        if (f.xRequestId === undefined) f.xRequestId = xRequestIdValue(b, s + 13, e);
      } else if (nameIs(b, s, e, 'x-forwarded-for')) {
        if (f.xForwardedFor === undefined) {
          const v = s + 16;
          let ce = v;
          while (ce < e && b[ce] !== 0x2c) ce++;
          f.xForwardedFor = valueString(b, v, ce);
        }
      } else if (nameIs(b, s, e, 'x-b3-traceid')) {
        if (f.xB3TraceId === undefined) f.xB3TraceId = valueString(b, s + 13, e);
      } else if (f.xB3SpanId === undefined && nameIs(b, s, e, 'x-b3-spanid')) f.xB3SpanId = valueString(b, s + 12, e);
      break;
  }
}

/** Path of a request target without query / fragment; absolute-form targets lose scheme and authority. */
function endpointOf(target: string): string {
  let s = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    const scheme = target.indexOf('://');
    if (scheme > 0) {
      const slash = target.indexOf('/', scheme + 3);
      if (slash < 0) return '/';
      s = slash;
    }
  }
  let e = target.length;
  const q = target.indexOf('?', s);
  if (q >= 0) e = q;
  const h = target.indexOf('#', s);
  if (h >= 0 && h < e) e = h;
  return s === 0 && e === target.length ? target : target.slice(s, e);
}

function authorityOf(target: string): string | undefined {
  const scheme = target.indexOf('://');
  if (scheme <= 0) return undefined;
  const slash = target.indexOf('/', scheme + 3);
  return target.slice(scheme + 3, slash < 0 ? target.length : slash);
}

/** Fills trace ids, request id, real client and attributes shared by requests and responses. */
function applyFields(m: L7Message, f: Fields, memo: AttributesMemo): void {
  if (f.traceparent !== undefined || f.sw8 !== undefined || f.b3 !== undefined || f.xB3TraceId !== undefined || f.uberTraceId !== undefined) {
    const ids = traceIdsFromHeaders((name) => {
      switch (name) {
        case 'traceparent': return f.traceparent;
        case 'sw8': return f.sw8;
        case 'b3': return f.b3;
        case 'x-b3-traceid': return f.xB3TraceId;
        case 'x-b3-spanid': return f.xB3SpanId;
        case 'uber-trace-id': return f.uberTraceId;
        default: return undefined;
      }
    });
    if (ids.traceId) m.traceId = ids.traceId;
    if (ids.spanId) m.spanId = ids.spanId;
  }
  if (f.xRequestId) m.xRequestId = f.xRequestId;
  if (f.xForwardedFor) m.httpRealClient = f.xForwardedFor;
  if (f.userAgent !== undefined || f.contentType !== undefined || f.upgrade !== undefined) {
    // Interned: messages with equal values share one object (never mutated once made), which saves allocations
    // and lets the row writer reuse its JSON. Keyed by the (mostly cached, see repeatedValue) value strings.
    // Bounded: cleared when it holds ATTRIBUTE_CACHE_SIZE objects.
    const ua = f.userAgent ?? '';
    const ct = f.contentType ?? '';
    const up = f.upgrade ?? '';
    // The connection's previous message in this direction usually has the same values (the same strings: see
    // repeatedValue): three comparisons instead of three map lookups.
    if (memo.attributes !== undefined && memo.userAgent === ua && memo.contentType === ct && memo.upgrade === up) {
      m.attributes = memo.attributes;
      return;
    }
    let byCt = internedAttributes.get(ua);
    if (byCt === undefined) {
      byCt = new Map();
      internedAttributes.set(ua, byCt);
    }
    let byUp = byCt.get(ct);
    if (byUp === undefined) {
      byUp = new Map();
      byCt.set(ct, byUp);
    }
    let a = byUp.get(up);
    if (a === undefined) {
      a = {};
      if (f.userAgent) a['user-agent'] = f.userAgent;
      if (f.contentType) a['content-type'] = f.contentType;
      if (f.upgrade) a.upgrade = f.upgrade;
      if (++internedCount > ATTRIBUTE_CACHE_SIZE) {
        internedAttributes.clear();
        internedCount = 0;
      }
      byUp.set(up, a);
    }
    m.attributes = a;
    memo.userAgent = ua;
    memo.contentType = ct;
    memo.upgrade = up;
    memo.attributes = a;
  }
}

const ATTRIBUTE_CACHE_SIZE = 4096;
const internedAttributes = new Map<string, Map<string, Map<string, Record<string, string>>>>();
let internedCount = 0;

/** Parses one HTTP/1 message from `bytes` (a message boundary), or skips the body in progress. */
export function parseHttp1(dir: FlowDirection, bytes: Buffer, state: Http1State, ctx: ParseContext): ParseResult {
  // The stage drops held bytes at a capture gap and goes on after it: the sequence number tells us how far we jumped.
  const seqKnown = ctx.transport === 'tcp' && ctx.tcpSeq !== 0;
  const expected = state.nextSeq[dir];
  if (seqKnown && expected >= 0 && expected !== ctx.tcpSeq) {
    const gap = (ctx.tcpSeq - expected) >>> 0;
    if (!(gap < 0x80000000 && skipGap(state.body[dir], gap)) && !state.upgraded) state.hunting[dir] = true;
  }
  const r = parseOne(dir, bytes, state, ctx);
  state.nextSeq[dir] = seqKnown ? (ctx.tcpSeq + r.consumed) >>> 0 : -1;
  return r;
}

function parseOne(dir: FlowDirection, bytes: Buffer, state: Http1State, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return NEEDS_MORE;
  if (state.upgraded) return { status: 'ignored', consumed: bytes.length };
  const body = state.body[dir];
  if (body.mode !== BODY_NONE) {
    const inFlight = body.message;
    const r = skipBody(body, bytes, 0);
    // The stage stamps endTsUs when the header arrives; the body's last bytes come later.
    if (inFlight && r.end > 0) inFlight.endTsUs = ctx.tsUs;
    if (r.error) return { status: 'invalid', consumed: Math.max(1, resync(bytes, r.end)), error: r.error };
    return r.end === 0 ? NEEDS_MORE : { status: 'ignored', consumed: r.end };
  }
  if (state.hunting[dir]) {
    const h = hunt(bytes, state, dir);
    if (h) return h;
  }
  return parseHead(dir, bytes, state, ctx);
}

function parseHead(dir: FlowDirection, b: Buffer, state: Http1State, ctx: ParseContext): ParseResult {
  const first = b.indexOf(10);
  if (first < 0) {
    if (!plausiblePrefix(b)) return notHttp(b, state, 'not an HTTP/1 start line');
    return b.length > MAX_HEADER_BYTES ? invalid(b, 'header too long') : NEEDS_MORE;
  }
  const lineEnd = first > 0 && b[first - 1] === 13 ? first - 1 : first;
  const isResponse = lineEnd >= 5 && b[0] === 0x48 && b[1] === 0x54 && b[2] === 0x54 && b[3] === 0x50 && b[4] === 0x2f;

  // Start line.
  let version: string | undefined;
  let code = 0;
  let reasonStart = lineEnd;
  let method = '';
  let target = '';
  if (isResponse) {
    let sp = 5;
    while (sp < lineEnd && b[sp] !== 0x20) sp++;
    version = versionAt(b, 0, sp);
    if (version === undefined || sp + 4 > lineEnd) return notHttp(b, state, 'malformed status line');
    for (let i = sp + 1; i < sp + 4; i++) {
      const c = b[i];
      if (c < 0x30 || c > 0x39) return notHttp(b, state, 'malformed status code');
      code = code * 10 + (c - 0x30);
    }
    if (sp + 4 < lineEnd && b[sp + 4] !== 0x20) return notHttp(b, state, 'malformed status code');
    reasonStart = Math.min(sp + 5, lineEnd);
  } else {
    let sp1 = 0;
    while (sp1 < lineEnd && TCHAR[b[sp1]] === 1) sp1++;
    if (sp1 === 0 || sp1 > 32 || (sp1 < lineEnd && b[sp1] !== 0x20)) return notHttp(b, state, 'malformed request line');
    method = METHODS.get(methodKey(b, 0, sp1)) ?? '';
    if (method.length !== sp1 || !sameBytes(b, method)) method = latin1(b, 0, sp1);
    // 'METHOD target HTTP/d.d' (the target may hold spaces); like tshark, a known method also stands with a
    // missing or broken version ('GET / HTTP/1.', 'GET /HTTP/1.1', 'OPTIONS'): the target is then the next token.
    let sp2 = lineEnd;
    while (sp2 > sp1 && b[sp2] !== 0x20) sp2--;
    version = sp2 > sp1 + 1 ? versionAt(b, sp2 + 1, lineEnd) : undefined;
    let ts = Math.min(sp1 + 1, lineEnd);
    let te = sp2;
    if (version === undefined) {
      if (!KNOWN_METHODS.has(method)) return notHttp(b, state, 'malformed request line');
      te = ts;
      while (te < lineEnd && b[te] !== 0x20) te++;
    }
    while (ts < te && b[ts] === 0x20) ts++;
    while (te > ts && b[te - 1] === 0x20) te--;
    target = utf8(b, ts, te);
  }

  // Header fields up to the empty line, into the one scratch object (parseHead never re-enters).
  const f = resetFields(scratchFields);
  expectedXRequestId = isResponse ? state.pendingXRequestIds[0] : undefined;
  let pos = first + 1;
  for (;;) {
    const lf = b.indexOf(10, pos);
    if (lf < 0) return b.length > MAX_HEADER_BYTES ? invalid(b, 'header too long') : NEEDS_MORE;
    if (lf > MAX_HEADER_BYTES) return invalid(b, 'header too long');
    const e = lf > pos && b[lf - 1] === 13 ? lf - 1 : lf;
    if (e === pos) {
      pos = lf + 1;
      break;
    }
    if (!isOws(b[pos])) readField(b, pos, e, f);
    pos = lf + 1;
  }
  const headerLen = pos;
  expectedXRequestId = undefined;

  const m = newMessage(isResponse ? 'response' : 'request', ctx.tsUs, ctx.tcpSeq, headerLen, version);
  applyFields(m, f, state.attributesMemo[dir]);

  let mode = BODY_NONE;
  if (isResponse) {
    if (code < 200 && code !== 101) {
      // Interim response (100 Continue, 103 Early Hints): the final response to the same request follows.
      return { status: 'ignored', consumed: headerLen };
    }
    const reqMethod = state.pendingMethods.shift();
    state.pendingXRequestIds.shift();
    m.responseCode = code;
    m.responseStatus = responseStatusOf(code);
    if (code >= 400) {
      const reason = latin1(b, reasonStart, lineEnd).trim();
      if (reason) m.responseException = reason;
    }
    if (code === 101 || (reqMethod === 'CONNECT' && code >= 200 && code < 300)) {
      state.upgraded = true;
      m.attributes = { ...m.attributes, upgrade: f.upgrade ?? (code === 101 ? 'unknown' : 'connect') };
      state.upgradeRequested = false;
      return { status: 'ok', message: m, consumed: headerLen };
    }
    state.upgradeRequested = false;
    if (reqMethod === 'HEAD' || code === 204 || code === 304) mode = BODY_NONE;
    else if (f.chunked) mode = BODY_CHUNKED;
    else if (f.contentLength >= 0 && !f.badContentLength) mode = BODY_LENGTH;
    else mode = BODY_CLOSE;
  } else {
    if (method === 'PRI' && target === '*' && version === '2.0') {
      // The HTTP/2 connection preface: prior-knowledge h2c (or the client's side of an h2c upgrade).
      state.upgraded = true;
      return { status: 'ignored', consumed: b.length };
    }
    m.requestType = method;
    m.requestResource = target;
    m.endpoint = method === 'CONNECT' ? target : httpEndpoint(endpointOf(target));
    const domain = f.host ?? authorityOf(target);
    if (domain) m.requestDomain = domain;
    if (state.pendingMethods.length >= MAX_PENDING_METHODS) {
      state.pendingMethods.shift();
      state.pendingXRequestIds.shift();
    }
    state.pendingMethods.push(method);
    state.pendingXRequestIds.push(f.xRequestId);
    if (method === 'CONNECT' || (f.upgrade !== undefined && f.connectionUpgrade)) state.upgradeRequested = true;
    if (f.chunked) mode = BODY_CHUNKED;
    else if (f.contentLength > 0 && !f.badContentLength) mode = BODY_LENGTH;
  }
  if (f.badContentLength && !f.chunked) {
    m.attributes = { ...m.attributes, violation: 'bad content-length' };
  }
  if (mode === BODY_NONE) return { status: 'ok', message: m, consumed: headerLen };

  const skip = state.body[dir];
  skip.mode = mode;
  skip.chunkPhase = CHUNK_SIZE;
  skip.trailerBytes = 0;
  skip.remaining = mode === BODY_LENGTH ? f.contentLength : 0;
  skip.message = m;
  if (mode === BODY_LENGTH) m.length += f.contentLength;
  // Skip what of the body is already here; a malformed chunk stops there and the next call reports it.
  const r = skipBody(skip, b, headerLen);
  return { status: 'ok', message: m, consumed: r.end };
}

/** Bytes that are not an HTTP/1 message: tunnel data after an Upgrade request is expected, anything else is invalid. */
function notHttp(b: Buffer, state: Http1State, error: string): ParseResult {
  if (state.upgradeRequested) return { status: 'ignored', consumed: b.length };
  return invalid(b, error);
}
