// Turns a stitched L7 record into an l7_flow_log row (values in the store's L7_COLUMNS order).
import type { L7Message, L7Record } from '../protocols/types.js';

const cut = (s: string | undefined, max: number): string | null => (s === undefined ? null : s.length > max ? s.slice(0, max) : s);

type Attributes = Record<string, string | number>;

/**
 * JSON per attributes object pair (request's, response's): parsers intern attribute objects while the values
 * repeat, so most rows reuse a string made before instead of serialising again.
 */
const jsonMemo = new WeakMap<Attributes, Map<Attributes | undefined, string>>();
const MEMO_PER_KEY = 64;

/** Request and response attributes merged (the response's win), as JSON; null when neither has any. */
function attributesJson(req: L7Message | undefined, res: L7Message | undefined): string | null {
  const a = req?.attributes;
  const b = res?.attributes;
  const key = a ?? b;
  if (key === undefined) return null;
  const other = a === undefined ? undefined : b;
  let byOther = jsonMemo.get(key);
  const hit = byOther?.get(other);
  if (hit !== undefined) return hit;
  const json = a === undefined ? JSON.stringify(b) : b === undefined ? JSON.stringify(a) : JSON.stringify({ ...a, ...b });
  if (byOther === undefined) {
    byOther = new Map();
    jsonMemo.set(key, byOther);
  } else if (byOther.size >= MEMO_PER_KEY) {
    byOther.clear();
  }
  byOther.set(other, json);
  return json;
}

/** _l7_flow_log.x_request_id_1 when the response's X-Request-ID equals the request's (see the l7_flow_log view). */
export const X_REQUEST_ID_SAME = '';

const TYPE_SESSION = 0;
const TYPE_REQUEST = 1;
const TYPE_RESPONSE = 2;
/** response_status codes (store/l7-codes.ts RESPONSE_STATUSES). */
const STATUS: Readonly<Record<string, number>> = { ok: 0, client_error: 1, server_error: 2, timeout: 3, unknown: 4, parse_failed: 5 };

/** Values per row written by writeL7RowValues (L7_COLUMNS after the id). */
export const L7_ROW_VALUES = 26;

/**
 * Writes the row's values in L7_COLUMNS order (after the id) into `out` from offset `o` on (the store's flat batch:
 * no per-row array). The flow's own fields (addresses, ports, observation point) live once per flow in _l7_flow.
 */
export function writeL7RowValues(out: unknown[], o: number, flowId: number, protocolId: number, r: L7Record): void {
  const req = r.request;
  const res = r.response;
  // Fields a request carries win over the response's, which fill in what the request lacks.
  const a = (req ?? res) as L7Message;
  const b = res ?? a;
  const type = req && res ? TYPE_SESSION : req ? TYPE_REQUEST : TYPE_RESPONSE;
  const start = a.tsUs;
  const end = res ? (res.endTsUs > res.tsUs ? res.endTsUs : res.tsUs) : a.endTsUs > a.tsUs ? a.endTsUs : a.tsUs;
  const rrt = req && res ? (res.tsUs > req.tsUs ? res.tsUs - req.tsUs : 0) : null;
  out[o + 0] = flowId;
  out[o + 1] = protocolId;
  out[o + 2] = a.version ?? b.version ?? null;
  out[o + 3] = type;
  out[o + 4] = cut(a.requestType ?? b.requestType, 64);
  out[o + 5] = cut(a.requestDomain ?? b.requestDomain, 256);
  out[o + 6] = cut(a.requestResource ?? b.requestResource, 1024);
  out[o + 7] = cut(a.endpoint ?? b.endpoint, 256);
  out[o + 8] = a.requestId ?? b.requestId ?? null;
  out[o + 9] = b.responseCode ?? a.responseCode ?? null;
  out[o + 10] = STATUS[r.status] ?? STATUS.unknown;
  out[o + 11] = cut(b.responseException ?? a.responseException, 512);
  out[o + 12] = res ? cut(res.responseResult, 512) : null;
  out[o + 13] = req ? req.length : null;
  out[o + 14] = res ? res.length : null;
  out[o + 15] = start;
  out[o + 16] = end;
  out[o + 17] = rrt;
  out[o + 18] = req ? req.tcpSeq : null;
  out[o + 19] = res ? res.tcpSeq : null;
  out[o + 20] = a.traceId ?? b.traceId ?? null;
  out[o + 21] = a.spanId ?? b.spanId ?? null;
  const xr0 = req?.xRequestId ?? null;
  const xr1 = res?.xRequestId ?? null;
  out[o + 22] = xr0;
  // The response usually echoes the request's id: stored as '' (never a real value: empty ids are not kept), and
  // the l7_flow_log view gives the id back. 36 bytes fewer per row to hand over, bind and store.
  out[o + 23] = xr1 !== null && xr1 === xr0 ? X_REQUEST_ID_SAME : xr1;
  out[o + 24] = a.httpRealClient ?? b.httpRealClient ?? null;
  out[o + 25] = attributesJson(req, res);
}
