// Turns a stitched L7 record into an l7_flow_log row (values in the store's L7_COLUMNS order).
import type { FlowHandle } from '../flows/types.js';
import type { L7Message, L7Record } from '../protocols/types.js';

const cut = (s: string | undefined, max: number): string | null => (s === undefined ? null : s.length > max ? s.slice(0, max) : s);

export function l7RowValues(flow: FlowHandle, bundleId: number, signalSource: string, protocol: string, r: L7Record): unknown[] {
  const req = r.request;
  const res = r.response;
  const first = (req ?? res) as L7Message;
  const type = req && res ? 'session' : req ? 'request' : 'response';
  const start = req ? req.tsUs : first.tsUs;
  const end = res ? Math.max(res.endTsUs, res.tsUs) : Math.max(first.endTsUs, first.tsUs);
  const rrt = req && res ? Math.max(0, res.tsUs - req.tsUs) : null;
  const pick = <K extends keyof L7Message>(k: K): L7Message[K] | undefined => req?.[k] ?? res?.[k];
  const attrs = req?.attributes || res?.attributes ? { ...req?.attributes, ...res?.attributes } : undefined;
  return [
    flow.flowId, bundleId, flow.observationPointId, signalSource, protocol, pick('version') ?? null, type, flow.ip0, flow.ip1,
    flow.clientPort, flow.serverPort, flow.protocol,
    cut(pick('requestType'), 64), cut(pick('requestDomain'), 256), cut(pick('requestResource'), 1024), cut(pick('endpoint'), 256),
    pick('requestId') ?? null,
    res?.responseCode ?? req?.responseCode ?? null, r.status, cut(res?.responseException ?? req?.responseException, 512),
    cut(res?.responseResult, 512), req ? req.length : null, res ? res.length : null,
    start, end, rrt, req ? req.tcpSeq : null, res ? res.tcpSeq : null,
    pick('traceId') ?? null, pick('spanId') ?? null, req?.xRequestId ?? null, res?.xRequestId ?? null, pick('httpRealClient') ?? null,
    attrs ? JSON.stringify(attrs) : null,
  ];
}
