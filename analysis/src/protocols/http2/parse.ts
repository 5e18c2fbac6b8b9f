// HTTP/2 frame parser (RFC 9113): one frame per call, HPACK per direction, streams turned into request/response messages.
import { httpEndpoint } from '../common/http-endpoint.js';
import { newMessage } from '../common/message.js';
import type { FlowDirection } from '../../flows/types.js';
import { traceIdsFromHeaders } from '../common/trace-context.js';
import type { TraceIds } from '../common/trace-context.js';
import type { L7Message, ParseContext, ParseResult, ResponseStatus } from '../types.js';
import { decodeBlock, newDecoder } from './hpack.js';
import type { HpackDecoder } from './hpack.js';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;
/** Non-DATA frames are held whole; a header block (HEADERS + CONTINUATIONs) is capped at the same size. */
export const MAX_HELD = 65536;
/** Open streams remembered per connection; past it the oldest is dropped (recorded). */
export const MAX_STREAMS = 1024;
/** Violations kept until the next stitch. */
export const MAX_NOTES = 64;
const DEFAULT_MAX_FRAME = 16384;
const MAX_FRAME_LIMIT = 0xffffff;

export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;
/** Extension frames we skip silently (ALTSVC, ORIGIN, PRIORITY_UPDATE); any other type is treated as garbage. */
const KNOWN_EXTENSIONS = new Set([0x0a, 0x0c, 0x10]);

const F_END_STREAM = 0x1;
const F_ACK = 0x1;
const F_END_HEADERS = 0x4;
const F_PADDED = 0x8;
const F_PRIORITY = 0x20;

const ERROR_NAMES = [
  'NO_ERROR', 'PROTOCOL_ERROR', 'INTERNAL_ERROR', 'FLOW_CONTROL_ERROR', 'SETTINGS_TIMEOUT', 'STREAM_CLOSED',
  'FRAME_SIZE_ERROR', 'REFUSED_STREAM', 'CANCEL', 'COMPRESSION_ERROR', 'CONNECT_ERROR', 'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY', 'HTTP_1_1_REQUIRED',
];

interface PendingBlock {
  streamId: number;
  /** HEADERS or PUSH_PROMISE. */
  kind: number;
  endStream: boolean;
  promised: number;
  parts: Buffer[];
  size: number;
  frameBytes: number;
  tsUs: number;
  tcpSeq: number;
}

interface DirState {
  hpack: HpackDecoder;
  /** DATA payload (or oversized frame) bytes still to skip. */
  skip: number;
  /** Header block waiting for CONTINUATION frames. */
  pending: PendingBlock | null;
  /** Largest frame this direction may send: the SETTINGS_MAX_FRAME_SIZE announced by the other side. */
  maxFrame: number;
}

interface Stream {
  id: number;
  requested: boolean;
  grpc: boolean;
  /** Final (non-1xx) response headers seen. */
  responded: boolean;
  status?: number;
  grpcStatus?: number;
  grpcMessage?: string;
  respTsUs: number;
  respSeq: number;
  respLen: number;
  traceId?: string;
  spanId?: string;
  xRequestId?: string;
  contentType?: string;
}

export interface Http2State {
  dirs: [DirState, DirState];
  streams: Map<number, Stream>;
  /** Violations that did not stop a message (HPACK misses, dropped streams), drained by stitch. */
  notes: string[];
  /** Set by h2cAfterUpgrade: stream 1 was opened by an HTTP/1.1 Upgrade request. */
  upgraded: boolean;
}

function newDir(): DirState {
  return { hpack: newDecoder(), skip: 0, pending: null, maxFrame: DEFAULT_MAX_FRAME };
}

export function newState(): Http2State {
  return { dirs: [newDir(), newDir()], streams: new Map(), notes: [], upgraded: false };
}

/**
 * h2c via `Upgrade: h2c` (RFC 7540 §3.2): the HTTP/1 parser emitted the request of stream 1; after its 101 the
 * server speaks HTTP/2 at once (server preface = SETTINGS, then stream 1's response) and the client sends the
 * preface. Call this on a fresh state before feeding the bytes after the 101: the response of stream 1 is then
 * emitted (requestId 1, to pair with the HTTP/1 request) and the client's HTTP2-Settings are not needed.
 */
export function h2cAfterUpgrade(state: Http2State): void {
  state.upgraded = true;
  const s = getStream(state, 1);
  s.requested = true;
}

function note(state: Http2State, msg: string): void {
  if (state.notes.length < MAX_NOTES) state.notes.push(msg);
}

function getStream(state: Http2State, id: number): Stream {
  let s = state.streams.get(id);
  if (s === undefined) {
    if (state.streams.size >= MAX_STREAMS) {
      const oldest = state.streams.keys().next().value;
      if (oldest !== undefined) state.streams.delete(oldest);
      note(state, `too many open streams, stream ${oldest ?? '?'} forgotten`);
    }
    s = { id, requested: false, grpc: false, responded: false, respTsUs: 0, respSeq: 0, respLen: 0 };
    state.streams.set(id, s);
  }
  return s;
}

/** Why the 9 bytes at `off` (caller checked they exist) are not a plausible frame header; undefined when they are. */
export function frameHeaderError(bytes: Buffer, off: number, maxFrame: number): string | undefined {
  const len = bytes.readUIntBE(off, 3);
  const type = bytes[off + 3];
  const flags = bytes[off + 4];
  const sid = bytes.readUInt32BE(off + 5) & 0x7fffffff;
  if (len > maxFrame) return `frame length ${len} > max frame size ${maxFrame}`;
  switch (type) {
    case T.DATA:
    case T.HEADERS:
    case T.CONTINUATION:
      return sid === 0 ? 'stream 0 for a stream frame' : undefined;
    case T.PRIORITY:
      return sid === 0 || len !== 5 ? 'bad PRIORITY' : undefined;
    case T.RST_STREAM:
      return sid === 0 || len !== 4 ? 'bad RST_STREAM' : undefined;
    case T.SETTINGS:
      return sid !== 0 || len % 6 !== 0 || (flags & F_ACK && len !== 0) ? 'bad SETTINGS' : undefined;
    case T.PUSH_PROMISE:
      return sid === 0 || len < 4 ? 'bad PUSH_PROMISE' : undefined;
    case T.PING:
      return sid !== 0 || len !== 8 ? 'bad PING' : undefined;
    case T.GOAWAY:
      return sid !== 0 || len < 8 ? 'bad GOAWAY' : undefined;
    case T.WINDOW_UPDATE:
      return len !== 4 ? 'bad WINDOW_UPDATE' : undefined;
    default:
      return KNOWN_EXTENSIONS.has(type) ? undefined : `unknown frame type ${type}`;
  }
}

/**
 * gRPC status classes (client-caused vs server-caused, as DeepFlow splits them): OK 0 → ok; CANCELLED 1 (the caller
 * gave up), INVALID_ARGUMENT 3, NOT_FOUND 5, ALREADY_EXISTS 6, PERMISSION_DENIED 7, FAILED_PRECONDITION 9,
 * OUT_OF_RANGE 11, UNAUTHENTICATED 16 → client_error; UNKNOWN 2, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, ABORTED 10,
 * UNIMPLEMENTED 12, INTERNAL 13, UNAVAILABLE 14, DATA_LOSS 15 and anything else → server_error.
 */
export function grpcStatus(code: number): ResponseStatus {
  if (code === 0) return 'ok';
  if ([1, 3, 5, 6, 7, 9, 11, 16].includes(code)) return 'client_error';
  return 'server_error';
}

export function httpStatus(code: number): ResponseStatus {
  if (code >= 400 && code < 500) return 'client_error';
  if (code >= 500 && code < 600) return 'server_error';
  return 'ok';
}

/**
 * common/trace-context's uber-trace-id path calls decodeURIComponent unguarded and throws URIError on a bad
 * escape (reported to the lead); until fixed there, a bad trace header costs only the trace ids.
 */
function traceIds(h: Map<string, string>): TraceIds {
  try {
    return traceIdsFromHeaders((n) => h.get(n));
  } catch {
    return {};
  }
}

function pctDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function baseMessage(type: L7Message['type'], ctx: ParseContext, length: number, id: number): L7Message {
  const m = newMessage(type, ctx.tsUs, ctx.tcpSeq, length, '2');
  m.requestId = id;
  return m;
}

function headerMap(headers: [string, string][]): Map<string, string> {
  const m = new Map<string, string>();
  for (const [n, v] of headers) {
    const k = n.toLowerCase();
    if (!m.has(k)) m.set(k, v);
  }
  return m;
}

function requestMessage(state: Http2State, s: Stream, h: Map<string, string>, ctx: ParseContext, length: number, pushed: boolean): L7Message {
  const m = baseMessage('request', ctx, length, s.id);
  const path = h.get(':path');
  const ct = h.get('content-type');
  const attrs: Record<string, string | number> = {};
  m.requestType = h.get(':method');
  m.requestDomain = h.get(':authority') ?? h.get('host');
  m.requestResource = path;
  if (ct !== undefined && ct.toLowerCase().startsWith('application/grpc')) s.grpc = true;
  if (path !== undefined) {
    const q = path.indexOf('?');
    m.endpoint = q >= 0 ? path.slice(0, q) : path;
  }
  // gRPC keeps /service/method whole; plain HTTP/2 aggregates like HTTP/1 (first path segments).
  if (!s.grpc && m.endpoint !== undefined) m.endpoint = httpEndpoint(m.endpoint);
  if (s.grpc) {
    attrs.l7_protocol = 'gRPC';
    m.requestType = 'POST';
    const parts = (m.endpoint ?? '').split('/');
    if (parts.length === 3 && parts[0] === '') {
      attrs.grpc_service = parts[1];
      attrs.grpc_method = parts[2];
    }
  }
  const cl = Number(h.get('content-length'));
  if (Number.isSafeInteger(cl) && cl > 0) m.length += cl;
  const t = traceIds(h);
  m.traceId = t.traceId;
  m.spanId = t.spanId;
  m.xRequestId = h.get('x-request-id');
  const xff = h.get('x-forwarded-for');
  if (xff) m.httpRealClient = xff.split(',')[0].trim();
  if (ct !== undefined) attrs.content_type = ct;
  const ua = h.get('user-agent');
  if (ua !== undefined) attrs.user_agent = ua.slice(0, 256);
  if (pushed) attrs.push_promise = 1;
  if (Object.keys(attrs).length > 0) m.attributes = attrs;
  return m;
}

/** The response message of a finished stream; the stream is forgotten. */
function responseMessage(state: Http2State, s: Stream, ctx: ParseContext, rst?: { code: number; byClient: boolean }): L7Message {
  state.streams.delete(s.id);
  const m = baseMessage('response', ctx, s.respLen, s.id);
  if (s.respTsUs !== 0 || s.respSeq !== 0) {
    m.tsUs = s.respTsUs;
    m.tcpSeq = s.respSeq;
  }
  const attrs: Record<string, string | number> = {};
  if (s.grpc) attrs.l7_protocol = 'gRPC';
  if (s.status !== undefined) attrs.http_status = s.status;
  if (s.contentType !== undefined) attrs.content_type = s.contentType;
  if (s.grpc && s.grpcStatus !== undefined) {
    m.responseCode = s.grpcStatus;
    m.responseStatus = grpcStatus(s.grpcStatus);
    attrs.grpc_status = s.grpcStatus;
    if (s.grpcMessage) m.responseException = pctDecode(s.grpcMessage);
  } else if (s.status !== undefined) {
    m.responseCode = s.status;
    m.responseStatus = httpStatus(s.status);
  }
  if (rst) {
    const name = ERROR_NAMES[rst.code] ?? `error ${rst.code}`;
    attrs.rst_stream = name;
    if (m.responseStatus === undefined || (rst.code !== 0 && m.responseStatus === 'ok')) {
      // A reset before a final answer: a client cancel is the client's doing, anything else the server's.
      m.responseStatus = rst.byClient && rst.code === 8 ? 'client_error' : rst.code === 0 ? 'unknown' : 'server_error';
    }
    if (rst.code !== 0) m.responseException ??= `RST_STREAM ${name}`;
  }
  m.traceId = s.traceId;
  m.spanId = s.spanId;
  m.xRequestId = s.xRequestId;
  if (Object.keys(attrs).length > 0) m.attributes = attrs;
  return m;
}

const ignored = (consumed: number): ParseResult => ({ status: 'ignored', consumed });

/** A complete header block of `kind` on `streamId`. */
function onHeaderBlock(state: Http2State, dir: FlowDirection, b: PendingBlock, block: Buffer, ctx: ParseContext, consumed: number): ParseResult {
  const d = state.dirs[dir];
  const res = decodeBlock(d.hpack, block);
  if (res.misses > 0) note(state, `hpack: ${res.misses} dynamic table entr${res.misses === 1 ? 'y' : 'ies'} missing (stream ${b.streamId}, capture started mid-connection?)`);
  if (res.error) note(state, `${res.error} (stream ${b.streamId})`);
  const h = headerMap(res.headers);
  const msgCtx: ParseContext = { ...ctx, tsUs: b.tsUs, tcpSeq: b.tcpSeq };
  if (b.kind === T.PUSH_PROMISE) {
    // A promised request, sent by the server: its response comes on the promised (even) stream.
    if (b.promised === 0) return ignored(consumed);
    const s = getStream(state, b.promised);
    s.requested = true;
    return { status: 'ok', consumed, message: requestMessage(state, s, h, msgCtx, b.frameBytes, true) };
  }
  const s = getStream(state, b.streamId);
  if (dir === 0) {
    if (s.requested) return ignored(consumed); // client trailers
    s.requested = true;
    return { status: 'ok', consumed, message: requestMessage(state, s, h, msgCtx, b.frameBytes, false) };
  }
  s.respLen += b.frameBytes;
  const st = Number(h.get(':status'));
  const ct = h.get('content-type');
  if (ct !== undefined) {
    s.contentType ??= ct;
    if (ct.toLowerCase().startsWith('application/grpc')) s.grpc = true;
  }
  if (h.has(':status') && Number.isInteger(st)) {
    if (st >= 100 && st < 200 && !b.endStream) return ignored(consumed); // interim response
    if (!s.responded) {
      s.responded = true;
      s.status = st;
      s.respTsUs = b.tsUs;
      s.respSeq = b.tcpSeq;
    }
  } else if (!s.responded && s.respTsUs === 0 && s.respSeq === 0) {
    s.respTsUs = b.tsUs;
    s.respSeq = b.tcpSeq;
  }
  const gs = h.get('grpc-status');
  if (gs !== undefined && /^\d+$/.test(gs.trim())) s.grpcStatus = Number(gs.trim());
  const gm = h.get('grpc-message');
  if (gm !== undefined) s.grpcMessage = gm;
  const t = traceIds(h);
  if (t.traceId) {
    s.traceId = t.traceId;
    s.spanId = t.spanId;
  }
  s.xRequestId ??= h.get('x-request-id');
  if (b.endStream) return { status: 'ok', consumed, message: responseMessage(state, s, ctx) };
  return ignored(consumed);
}

export function parse(dir: FlowDirection, bytes: Buffer, state: Http2State, ctx: ParseContext): ParseResult {
  const d = state.dirs[dir];
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  if (d.skip > 0) {
    const n = Math.min(d.skip, bytes.length);
    d.skip -= n;
    return ignored(n);
  }
  if (dir === 0 && bytes[0] === 0x50) {
    const n = Math.min(bytes.length, PREFACE.length);
    if (bytes.subarray(0, n).equals(PREFACE.subarray(0, n))) {
      return n < PREFACE.length ? { status: 'needs-more', consumed: 0 } : ignored(PREFACE.length);
    }
  }
  if (bytes.length < FRAME_HEADER) return { status: 'needs-more', consumed: 0 };
  const err = frameHeaderError(bytes, 0, d.maxFrame);
  if (err) return { status: 'invalid', consumed: 1, error: err };
  const len = bytes.readUIntBE(0, 3);
  const type = bytes[3];
  const flags = bytes[4];
  const sid = bytes.readUInt32BE(5) & 0x7fffffff;
  const total = FRAME_HEADER + len;

  if (d.pending !== null && (type !== T.CONTINUATION || sid !== d.pending.streamId)) {
    // RFC 9113 §6.10: nothing may interleave a header block. The block is lost (and the HPACK table may drift).
    note(state, `header block of stream ${d.pending.streamId} interrupted by a frame of type ${type}`);
    d.pending = null;
  }

  if (type === T.DATA) {
    // Never held: the header is enough (END_STREAM is a flag); the payload is skipped as it arrives.
    const consumed = Math.min(total, bytes.length);
    d.skip = total - consumed;
    const s = state.streams.get(sid);
    if (s === undefined || dir === 0) return ignored(consumed);
    s.respLen += total;
    if (flags & F_END_STREAM) return { status: 'ok', consumed, message: responseMessage(state, s, ctx) };
    return ignored(consumed);
  }
  if (total > MAX_HELD) {
    d.skip = len;
    return { status: 'invalid', consumed: FRAME_HEADER, error: `frame of type ${type} too large (${len} bytes)` };
  }
  if (bytes.length < total) return { status: 'needs-more', consumed: 0 };
  const p = bytes.subarray(FRAME_HEADER, total);

  switch (type) {
    case T.HEADERS:
    case T.PUSH_PROMISE: {
      let off = 0;
      let end = len;
      if (flags & F_PADDED) {
        if (len < 1) return { status: 'invalid', consumed: total, error: 'padding longer than frame' };
        end -= p[0];
        off = 1;
      }
      let promised = 0;
      if (type === T.HEADERS && flags & F_PRIORITY) off += 5;
      if (type === T.PUSH_PROMISE) {
        if (off + 4 > len) return { status: 'invalid', consumed: total, error: 'PUSH_PROMISE too short' };
        promised = p.readUInt32BE(off) & 0x7fffffff;
        off += 4;
      }
      if (end < off) return { status: 'invalid', consumed: total, error: 'padding longer than frame' };
      const blk: PendingBlock = {
        streamId: sid, kind: type, endStream: type === T.HEADERS && (flags & F_END_STREAM) !== 0, promised,
        parts: [], size: 0, frameBytes: total, tsUs: ctx.tsUs, tcpSeq: ctx.tcpSeq,
      };
      const frag = p.subarray(off, end);
      if (flags & F_END_HEADERS) return onHeaderBlock(state, dir, blk, frag, ctx, total);
      blk.parts.push(Buffer.from(frag));
      blk.size = frag.length;
      d.pending = blk;
      return ignored(total);
    }
    case T.CONTINUATION: {
      const blk = d.pending;
      if (blk === null) return { status: 'invalid', consumed: total, error: `CONTINUATION without header block (stream ${sid})` };
      blk.size += len;
      blk.frameBytes += total;
      if (blk.size > MAX_HELD) {
        d.pending = null;
        return { status: 'invalid', consumed: total, error: `header block of stream ${sid} over ${MAX_HELD} bytes` };
      }
      blk.parts.push(Buffer.from(p));
      if (!(flags & F_END_HEADERS)) return ignored(total);
      d.pending = null;
      return onHeaderBlock(state, dir, blk, Buffer.concat(blk.parts), ctx, total);
    }
    case T.RST_STREAM: {
      const s = state.streams.get(sid);
      if (s === undefined) return ignored(total);
      return { status: 'ok', consumed: total, message: responseMessage(state, s, ctx, { code: p.readUInt32BE(0), byClient: dir === 0 }) };
    }
    case T.SETTINGS: {
      if (!(flags & F_ACK)) {
        for (let i = 0; i + 6 <= len; i += 6) {
          const id = p.readUInt16BE(i);
          const v = p.readUInt32BE(i + 2);
          // SETTINGS_MAX_FRAME_SIZE bounds what the *other* direction sends.
          if (id === 5 && v >= DEFAULT_MAX_FRAME && v <= MAX_FRAME_LIMIT) state.dirs[dir === 0 ? 1 : 0].maxFrame = v;
        }
      }
      return ignored(total);
    }
    default:
      return ignored(total); // PRIORITY, PING, GOAWAY, WINDOW_UPDATE, extensions: nothing to report
  }
}
