// Typed queries behind the app's views (overview, service map, request and flow logs, bundle info). Pure functions
// over a read-only connection; times are µs since the epoch, ranges half-open [from, to).
import { errorPercent, quantileFromBuckets, RRT_BUCKET_COUNT } from '../l7/app-metrics.js';
import { RRT_BUCKET_COLUMNS } from '../store/schema.js';
import type { Db } from '../store/store.js';
import { compileFilter, FLOW_FILTER, REQUEST_FILTER } from './filter.js';
import { ipBytes } from './ip-functions.js';

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

/**
 * Which metric tables answer a range: the per-second ones up to MINUTE_TABLES_AFTER, the per-minute ones past it
 * (metrics_app_node_1m, metrics_net_1m: ~60× fewer rows). `from` is aligned to the table's interval.
 */
export const MINUTE_TABLES_AFTER = 10 * 60_000_000;

function tables(from: number, to: number): { app: string; net: string; step: number; from: number } {
  const minute = to - from > MINUTE_TABLES_AFTER;
  const step = minute ? 60_000_000 : 1_000_000;
  return { app: minute ? '_metrics_app_node_1m' : '_metrics_app_1s', net: minute ? '_metrics_net_1m' : '_metrics_net_1s', step, from: Math.floor(from / step) * step };
}

const newHist = (): number[] => new Array<number>(RRT_BUCKET_COUNT).fill(0);

/** Sums of one group of metrics_app rows (what SUMS selects). */
type AppSums = Record<string, number | string | null>;

/** The RED sums and the summed histogram, computed by SQLite over the rows of a group. */
const SUMS = `sum(request) AS request, sum(response) AS response, sum(error) AS error, sum(client_error) AS client_error,
  sum(server_error) AS server_error, sum(timeout) AS timeout, sum(rrt_sum) AS rrt_sum, sum(rrt_count) AS rrt_count, max(rrt_max) AS rrt_max,
  ${RRT_BUCKET_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ')}`;

/** The counters of RedTotals, summed over metric rows. */
interface RedCounters {
  requests: number;
  responses: number;
  errors: number;
  clientErrors: number;
  serverErrors: number;
  timeouts: number;
}

interface Acc extends RedCounters {
  rrtSum: number;
  rrtCount: number;
  rrtMax: number;
  hist: number[];
}

const newAcc = (): Acc => ({ requests: 0, responses: 0, errors: 0, clientErrors: 0, serverErrors: 0, timeouts: 0, rrtSum: 0, rrtCount: 0, rrtMax: 0, hist: newHist() });

function addSums(a: Acc, r: AppSums): Acc {
  a.requests += Number(r.request ?? 0);
  a.responses += Number(r.response ?? 0);
  a.errors += Number(r.error ?? 0);
  a.clientErrors += Number(r.client_error ?? 0);
  a.serverErrors += Number(r.server_error ?? 0);
  a.timeouts += Number(r.timeout ?? 0);
  a.rrtSum += Number(r.rrt_sum ?? 0);
  a.rrtCount += Number(r.rrt_count ?? 0);
  const max = Number(r.rrt_max ?? 0);
  if (max > a.rrtMax) a.rrtMax = max;
  for (let i = 0; i < RRT_BUCKET_COLUMNS.length; i++) a.hist[i] += Number(r[RRT_BUCKET_COLUMNS[i]] ?? 0);
  return a;
}

function totals(a: Acc): RedTotals {
  return {
    requests: a.requests, responses: a.responses, errors: a.errors, clientErrors: a.clientErrors, serverErrors: a.serverErrors, timeouts: a.timeouts,
    errorPct: errorPercent(a.errors, a.responses),
    rrtAvg: a.rrtCount > 0 ? Math.round(a.rrtSum / a.rrtCount) : null, rrtMax: a.rrtCount > 0 ? a.rrtMax : null,
    rrtP50: quantileFromBuckets(0.5, a.hist, a.rrtMax), rrtP90: quantileFromBuckets(0.9, a.hist, a.rrtMax), rrtP99: quantileFromBuckets(0.99, a.hist, a.rrtMax),
  };
}

export interface RedTotals extends RedCounters {
  /** Errors per response in % (errorPercent: DeepFlow's error_ratio). */
  errorPct: number;
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

/** Totals over the range: RED from metrics_app_1s (server side, all endpoints), network health from metrics_net_1s. */
export function overviewSummary(db: Db, range: TimeRange = {}): OverviewSummary {
  const { from, to } = bounds(db, range);
  const t = tables(from, to);
  const row = db.prepare(`SELECT ${SUMS} FROM ${t.app} WHERE time >= ? AND time < ?`).get(t.from, to) as AppSums;
  return { capture: captureRange(db), from, to, red: totals(addSums(newAcc(), row)), network: networkHealth(db, { from, to }) };
}

export function networkHealth(db: Db, range: TimeRange = {}): NetworkHealth {
  const { from, to } = bounds(db, range);
  const t = tables(from, to);
  const n = db.prepare(`SELECT coalesce(sum(packet_tx + packet_rx), 0) AS packets, coalesce(sum(byte_tx + byte_rx), 0) AS bytes,
      coalesce(sum(retrans_tx + retrans_rx), 0) AS retransmissions, coalesce(sum(resets), 0) AS resets,
      coalesce(sum(setup_failures), 0) AS setupFailures, coalesce(sum(timeouts), 0) AS timeouts,
      coalesce(sum(zero_win_tx + zero_win_rx), 0) AS zeroWindows, sum(rtt_sum) AS rttSum, sum(rtt_count) AS rttCount,
      max(CASE WHEN rtt_count > 0 THEN rtt_max END) AS rttMax, coalesce(sum(new_flow), 0) AS flows
    FROM ${t.net} WHERE time >= ? AND time < ?`).get(t.from, to) as Record<string, number | null>;
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
  const t = tables(from, to);
  // Intervals are whole steps of the table read (seconds, or minutes for long ranges).
  const interval = Math.max(1, Math.ceil(span / t.step / Math.max(1, points))) * t.step;
  const start = Math.floor(from / interval) * interval;
  const byTime = new Map<number, TimelinePoint>();
  const point = (time: number): TimelinePoint => {
    let p = byTime.get(time);
    if (!p) {
      p = { time, requests: 0, errors: 0, timeouts: 0, rrtMax: 0, bytes: 0, retransmissions: 0, resets: 0 };
      byTime.set(time, p);
    }
    return p;
  };
  // Parameters bind as REAL: the slot arithmetic is cast back to integers.
  const slot = `CAST(? + CAST((time - ?) / ? AS INTEGER) * ? AS INTEGER)`;
  const app = db.prepare(`SELECT ${slot} AS t, sum(request) AS requests, sum(error) AS errors, sum(timeout) AS timeouts,
      max(rrt_max) AS rrtMax FROM ${t.app} WHERE time >= ? AND time < ? GROUP BY t`)
    .all(start, start, interval, interval, start, to) as { t: number; requests: number; errors: number; timeouts: number; rrtMax: number }[];
  for (const r of app) Object.assign(point(r.t), { requests: r.requests, errors: r.errors, timeouts: r.timeouts, rrtMax: r.rrtMax });
  const net = db.prepare(`SELECT ${slot} AS t, sum(byte_tx + byte_rx) AS bytes, sum(retrans_tx + retrans_rx) AS retransmissions,
      sum(resets) AS resets FROM ${t.net} WHERE time >= ? AND time < ? GROUP BY t`)
    .all(start, start, interval, interval, start, to) as { t: number; bytes: number; retransmissions: number; resets: number }[];
  for (const r of net) Object.assign(point(r.t), { bytes: r.bytes, retransmissions: r.retransmissions, resets: r.resets });
  // Every interval present (zeros where nothing happened), so charts keep a true time axis.
  const out: TimelinePoint[] = [];
  for (let x = start; x < to; x += interval) out.push(byTime.get(x) ?? point(x));
  return { interval, points: out };
}

/** Requests, errors (client + server) and their share of the responses in % (errorPercent), of a service, an endpoint or an edge. */
export interface RedCounts {
  requests: number;
  errors: number;
  errorPct: number;
}

export interface ServiceRed extends RedCounts {
  /** `ip:port` (tags name it once they exist). */
  service: string;
  ip: string;
  port: number;
  protocol: string;
  /** Requests per second over the range. */
  rps: number;
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
  const t = tables(from, to);
  const secFrom = t.from;
  const sparkInterval = Math.max(1, Math.ceil((to - secFrom) / t.step / sparkPoints)) * t.step;
  const nSpark = Math.max(1, Math.ceil((to - secFrom) / sparkInterval));
  // One pass in SQLite: sums per service and sparkline slot; the slots of a service are then added up here.
  const rows = db.prepare(`SELECT ip_1, server_port, l7_protocol, min(CAST((time - ?) / ? AS INTEGER), ?) AS k, ${SUMS} FROM ${t.app}
      WHERE time >= ? AND time < ? GROUP BY ip_1, server_port, l7_protocol, k`)
    .all(secFrom, sparkInterval, nSpark - 1, secFrom, to) as (AppSums & { ip_1: string; server_port: number; l7_protocol: string; k: number })[];
  const seconds = Math.max(1, (to - from) / 1_000_000);
  const groups = new Map<string, { ip: string; port: number; protocol: string; acc: Acc; spark: number[]; sparkErrors: number[] }>();
  for (const r of rows) {
    const key = `${r.ip_1}|${r.server_port}|${r.l7_protocol}`;
    let g = groups.get(key);
    if (!g) {
      g = { ip: r.ip_1, port: r.server_port, protocol: r.l7_protocol, acc: newAcc(), spark: new Array<number>(nSpark).fill(0), sparkErrors: new Array<number>(nSpark).fill(0) };
      groups.set(key, g);
    }
    addSums(g.acc, r);
    g.spark[r.k] += Number(r.request);
    g.sparkErrors[r.k] += Number(r.error);
  }
  const services: ServiceRed[] = [];
  for (const g of groups.values()) {
    const tot = totals(g.acc);
    services.push({
      service: serviceId(g.ip, g.port), ip: g.ip, port: g.port, protocol: g.protocol, requests: tot.requests,
      rps: Math.round((100 * tot.requests) / seconds) / 100, errors: tot.errors,
      errorPct: tot.errorPct, timeouts: tot.timeouts,
      rrtP50: tot.rrtP50, rrtP90: tot.rrtP90, rrtP99: tot.rrtP99, rrtMax: tot.rrtMax, spark: g.spark, sparkErrors: g.sparkErrors,
    });
  }
  services.sort((a, b) => b.requests - a.requests || a.service.localeCompare(b.service));
  return { sparkInterval, services };
}

export interface EndpointRed extends RedCounts {
  ip: string;
  port: number;
  protocol: string;
  endpoint: string;
  timeouts: number;
  rrtP99: number | null;
  rrtMax: number | null;
}

/** Endpoints ranked by errors (then timeouts, then p99) over the range. */
export function topEndpoints(db: Db, range: TimeRange = {}, limit = 10, by: 'errors' | 'latency' = 'errors'): EndpointRed[] {
  const { from, to } = bounds(db, range);
  const t = tables(from, to);
  const secFrom = t.from;
  const rows = db.prepare(`SELECT ip_1, server_port, l7_protocol, endpoint, ${SUMS} FROM ${t.app} WHERE time >= ? AND time < ?
      GROUP BY ip_1, server_port, l7_protocol, endpoint`)
    .all(secFrom, to) as (AppSums & { ip_1: string; server_port: number; l7_protocol: string; endpoint: string })[];
  const out: EndpointRed[] = [];
  for (const r of rows) {
    const tot = totals(addSums(newAcc(), r));
    out.push({
      ip: r.ip_1, port: r.server_port, protocol: r.l7_protocol, endpoint: r.endpoint, requests: tot.requests, errors: tot.errors,
      errorPct: tot.errorPct, timeouts: tot.timeouts, rrtP99: tot.rrtP99, rrtMax: tot.rrtMax,
    });
  }
  if (by === 'errors') out.sort((a, b) => b.errors - a.errors || b.timeouts - a.timeouts || (b.rrtP99 ?? 0) - (a.rrtP99 ?? 0));
  else out.sort((a, b) => (b.rrtP99 ?? 0) - (a.rrtP99 ?? 0) || b.requests - a.requests);
  return out.slice(0, limit);
}

export interface MapNode {
  /** A service is `ip:port`, a client its address, a client group its network (10.1.5.0/24). */
  id: string;
  label: string;
  kind: 'service' | 'client' | 'clients';
  /** The address (services, clients) or the network (client groups). */
  ip: string;
  /** Requests it served (app layer) / bytes it received (network layer). */
  served: number;
  errors: number;
  group: string;
  /** Client groups: how many client addresses are in it. */
  members?: number;
}

export interface MapEdge extends RedCounts {
  id: string;
  source: string;
  target: string;
  port: number;
  protocol: string;
  rps: number;
  rrtP99: number | null;
  bytes: number;
  rttAvg: number | null;
  retransmissions: number;
  flows: number;
}

/** Past this many client addresses that are not services themselves, clients are drawn per network. */
export const MAP_MAX_CLIENT_NODES = 50;


/**
 * Service map over the range. App layer: client → server edges from metrics_app_1m (requests, errors, p99); network
 * layer: from metrics_net_1s (bytes, RTT, retransmissions). A service is an address and port that served; a client
 * address that is itself one service's address is drawn as that service (service → service calls), other clients
 * as themselves, or per network past MAP_MAX_CLIENT_NODES of them. Tags name them once they exist (issue 5).
 */
export function serviceMap(db: Db, range: TimeRange = {}, layer: 'app' | 'network' = 'app'): { nodes: MapNode[]; edges: MapEdge[] } {
  const { from, to } = bounds(db, range);
  const seconds = Math.max(1, (to - from) / 1_000_000);
  const t = tables(from, to);
  // Edges per client → server: application layer from the per-minute edge table, network layer from net metrics.
  const table = layer === 'app' ? '_metrics_app_1m' : t.net;
  const tFrom = layer === 'app' ? Math.floor(from / 60_000_000) * 60_000_000 : t.from;
  const proto = layer === 'app' ? 'l7_protocol' : 'protocol';
  // Services by address: a client address that is exactly one service's is that service (unless it calls itself).
  const servers = db.prepare(`SELECT DISTINCT ip_1, server_port FROM ${table} WHERE time >= ? AND time < ?`).raw().all(tFrom, to) as [string, number][];
  const servicesByIp = new Map<string, string[]>();
  for (const [ip, port] of servers) {
    const l = servicesByIp.get(ip);
    if (l) l.push(serviceId(ip, port));
    else servicesByIp.set(ip, [serviceId(ip, port)]);
  }
  const asService = (client: string, target: string): string | null => {
    const svc = servicesByIp.get(client);
    return svc?.length === 1 && svc[0] !== target ? svc[0] : null;
  };
  const clients = db.prepare(`SELECT DISTINCT ip_0 FROM ${table} WHERE time >= ? AND time < ?`).pluck().all(tFrom, to) as string[];
  let plain = 0;
  for (const c of clients) if ((servicesByIp.get(c)?.length ?? 0) !== 1) plain++;
  const grouped = plain > MAP_MAX_CLIENT_NODES;
  const nodes = new Map<string, MapNode>();
  const node = (id: string, ip: string, kind: MapNode['kind']): MapNode => {
    let n = nodes.get(id);
    if (!n) {
      n = { id, label: id, kind, ip, served: 0, errors: 0, group: kind === 'clients' ? ip : groupOf(ip) };
      nodes.set(id, n);
    } else if (kind === 'service') n.kind = 'service';
    return n;
  };
  const members = new Map<string, Set<string>>();
  const sourceOf = (client: string, target: string): MapNode => {
    const svc = asService(client, target);
    if (svc !== null) return node(svc, client, 'service');
    if (!grouped) return node(client, client, 'client');
    const net = groupOf(client);
    let m = members.get(net);
    if (!m) {
      m = new Set();
      members.set(net, m);
    }
    m.add(client);
    return node(net, net, 'clients');
  };
  type EdgeAcc = MapEdge & { hist: number[]; rrtMax: number; rttSum: number; rttCount: number; responses: number };
  const edges = new Map<string, EdgeAcc>();
  // SQLite groups the rows by the node each client address is drawn as (a function of this call), so that only one row
  // per edge comes back: materialising every client → server row cost seconds on 1M requests.
  // Per call of the function: a client that is not one service's address is drawn the same whatever it calls.
  const plainSource = new Map<string, string>();
  db.function('rewind_map_source', { deterministic: true }, (client: unknown, server: unknown, port: unknown) => {
    const c = client as string;
    const known = plainSource.get(c);
    if (known !== undefined) return known;
    if (servicesByIp.get(c)?.length === 1) return sourceOf(c, serviceId(server as string, port as number)).id;
    const id = sourceOf(c, '').id;
    plainSource.set(c, id);
    return id;
  });
  const aggs = layer === 'app'
    ? `sum(request), sum(error), max(rrt_max), sum(response), ${RRT_BUCKET_COLUMNS.map((c) => `sum(${c})`).join(', ')}`
    : 'sum(byte_tx + byte_rx), sum(rtt_sum), sum(rtt_count), sum(retrans_tx + retrans_rx), sum(new_flow)';
  const rows = db.prepare(`SELECT rewind_map_source(ip_0, ip_1, server_port) AS src, ip_1, server_port, ${proto}, ${aggs}
      FROM ${table} WHERE time >= ? AND time < ? GROUP BY src, ip_1, server_port, ${proto}`).raw().all(tFrom, to) as unknown[][];
  const NB = RRT_BUCKET_COLUMNS.length;
  for (const r of rows) {
    const target = serviceId(r[1] as string, r[2] as number);
    node(target, r[1] as string, 'service');
    const protocol = layer === 'app' ? String(r[3]) : r[3] === 6 ? 'TCP' : r[3] === 17 ? 'UDP' : String(r[3]);
    const id = `${r[0] as string}>${target}/${protocol}`;
    let e = edges.get(id);
    if (e === undefined) {
      e = { id, source: r[0] as string, target, port: r[2] as number, protocol, requests: 0, rps: 0, errors: 0, errorPct: 0, rrtP99: null, bytes: 0,
        rttAvg: null, retransmissions: 0, flows: 0, hist: newHist(), rrtMax: 0, rttSum: 0, rttCount: 0, responses: 0 };
      edges.set(id, e);
    }
    if (layer === 'app') {
      e.requests += r[4] as number;
      e.errors += r[5] as number;
      if ((r[6] as number) > e.rrtMax) e.rrtMax = r[6] as number;
      e.responses += r[7] as number;
      for (let i = 0; i < NB; i++) e.hist[i] += r[8 + i] as number;
    } else {
      e.bytes += r[4] as number;
      e.rttSum += r[5] as number;
      e.rttCount += r[6] as number;
      e.retransmissions += r[7] as number;
      e.flows += r[8] as number;
    }
  }
  const out: MapEdge[] = [];
  for (const e of edges.values()) {
    const { hist, rrtMax, rttSum, rttCount, responses, ...edge } = e;
    edge.rrtP99 = layer === 'app' ? quantileFromBuckets(0.99, hist, rrtMax) : null;
    edge.errorPct = errorPercent(edge.errors, responses);
    edge.rps = Math.round((100 * edge.requests) / seconds) / 100;
    edge.rttAvg = rttCount > 0 ? Math.round(rttSum / rttCount) : null;
    out.push(edge);
    const tn = nodes.get(edge.target) as MapNode;
    tn.served += layer === 'app' ? edge.requests : edge.bytes;
    tn.errors += edge.errors;
  }
  for (const [id, m] of members) {
    const n = nodes.get(id) as MapNode;
    n.members = m.size;
    n.label = `${id} (${m.size} clients)`;
  }
  // Tagged captures: nodes named by what their address was (a service's ClusterIP, a pod, a node).
  const names = addressNames(db);
  if (names.size > 0) {
    for (const n of nodes.values()) {
      if (n.kind === 'clients') continue;
      const name = names.get(n.ip);
      if (name === undefined) continue;
      const port = n.kind === 'service' ? n.id.slice(n.id.lastIndexOf(':') + 1) : '';
      n.label = port ? `${name.name}:${port}` : name.name;
      // Colour groups: the Kubernetes namespace (nodes: "nodes") instead of the address's network.
      n.group = name.group;
    }
  }
  return { nodes: [...nodes.values()], edges: out };
}

/**
 * Address → name from the tags (`resources`): a ClusterIP is its service (`reviews.shop`), a pod IP its pod, a node
 * IP its node. An address reused over time is named by its latest holder. Empty without tags.
 */
export function addressNames(db: Db): Map<string, { name: string; group: string }> {
  const out = new Map<string, { name: string; group: string }>();
  const rows = db.prepare(`SELECT ip, kind, name, namespace FROM resources WHERE ip IS NOT NULL AND kind IN ('Node', 'Pod', 'Service')
    ORDER BY CASE kind WHEN 'Node' THEN 0 WHEN 'Pod' THEN 1 ELSE 2 END, valid_from`).raw().all() as [string, string, string, string | null][];
  for (const [ip, kind, name, ns] of rows) {
    out.set(ip, kind === 'Node' ? { name: `node ${name}`, group: 'nodes' } : { name: kind === 'Service' ? `${name}.${ns ?? ''}` : name, group: ns ?? '' });
  }
  return out;
}

/** A server as the map and the filters name it: ip:port ([ip]:port for IPv6). */
export function serviceId(ip: string, port: number): string {
  return `${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
}

/** Without tags, addresses group by their /24 (IPv4) or /64 (IPv6) network. */
function groupOf(ip: string): string {
  const b = ipBytes(ip);
  if (b === null) return ip;
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.0/24`;
  const g = [0, 2, 4, 6].map((i) => b.readUInt16BE(i).toString(16));
  return `${g.join(':')}::/64`;
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
  'pod_0', 'pod_1', 'service_1',
] as const;

export const FLOW_LOG_COLUMNS = [
  'flow_id', 'start_time', 'end_time', 'duration', 'protocol_name', 'ip_0', 'client_port', 'ip_1', 'server_port', 'packet_tx',
  'packet_rx', 'byte_tx', 'byte_rx', 'rtt', 'srt_max', 'art_max', 'retrans_tx', 'retrans_rx', 'zero_win_tx', 'zero_win_rx',
  'rst_tx', 'rst_rx', 'close_type', 'status', 'observation_point', 'pod_0', 'pod_1', 'service_1',
] as const;

const MAX_PAGE = 1000;

function page(db: Db, view: string, columns: readonly string[], q: LogQuery, table: typeof REQUEST_FILTER, timeColumn: string, defaultSort: string, flowTable: string | null = null): Page<unknown[]> {
  const t0 = performance.now();
  const f = compileFilter(q.filter ?? '', table);
  let where0 = f.where;
  let params0 = f.params;
  if (flowTable !== null && f.flowWhere !== null) {
    // Few matching flows: their rows through the flow_id index (then sorted), instead of walking the whole time index
    // for rare matches. Many: the time index with LIMIT finds a page sooner.
    const flows = db.prepare(`SELECT count(*) FROM ${flowTable}`).pluck().get() as number;
    const matched = db.prepare(`SELECT count(*) FROM ${flowTable} WHERE ${f.flowWhere}`).pluck().get(...f.flowParams) as number;
    if (matched <= Math.max(2000, flows / 20)) {
      where0 = `flow_id IN (SELECT flow_id FROM ${flowTable} WHERE ${f.flowWhere}) AND ${f.rowWhere}`;
      params0 = [...f.flowParams, ...f.rowParams];
    }
  }
  const sort = q.sort ?? defaultSort;
  if (!columns.includes(sort)) throw new RangeError(`cannot sort by '${sort}' (columns: ${columns.join(', ')})`);
  const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(q.limit ?? 100)));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const where = [where0];
  const params = [...params0];
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
  return page(db, 'l7_flow_log', REQUEST_LOG_COLUMNS, q, REQUEST_FILTER, 'start_time', 'start_time', '_l7_flow');
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
