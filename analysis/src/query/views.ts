// Typed queries behind the app's views (overview, service map, request and flow logs, bundle info). Pure functions
// over a read-only connection; times are µs since the epoch, ranges half-open [from, to).
import { quantileFromBuckets, RRT_BUCKET_COUNT } from '../l7/app-metrics.js';
import type { Db } from '../store/store.js';
import { compileFilter, FLOW_FILTER, REQUEST_FILTER } from './filter.js';

export interface TimeRange {
  from?: number | null;
  to?: number | null;
}

export interface CaptureRange {
  first: number | null;
  last: number | null;
}

export function captureRange(db: Db): CaptureRange {
  const r = db.prepare('SELECT min(first_time) AS first, max(last_time) AS last FROM bundles').get() as CaptureRange;
  return { first: r.first ?? null, last: r.last ?? null };
}

/** [from, to) with the capture's own bounds where a side is open. */
function bounds(db: Db, range: TimeRange): { from: number; to: number } {
  const c = captureRange(db);
  const from = range.from ?? c.first ?? 0;
  const to = range.to ?? (c.last !== null ? c.last + 1 : Number.MAX_SAFE_INTEGER);
  return { from, to };
}

function histFromJson(json: string, into: number[]): void {
  const h = JSON.parse(json) as Record<string, number> | number[];
  if (Array.isArray(h)) {
    for (let i = 0; i < h.length && i < into.length; i++) into[i] += h[i];
  } else {
    for (const k in h) {
      const i = Number(k);
      if (i >= 0 && i < into.length) into[i] += h[k];
    }
  }
}

const newHist = (): number[] => new Array<number>(RRT_BUCKET_COUNT).fill(0);

export interface RedTotals {
  requests: number;
  responses: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
  timeouts: number;
  rrtAvg: number | null;
  rrtMax: number | null;
  rrtP50: number | null;
  rrtP90: number | null;
  rrtP99: number | null;
}

export interface OverviewSummary {
  capture: CaptureRange;
  from: number;
  to: number;
  red: RedTotals;
  network: NetworkHealth;
}

export interface NetworkHealth {
  flows: number;
  packets: number;
  bytes: number;
  retransmissions: number;
  resets: number;
  setupFailures: number;
  timeouts: number;
  zeroWindows: number;
  rttAvg: number | null;
  rttMax: number | null;
}

function redFrom(rows: { request: number; response: number; error: number; client_error: number; server_error: number; timeout: number; rrt_sum: number; rrt_count: number; rrt_max: number; rrt_hist: string }[]): RedTotals {
  const hist = newHist();
  const t = { requests: 0, responses: 0, errors: 0, clientErrors: 0, serverErrors: 0, timeouts: 0, rrtSum: 0, rrtCount: 0, rrtMax: 0 };
  for (const r of rows) {
    t.requests += r.request;
    t.responses += r.response;
    t.errors += r.error;
    t.clientErrors += r.client_error;
    t.serverErrors += r.server_error;
    t.timeouts += r.timeout;
    t.rrtSum += r.rrt_sum;
    t.rrtCount += r.rrt_count;
    if (r.rrt_max > t.rrtMax) t.rrtMax = r.rrt_max;
    histFromJson(r.rrt_hist, hist);
  }
  return {
    requests: t.requests, responses: t.responses, errors: t.errors, clientErrors: t.clientErrors, serverErrors: t.serverErrors,
    timeouts: t.timeouts, rrtAvg: t.rrtCount > 0 ? Math.round(t.rrtSum / t.rrtCount) : null, rrtMax: t.rrtCount > 0 ? t.rrtMax : null,
    rrtP50: quantileFromBuckets(0.5, hist, t.rrtMax), rrtP90: quantileFromBuckets(0.9, hist, t.rrtMax), rrtP99: quantileFromBuckets(0.99, hist, t.rrtMax),
  };
}

const APP_COLS = 'request, response, error, client_error, server_error, timeout, rrt_sum, rrt_count, rrt_max, rrt_hist';

/** Totals over the range: RED from metrics_app_1s (server side, all endpoints), network health from metrics_net_1s. */
export function overviewSummary(db: Db, range: TimeRange = {}): OverviewSummary {
  const { from, to } = bounds(db, range);
  const appFrom = Math.floor(from / 1_000_000) * 1_000_000;
  const rows = db.prepare(`SELECT ${APP_COLS} FROM _metrics_app_1s WHERE time >= ? AND time < ?`).all(appFrom, to) as Parameters<typeof redFrom>[0];
  return { capture: captureRange(db), from, to, red: redFrom(rows), network: networkHealth(db, { from, to }) };
}

export function networkHealth(db: Db, range: TimeRange = {}): NetworkHealth {
  const { from, to } = bounds(db, range);
  const secFrom = Math.floor(from / 1_000_000) * 1_000_000;
  const n = db.prepare(`SELECT coalesce(sum(packet_tx + packet_rx), 0) AS packets, coalesce(sum(byte_tx + byte_rx), 0) AS bytes,
      coalesce(sum(retrans_tx + retrans_rx), 0) AS retransmissions, coalesce(sum(resets), 0) AS resets,
      coalesce(sum(setup_failures), 0) AS setupFailures, coalesce(sum(timeouts), 0) AS timeouts,
      coalesce(sum(zero_win_tx + zero_win_rx), 0) AS zeroWindows, sum(rtt_sum) AS rttSum, sum(rtt_count) AS rttCount,
      max(CASE WHEN rtt_count > 0 THEN rtt_max END) AS rttMax, coalesce(sum(new_flow), 0) AS flows
    FROM _metrics_net_1s WHERE time >= ? AND time < ?`).get(secFrom, to) as Record<string, number | null>;
  const rttCount = Number(n.rttCount ?? 0);
  return {
    flows: Number(n.flows), packets: Number(n.packets), bytes: Number(n.bytes), retransmissions: Number(n.retransmissions),
    resets: Number(n.resets), setupFailures: Number(n.setupFailures), timeouts: Number(n.timeouts), zeroWindows: Number(n.zeroWindows),
    rttAvg: rttCount > 0 ? Math.round(Number(n.rttSum) / rttCount) : null, rttMax: n.rttMax ?? null,
  };
}

export interface TimelinePoint {
  time: number;
  requests: number;
  errors: number;
  timeouts: number;
  rrtMax: number;
  bytes: number;
  retransmissions: number;
  resets: number;
}

/** Per-interval series over the range (interval: a whole number of seconds, chosen for ~`points` points). */
export function overviewTimeline(db: Db, range: TimeRange = {}, points = 300): { interval: number; points: TimelinePoint[] } {
  const { from, to } = bounds(db, range);
  const span = Math.max(1, to - from);
  const interval = Math.max(1, Math.ceil(span / 1_000_000 / Math.max(1, points))) * 1_000_000;
  const start = Math.floor(from / interval) * interval;
  const byTime = new Map<number, TimelinePoint>();
  const point = (t: number): TimelinePoint => {
    let p = byTime.get(t);
    if (!p) {
      p = { time: t, requests: 0, errors: 0, timeouts: 0, rrtMax: 0, bytes: 0, retransmissions: 0, resets: 0 };
      byTime.set(t, p);
    }
    return p;
  };
  const app = db.prepare(`SELECT ? + ((time - ?) / ?) * ? AS t, sum(request) AS requests, sum(error) AS errors, sum(timeout) AS timeouts,
      max(rrt_max) AS rrtMax FROM _metrics_app_1s WHERE time >= ? AND time < ? GROUP BY t`)
    .all(start, start, interval, interval, start, to) as { t: number; requests: number; errors: number; timeouts: number; rrtMax: number }[];
  for (const r of app) Object.assign(point(r.t), { requests: r.requests, errors: r.errors, timeouts: r.timeouts, rrtMax: r.rrtMax });
  const net = db.prepare(`SELECT ? + ((time - ?) / ?) * ? AS t, sum(byte_tx + byte_rx) AS bytes, sum(retrans_tx + retrans_rx) AS retransmissions,
      sum(resets) AS resets FROM _metrics_net_1s WHERE time >= ? AND time < ? GROUP BY t`)
    .all(start, start, interval, interval, start, to) as { t: number; bytes: number; retransmissions: number; resets: number }[];
  for (const r of net) Object.assign(point(r.t), { bytes: r.bytes, retransmissions: r.retransmissions, resets: r.resets });
  // Every interval present (zeros where nothing happened), so charts keep a true time axis.
  const out: TimelinePoint[] = [];
  for (let t = start; t < to; t += interval) out.push(byTime.get(t) ?? point(t));
  return { interval, points: out };
}

export interface ServiceRed {
  /** `ip:port` (tags name it once they exist). */
  service: string;
  ip: string;
  port: number;
  protocol: string;
  requests: number;
  /** Requests per second over the range. */
  rps: number;
  errors: number;
  errorPct: number;
  timeouts: number;
  rrtP50: number | null;
  rrtP90: number | null;
  rrtP99: number | null;
  rrtMax: number | null;
  /** Requests per interval over the range (sparkline), `sparkInterval` µs each. */
  spark: number[];
  sparkErrors: number[];
}

/** RED per server (ip, port, protocol) over the range, busiest first. */
export function overviewServices(db: Db, range: TimeRange = {}, sparkPoints = 30): { sparkInterval: number; services: ServiceRed[] } {
  const { from, to } = bounds(db, range);
  const secFrom = Math.floor(from / 1_000_000) * 1_000_000;
  const sparkInterval = Math.max(1, Math.ceil((to - secFrom) / 1_000_000 / sparkPoints)) * 1_000_000;
  const rows = db.prepare(`SELECT ip_1, server_port, l7_protocol, time, ${APP_COLS} FROM _metrics_app_1s WHERE time >= ? AND time < ?`)
    .all(secFrom, to) as ({ ip_1: string; server_port: number; l7_protocol: string; time: number } & Parameters<typeof redFrom>[0][number])[];
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.ip_1}|${r.server_port}|${r.l7_protocol}`;
    let g = groups.get(k);
    if (!g) {
      g = [];
      groups.set(k, g);
    }
    g.push(r);
  }
  const seconds = Math.max(1, (to - from) / 1_000_000);
  const nSpark = Math.max(1, Math.ceil((to - secFrom) / sparkInterval));
  const services: ServiceRed[] = [];
  for (const g of groups.values()) {
    const t = redFrom(g);
    const spark = new Array<number>(nSpark).fill(0);
    const sparkErrors = new Array<number>(nSpark).fill(0);
    for (const r of g) {
      const i = Math.min(nSpark - 1, Math.floor((r.time - secFrom) / sparkInterval));
      spark[i] += r.request;
      sparkErrors[i] += r.error;
    }
    const { ip_1: ip, server_port: port, l7_protocol: protocol } = g[0];
    services.push({
      service: serviceId(ip, port), ip, port, protocol, requests: t.requests,
      rps: Math.round((100 * t.requests) / seconds) / 100, errors: t.errors,
      errorPct: t.requests > 0 ? Math.round((10000 * t.errors) / t.requests) / 100 : 0, timeouts: t.timeouts,
      rrtP50: t.rrtP50, rrtP90: t.rrtP90, rrtP99: t.rrtP99, rrtMax: t.rrtMax, spark, sparkErrors,
    });
  }
  services.sort((a, b) => b.requests - a.requests || a.service.localeCompare(b.service));
  return { sparkInterval, services };
}

export interface EndpointRed {
  ip: string;
  port: number;
  protocol: string;
  endpoint: string;
  requests: number;
  errors: number;
  errorPct: number;
  timeouts: number;
  rrtP99: number | null;
  rrtMax: number | null;
}

/** Endpoints ranked by errors (then timeouts, then p99) over the range. */
export function topEndpoints(db: Db, range: TimeRange = {}, limit = 10, by: 'errors' | 'latency' = 'errors'): EndpointRed[] {
  const { from, to } = bounds(db, range);
  const secFrom = Math.floor(from / 1_000_000) * 1_000_000;
  const rows = db.prepare(`SELECT ip_1, server_port, l7_protocol, endpoint, ${APP_COLS} FROM _metrics_app_1s WHERE time >= ? AND time < ?`)
    .all(secFrom, to) as ({ ip_1: string; server_port: number; l7_protocol: string; endpoint: string } & Parameters<typeof redFrom>[0][number])[];
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.ip_1}|${r.server_port}|${r.l7_protocol}|${r.endpoint}`;
    let g = groups.get(k);
    if (!g) {
      g = [];
      groups.set(k, g);
    }
    g.push(r);
  }
  const out: EndpointRed[] = [];
  for (const g of groups.values()) {
    const t = redFrom(g);
    out.push({
      ip: g[0].ip_1, port: g[0].server_port, protocol: g[0].l7_protocol, endpoint: g[0].endpoint, requests: t.requests, errors: t.errors,
      errorPct: t.requests > 0 ? Math.round((10000 * t.errors) / t.requests) / 100 : 0, timeouts: t.timeouts, rrtP99: t.rrtP99, rrtMax: t.rrtMax,
    });
  }
  if (by === 'errors') out.sort((a, b) => b.errors - a.errors || b.timeouts - a.timeouts || (b.rrtP99 ?? 0) - (a.rrtP99 ?? 0));
  else out.sort((a, b) => (b.rrtP99 ?? 0) - (a.rrtP99 ?? 0) || b.requests - a.requests);
  return out.slice(0, limit);
}

export interface MapNode {
  /** A server is `ip:port` (a service), a client its address. */
  id: string;
  label: string;
  kind: 'service' | 'client';
  ip: string;
  /** Requests it served (app layer) / bytes it received (network layer). */
  served: number;
  errors: number;
  group: string;
}

export interface MapEdge {
  id: string;
  source: string;
  target: string;
  port: number;
  protocol: string;
  requests: number;
  rps: number;
  errors: number;
  errorPct: number;
  rrtP99: number | null;
  bytes: number;
  rttAvg: number | null;
  retransmissions: number;
  flows: number;
}

/**
 * Service map over the range. App layer: client → server edges from metrics_app_1m (requests, errors, p99); network
 * layer: from metrics_net_1s (bytes, RTT, retransmissions). Nodes are addresses until tags exist (issue 5).
 */
export function serviceMap(db: Db, range: TimeRange = {}, layer: 'app' | 'network' = 'app'): { nodes: MapNode[]; edges: MapEdge[] } {
  const { from, to } = bounds(db, range);
  const seconds = Math.max(1, (to - from) / 1_000_000);
  const edges = new Map<string, MapEdge>();
  const hists = new Map<string, { hist: number[]; max: number }>();
  const edge = (client: string, server: string, port: number, protocol: string): MapEdge => {
    const target = serviceId(server, port);
    const id = `${client}>${target}/${protocol}`;
    let e = edges.get(id);
    if (!e) {
      e = { id, source: client, target, port, protocol, requests: 0, rps: 0, errors: 0, errorPct: 0, rrtP99: null, bytes: 0, rttAvg: null, retransmissions: 0, flows: 0 };
      edges.set(id, e);
    }
    return e;
  };
  if (layer === 'app') {
    const minFrom = Math.floor(from / 60_000_000) * 60_000_000;
    const rows = db.prepare(`SELECT ip_0, ip_1, server_port, l7_protocol, sum(request) AS request, sum(error) AS error, max(rrt_max) AS rrt_max,
        group_concat(rrt_hist, '|') AS hists FROM _metrics_app_1m WHERE time >= ? AND time < ? GROUP BY ip_0, ip_1, server_port, l7_protocol`)
      .all(minFrom, to) as { ip_0: string; ip_1: string; server_port: number; l7_protocol: string; request: number; error: number; rrt_max: number; hists: string }[];
    for (const r of rows) {
      const e = edge(r.ip_0, r.ip_1, r.server_port, r.l7_protocol);
      e.requests += r.request;
      e.errors += r.error;
      let h = hists.get(e.id);
      if (!h) {
        h = { hist: newHist(), max: 0 };
        hists.set(e.id, h);
      }
      for (const j of r.hists.split('|')) histFromJson(j, h.hist);
      if (r.rrt_max > h.max) h.max = r.rrt_max;
    }
    for (const e of edges.values()) {
      const h = hists.get(e.id);
      e.rrtP99 = h ? quantileFromBuckets(0.99, h.hist, h.max) : null;
      e.errorPct = e.requests > 0 ? Math.round((10000 * e.errors) / e.requests) / 100 : 0;
      e.rps = Math.round((100 * e.requests) / seconds) / 100;
    }
  } else {
    const secFrom = Math.floor(from / 1_000_000) * 1_000_000;
    const rows = db.prepare(`SELECT ip_0, ip_1, server_port, protocol, sum(byte_tx + byte_rx) AS bytes, sum(rtt_sum) AS rtt_sum, sum(rtt_count) AS rtt_count,
        sum(retrans_tx + retrans_rx) AS retrans, sum(new_flow) AS flows FROM _metrics_net_1s WHERE time >= ? AND time < ?
        GROUP BY ip_0, ip_1, server_port, protocol`)
      .all(secFrom, to) as { ip_0: string; ip_1: string; server_port: number; protocol: number; bytes: number; rtt_sum: number; rtt_count: number; retrans: number; flows: number }[];
    for (const r of rows) {
      const e = edge(r.ip_0, r.ip_1, r.server_port, r.protocol === 6 ? 'TCP' : r.protocol === 17 ? 'UDP' : String(r.protocol));
      e.bytes += r.bytes;
      e.retransmissions += r.retrans;
      e.flows += r.flows;
      e.rttAvg = r.rtt_count > 0 ? Math.round(r.rtt_sum / r.rtt_count) : e.rttAvg;
    }
  }
  const nodes = new Map<string, MapNode>();
  const node = (id: string, ip: string, kind: MapNode['kind']): MapNode => {
    let n = nodes.get(id);
    if (!n) {
      n = { id, label: id, kind, ip, served: 0, errors: 0, group: groupOf(ip) };
      nodes.set(id, n);
    }
    return n;
  };
  for (const e of edges.values()) {
    node(e.source, e.source, 'client');
    const t = node(e.target, e.target.slice(0, e.target.lastIndexOf(':')).replace(/^\[|\]$/g, ''), 'service');
    t.kind = 'service';
    t.served += layer === 'app' ? e.requests : e.bytes;
    t.errors += e.errors;
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

/** A server as the map and the filters name it: ip:port ([ip]:port for IPv6). */
export function serviceId(ip: string, port: number): string {
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** Without tags, addresses group by their /24 (IPv4) or /64 (IPv6) network. */
function groupOf(ip: string): string {
  if (ip.includes(':')) return `${ip.split(':').slice(0, 4).join(':')}::/64`;
  const p = ip.split('.');
  return p.length === 4 ? `${p[0]}.${p[1]}.${p[2]}.0/24` : ip;
}

export interface Page<T> {
  columns: string[];
  rows: T[];
  /** True when more rows follow this page. */
  hasMore: boolean;
  offset: number;
  limit: number;
  elapsedMs: number;
}

export interface LogQuery extends TimeRange {
  filter?: string;
  sort?: string;
  desc?: boolean;
  offset?: number;
  limit?: number;
}

export const REQUEST_LOG_COLUMNS = [
  'id', 'start_time', 'l7_protocol', 'type', 'ip_0', 'client_port', 'ip_1', 'server_port', 'request_type', 'request_domain',
  'request_resource', 'endpoint', 'response_code', 'response_status', 'response_exception', 'response_duration', 'request_length',
  'response_length', 'trace_id', 'x_request_id_0', 'flow_id', 'observation_point', 'signal_source', 'process_kname_0', 'process_kname_1',
] as const;

export const FLOW_LOG_COLUMNS = [
  'flow_id', 'start_time', 'end_time', 'duration', 'protocol_name', 'ip_0', 'client_port', 'ip_1', 'server_port', 'packet_tx',
  'packet_rx', 'byte_tx', 'byte_rx', 'rtt', 'srt_max', 'art_max', 'retrans_tx', 'retrans_rx', 'zero_win_tx', 'zero_win_rx',
  'rst_tx', 'rst_rx', 'close_type', 'status', 'observation_point',
] as const;

const MAX_PAGE = 1000;

function page(db: Db, view: string, columns: readonly string[], q: LogQuery, table: typeof REQUEST_FILTER, timeColumn: string, defaultSort: string): Page<unknown[]> {
  const t0 = performance.now();
  const f = compileFilter(q.filter ?? '', table);
  const sort = q.sort ?? defaultSort;
  if (!columns.includes(sort)) throw new RangeError(`cannot sort by '${sort}' (columns: ${columns.join(', ')})`);
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? 100)));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const where = [f.where];
  const params = [...f.params];
  if (q.from != null) {
    where.push(`${timeColumn} >= ?`);
    params.push(q.from);
  }
  if (q.to != null) {
    where.push(`${timeColumn} < ?`);
    params.push(q.to);
  }
  const order = `${sort} ${q.desc === false ? 'ASC' : q.desc === true ? 'DESC' : sort === defaultSort ? 'ASC' : 'DESC'}`;
  const tie = sort === columns[0] ? '' : `, ${columns[0]} ASC`;
  const stmt = db.prepare(`SELECT ${columns.join(', ')} FROM ${view} WHERE ${where.join(' AND ')} ORDER BY ${order}${tie} LIMIT ? OFFSET ?`).raw(true);
  const rows = stmt.all(...params, limit + 1, offset) as unknown[][];
  const hasMore = rows.length > limit;
  if (hasMore) rows.length = limit;
  return { columns: [...columns], rows, hasMore, offset, limit, elapsedMs: Math.round((performance.now() - t0) * 10) / 10 };
}

/** One page of l7_flow_log, filtered (filter.ts syntax) and sorted (default: time ascending). */
export function requestLog(db: Db, q: LogQuery = {}): Page<unknown[]> {
  return page(db, 'l7_flow_log', REQUEST_LOG_COLUMNS, q, REQUEST_FILTER, 'start_time', 'start_time');
}

/** One page of l4_flow_log. */
export function flowLog(db: Db, q: LogQuery = {}): Page<unknown[]> {
  return page(db, 'l4_flow_log', FLOW_LOG_COLUMNS, q, FLOW_FILTER, 'start_time', 'start_time');
}

/** Every column of one request, with its attributes parsed and the flow it belongs to. */
export function requestDetail(db: Db, id: number): { request: Record<string, unknown>; flow: Record<string, unknown> | null } | null {
  const r = db.prepare('SELECT * FROM l7_flow_log WHERE id = ?').get(id) as Record<string, unknown> | undefined;
  if (!r) return null;
  if (typeof r.attributes === 'string') {
    try {
      r.attributes = JSON.parse(r.attributes);
    } catch {
      // kept as text
    }
  }
  return { request: r, flow: flowDetail(db, Number(r.flow_id)) };
}

export function flowDetail(db: Db, flowId: number): Record<string, unknown> | null {
  return (db.prepare('SELECT * FROM l4_flow_log WHERE flow_id = ?').get(flowId) as Record<string, unknown> | undefined) ?? null;
}

export interface BundleInfo {
  bundles: Record<string, unknown>[];
  observationPoints: Record<string, unknown>[];
  capture: CaptureRange;
  totals: { packets: number; bytes: number; flows: number; requests: number; violations: number };
  violations: Record<string, unknown>[];
}

export function bundleInfo(db: Db): BundleInfo {
  const all = (sql: string): Record<string, unknown>[] => db.prepare(sql).all() as Record<string, unknown>[];
  const totals = db.prepare(`SELECT (SELECT coalesce(sum(packets), 0) FROM bundles) AS packets, (SELECT coalesce(sum(bytes), 0) FROM bundles) AS bytes,
      (SELECT count(*) FROM _l4_flow_log) AS flows, (SELECT count(*) FROM _l7_flow_log) AS requests,
      (SELECT coalesce(sum(count), 0) FROM ingest_violations) AS violations`).get() as BundleInfo['totals'];
  return {
    bundles: all(`SELECT id, path, file_name, size_bytes, format, gzip, format_version, host, writer, sections, interfaces, packets, bytes,
      first_time, last_time, flows, truncated_tail_bytes, unknown_blocks, violations, status, error, imported_at, import_duration FROM bundles ORDER BY id`),
    observationPoints: all(`SELECT id, bundle_id, name, description, link_type_name AS link_type, tap_side, host, packets, bytes, first_time,
      last_time, if_recv, if_drop, os_drop FROM observation_points ORDER BY id`),
    capture: captureRange(db),
    totals,
    violations: all('SELECT bundle, layer, kind, count, bytes_lost, first_frame FROM ingest_violation_summary ORDER BY count DESC LIMIT 50'),
  };
}
