// Dubbo 2 framing: 16-byte header, hessian2 request fields (version, service, method) and trace attachments.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import { traceIdsFromHeaders } from '../common/trace-context.js';
import type { L7Message, ParseContext, ParseResult, ResponseStatus } from '../types.js';

export const HEADER_LEN = 16;
export const MAGIC = 0xdabb;
/** Body bytes examined for fields; larger bodies are reported from this prefix and the rest skipped. */
export const MAX_BODY_EXAMINED = 64 * 1024;
export const HESSIAN2 = 2;

export interface DubboState {
  /** Body bytes still to skip per direction (a message returned before its whole body arrived). */
  skip: [number, number];
}

export function newState(): DubboState {
  return { skip: [0, 0] };
}

/** Response status byte → name (Dubbo's Response constants). */
export const STATUS_NAMES: Record<number, string> = {
  20: 'OK',
  30: 'CLIENT_TIMEOUT',
  31: 'SERVER_TIMEOUT',
  40: 'BAD_REQUEST',
  50: 'BAD_RESPONSE',
  60: 'SERVICE_NOT_FOUND',
  70: 'SERVICE_ERROR',
  80: 'SERVER_ERROR',
  90: 'CLIENT_ERROR',
  100: 'SERVER_THREADPOOL_EXHAUSTED_ERROR',
};

/** DeepFlow's mapping of the status byte. */
export function statusOf(code: number): ResponseStatus {
  if (code === 20) return 'ok';
  if (code === 30 || code === 40 || code === 90) return 'client_error';
  if (code === 31 || code === 50 || code === 60 || code === 70 || code === 80 || code === 100) return 'server_error';
  return 'unknown';
}

/** A decoded hessian2 string (null → null) and the offset after it, or undefined when truncated / not a string. */
export interface HString {
  value: string | null;
  next: number;
}

/**
 * Reads a hessian2 string at `p`: 'N' null, 0x00–0x1f short, 0x30–0x33 two-byte length, 'S' final / 'R' non-final
 * chunks. Lengths count UTF-16 code units (hessian2 counts chars), so the UTF-8 bytes are walked char by char.
 */
export function readHString(b: Buffer, p: number, end: number): HString | undefined {
  if (p >= end) return undefined;
  const tag = b[p];
  if (tag === 0x4e) return { value: null, next: p + 1 };
  let out = '';
  let q = p;
  for (let chunks = 0; chunks < 4096; chunks++) {
    if (q >= end) return undefined;
    const t = b[q];
    let len: number;
    let final = true;
    if (t <= 0x1f) {
      len = t;
      q += 1;
    } else if (t >= 0x30 && t <= 0x33) {
      if (q + 2 > end) return undefined;
      len = ((t - 0x30) << 8) | b[q + 1];
      q += 2;
    } else if (t === 0x53 || t === 0x52) {
      if (q + 3 > end) return undefined;
      len = b.readUInt16BE(q + 1);
      final = t === 0x53;
      q += 3;
    } else {
      return undefined;
    }
    const s = q;
    for (let i = 0; i < len; i++) {
      if (q >= end) return undefined;
      const c = b[q];
      // 4-byte UTF-8 sequences are 2 UTF-16 units (a surrogate pair) in hessian's count.
      if (c >= 0xf0) {
        q += 4;
        i++;
      } else q += c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    }
    if (q > end) return undefined;
    out += b.toString('utf8', s, q);
    if (final) return { value: out, next: q };
  }
  return undefined;
}

/** Attachment keys read from the request body (trace context and request id). */
const ATTACHMENT_KEYS = ['traceparent', 'sw8', 'uber-trace-id', 'x-b3-traceid', 'x-b3-spanid', 'b3', 'x-request-id'];

/**
 * Finds attachment `key` (lower case, as sent) encoded as a short hessian2 string and reads the string value after
 * it. Like DeepFlow, this searches the body rather than decoding every argument (arguments may be arbitrary objects).
 */
function findAttachment(b: Buffer, start: number, end: number, key: string): string | undefined {
  if (key.length > 0x1f) return undefined;
  const needle = Buffer.concat([Buffer.from([key.length]), Buffer.from(key, 'latin1')]);
  let from = start;
  while (from < end) {
    const i = b.indexOf(needle, from);
    if (i < 0 || i + needle.length > end) return undefined;
    const v = readHString(b, i + needle.length, end);
    if (v && v.value !== null && v.value !== '') return v.value;
    from = i + 1;
  }
  return undefined;
}

function fillRequest(msg: L7Message, b: Buffer, p: number, end: number): void {
  const version = readHString(b, p, end);
  if (!version) return;
  if (version.value !== null) msg.version = version.value;
  const service = readHString(b, version.next, end);
  if (!service) return;
  const svcVersion = readHString(b, service.next, end);
  if (!svcVersion) return;
  const method = readHString(b, svcVersion.next, end);
  const svc = service.value ?? '';
  if (svc) {
    msg.requestResource = svc;
    msg.requestDomain = svc;
  }
  if (svcVersion.value) (msg.attributes ??= {}).service_version = svcVersion.value;
  if (!method) return;
  if (method.value) {
    msg.requestType = method.value;
    msg.endpoint = `${svc}/${method.value}`;
  }
  const headers = new Map<string, string>();
  for (const k of ATTACHMENT_KEYS) {
    const v = findAttachment(b, method.next, end, k);
    if (v !== undefined) headers.set(k, v);
  }
  const ids = traceIdsFromHeaders((n) => headers.get(n));
  if (ids.traceId) msg.traceId = ids.traceId;
  if (ids.spanId) msg.spanId = ids.spanId;
  const xr = headers.get('x-request-id');
  if (xr) msg.xRequestId = xr;
}

/** Response body: a leading int flag (hessian2 0x90–0x94 for 0..4); on error statuses the body is a string. */
function fillResponse(msg: L7Message, b: Buffer, p: number, end: number, status: number): void {
  if (status === 20) return;
  const s = readHString(b, p, end);
  if (s?.value) msg.responseException = `${msg.responseException ?? ''}: ${s.value.slice(0, 256)}`;
}

/** Parses one Dubbo message (or skips the rest of a large body) from the start of `bytes`. */
export function parseDubbo(dir: FlowDirection, bytes: Buffer, state: DubboState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  const skip = state.skip[dir];
  if (skip > 0) {
    const n = Math.min(skip, bytes.length);
    state.skip[dir] = skip - n;
    return { status: 'ignored', consumed: n };
  }
  if (bytes[0] !== 0xda || (bytes.length >= 2 && bytes[1] !== 0xbb)) {
    // Resynchronise on the next magic so one bad message does not hide the following ones.
    let i = bytes.indexOf(0xda, 1);
    while (i >= 0 && i + 1 < bytes.length && bytes[i + 1] !== 0xbb) i = bytes.indexOf(0xda, i + 1);
    return { status: 'invalid', consumed: i > 0 ? i : bytes.length, error: 'bad magic (expected 0xdabb)' };
  }
  if (bytes.length < HEADER_LEN) return { status: 'needs-more', consumed: 0 };
  const flag = bytes[2];
  const status = bytes[3];
  const idHi = bytes.readUInt32BE(4);
  const idLo = bytes.readUInt32BE(8);
  const bodyLen = bytes.readUInt32BE(12);
  const total = HEADER_LEN + bodyLen;
  const examined = HEADER_LEN + Math.min(bodyLen, MAX_BODY_EXAMINED);
  if (bytes.length < examined) return { status: 'needs-more', consumed: 0 };
  const isRequest = (flag & 0x80) !== 0;
  const twoWay = (flag & 0x40) !== 0;
  const isEvent = (flag & 0x20) !== 0;
  const serialization = flag & 0x1f;
  // Ids above 2^53 lose precision as a Number; they are also kept exact as text in attributes.
  const requestId = idHi * 0x1_0000_0000 + idLo;
  const msg = newMessage(isEvent ? 'other' : isRequest ? 'request' : 'response', ctx.tsUs, ctx.tcpSeq, total);
  msg.requestId = requestId;
  const attributes: Record<string, string | number> = { serialization_id: serialization };
  msg.attributes = attributes;
  if (idHi >= 0x20_0000) attributes.request_id = (BigInt(idHi) * 0x1_0000_0000n + BigInt(idLo)).toString();
  if (isEvent) attributes.event = isRequest ? 'heartbeat request' : 'heartbeat response';
  if (isRequest) {
    if (!twoWay) msg.responseStatus = 'ok'; // one-way: no response will come
    if (!isEvent && serialization === HESSIAN2) fillRequest(msg, bytes, HEADER_LEN, examined);
  } else {
    msg.responseCode = status;
    msg.responseStatus = statusOf(status);
    if (status !== 20) msg.responseException = STATUS_NAMES[status] ?? `status ${status}`;
    if (!isEvent && serialization === HESSIAN2) fillResponse(msg, bytes, HEADER_LEN, examined, status);
  }
  const consumed = Math.min(total, bytes.length);
  state.skip[dir] = total - consumed;
  return { status: 'ok', message: msg, consumed };
}
