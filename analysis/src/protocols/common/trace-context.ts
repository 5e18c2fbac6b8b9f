// Trace ids from propagation headers: W3C traceparent, SkyWalking sw8, Zipkin b3 (single and multi), Jaeger uber-trace-id.

export interface TraceIds {
  traceId?: string;
  spanId?: string;
}

/** `traceparent: 00-<32 hex trace>-<16 hex span>-<2 hex flags>` (W3C Trace Context). */
export function fromTraceparent(v: string): TraceIds {
  const m = /^\s*[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}/i.exec(v);
  return m ? { traceId: m[1].toLowerCase(), spanId: m[2].toLowerCase() } : {};
}

/** `sw8: <sample>-<base64 trace id>-<base64 segment id>-<span id>-<base64 service>-...` (SkyWalking v8). */
export function fromSw8(v: string): TraceIds {
  const parts = v.trim().split('-');
  if (parts.length < 8) return {};
  const decode = (s: string): string => {
    try {
      return Buffer.from(s, 'base64').toString('utf8');
    } catch {
      return '';
    }
  };
  const traceId = decode(parts[1]);
  const segment = decode(parts[2]);
  if (!traceId) return {};
  return { traceId, spanId: segment ? `${segment}-${parts[3]}` : parts[3] };
}

/** `b3: <trace>-<span>[-<sampled>[-<parent>]]` (Zipkin single header). */
export function fromB3(v: string): TraceIds {
  const m = /^\s*([0-9a-f]{16}|[0-9a-f]{32})-([0-9a-f]{16})/i.exec(v);
  return m ? { traceId: m[1].toLowerCase(), spanId: m[2].toLowerCase() } : {};
}

/** `uber-trace-id: <trace>:<span>:<parent>:<flags>` (Jaeger; ids may be URL-encoded and unpadded). */
export function fromUberTraceId(v: string): TraceIds {
  let text: string;
  try {
    text = decodeURIComponent(v.trim());
  } catch {
    return {}; // a bad %-escape: not a trace id
  }
  const parts = text.split(':');
  if (parts.length < 4 || !/^[0-9a-f]{1,32}$/i.test(parts[0]) || !/^[0-9a-f]{1,16}$/i.test(parts[1])) return {};
  return { traceId: parts[0].toLowerCase(), spanId: parts[1].toLowerCase() };
}

/**
 * Picks trace ids from headers (names lower-case). Precedence: traceparent, sw8, b3, X-B3-TraceId/SpanId,
 * uber-trace-id — the first that parses wins.
 */
export function traceIdsFromHeaders(get: (lowerName: string) => string | undefined): TraceIds {
  const tp = get('traceparent');
  if (tp) {
    const r = fromTraceparent(tp);
    if (r.traceId) return r;
  }
  const sw = get('sw8');
  if (sw) {
    const r = fromSw8(sw);
    if (r.traceId) return r;
  }
  const b3 = get('b3');
  if (b3) {
    const r = fromB3(b3);
    if (r.traceId) return r;
  }
  const xb3 = get('x-b3-traceid');
  if (xb3 && /^[0-9a-f]{16,32}$/i.test(xb3.trim())) {
    const span = get('x-b3-spanid');
    return { traceId: xb3.trim().toLowerCase(), spanId: span?.trim().toLowerCase() };
  }
  const uber = get('uber-trace-id');
  if (uber) {
    const r = fromUberTraceId(uber);
    if (r.traceId) return r;
  }
  return {};
}
