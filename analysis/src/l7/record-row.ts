// Turns a stitched L7 record into an l7_flow_log row (values in the store's L7_COLUMNS order).
import type { L7Message, L7Record } from '../protocols/types.js';

const cut = (s: string | undefined, max: number): string | null => (s === undefined ? null : s.length > max ? s.slice(0, max) : s);

type Attributes = Record<string, string | number>;

/** Distinct texts the dictionary remembers; past it, it starts again (a repeated text then gets a second id). */
const MAX_DICTIONARY_TEXTS = 65_536;
/** Partner objects remembered per attributes object (see AttributesDictionary.idOf). */
const MEMO_PER_KEY = 64;

/**
 * The `_l7_attributes` ids of one database's attribute texts. A record's attributes (its request's and response's,
 * merged) are stored once per distinct JSON text and referred to by id: the texts repeat (user agent and content
 * type, database user, command flags) and were a third of every row's bytes, which the importing thread handed over,
 * the writer thread bound and SQLite stored and indexed around (−31 MB of rows on the benchmark capture).
 * Parsers intern attribute objects while the values repeat, so most records find their id by object identity,
 * without making the JSON again; other objects are serialised and looked up by text.
 */
export class AttributesDictionary {
  private readonly byText = new Map<string, number>();
  /** Per attributes object (the request's, or the response's when there is no request): id per partner object. */
  private readonly memo = new WeakMap<Attributes, Map<Attributes | undefined, number>>();

  /** `emit(id, json)`: stores a new text; it must reach the database before the rows that refer to `id`. */
  constructor(private nextId: number, private readonly emit: (id: number, json: string) => void) {}

  /** The id of the merged attributes of `req` and `res` (the response's fields win); null when neither has any. */
  idOf(req: L7Message | undefined, res: L7Message | undefined): number | null {
    const a = req?.attributes;
    const b = res?.attributes;
    const key = a ?? b;
    if (key === undefined) return null;
    const other = a === undefined ? undefined : b;
    let byOther = this.memo.get(key);
    const hit = byOther?.get(other);
    if (hit !== undefined) return hit;
    const json = a === undefined ? JSON.stringify(b) : b === undefined ? JSON.stringify(a) : JSON.stringify({ ...a, ...b });
    const id = this.idOfText(json);
    if (byOther === undefined) {
      byOther = new Map();
      this.memo.set(key, byOther);
    } else if (byOther.size >= MEMO_PER_KEY) {
      byOther.clear();
    }
    byOther.set(other, id);
    return id;
  }

  /** The id of a JSON text, stored (emitted) the first time it is seen. */
  private idOfText(json: string): number {
    let id = this.byText.get(json);
    if (id === undefined) {
      if (this.byText.size >= MAX_DICTIONARY_TEXTS) this.byText.clear();
      id = this.nextId++;
      this.byText.set(json, id);
      this.emit(id, json);
    }
    return id;
  }
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
 * no per-row array). The flow's own fields (addresses, ports, observation point) live once per flow in _l7_flow, the
 * attributes' JSON once per distinct text in _l7_attributes (`attributes`).
 */
export function writeL7RowValues(
  out: unknown[], o: number, flowId: number, protocolId: number, r: L7Record, attributes: AttributesDictionary,
): void {
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
  out[o + 25] = attributes.idOf(req, res);
}
