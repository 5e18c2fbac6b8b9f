// Findings: the answers an investigator wants first, from tagged requests (pods, services, tap sides).
// - Failing services: which service the errors start at (it fails while the services it calls do not), what its
//   own dependencies did (resets, refused connections, timeouts at the transport; errors at L7), and which services
//   only passed its failure on.
// - Added latency: per client → server pod pair, each request's response time at every observation point along the
//   path (client process c-p, client NIC c, client node c-nd, server node s-nd, server NIC s, server process s-p);
//   the time the latency changed (the split of the outermost series with the largest change of its mean), and the
//   hop between two adjacent points whose difference grew the most: that is where the delay is added.
import type { Db } from '../store/store.js';

export interface FailingService {
  service: string;
  namespace: string | null;
  pods: string[];
  requests: number;
  errors: number;
  codes: string;
  firstError: number | null;
  /** The service's own calls that failed, per dependency. */
  dependencies: { service: string; pods: string; calls: number; failedCalls: number; resets: number; refused: number; timeouts: number }[];
  /** Services that call this one and fail too (the failure passed on to them). */
  propagatedTo: string[];
  /** True for the service the failure starts at: none of the services it calls fails at L7. */
  origin: boolean;
}

export interface LatencyHop {
  clientPod: string;
  serverPod: string;
  protocol: string;
  /** The hop: the two adjacent observation points (tap sides) and the pod or node it lies in. */
  from: string;
  to: string;
  where: string;
  /** The pod the hop lies in (client's or server's), or null for a hop between nodes. */
  pod: string | null;
  addedUs: number;
  since: number;
  before: Record<string, number>;
  after: Record<string, number>;
  requests: number;
}

export interface Findings {
  failing: FailingService[];
  latency: LatencyHop[];
}

const PATH = ['c-p', 'c', 'c-nd', 's-nd', 's', 's-p'] as const;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Index k (rows [0,k) before, [k,n) after) maximising the change of the mean, at least `min` rows each side. */
export function changePoint(values: number[], min = 5): { k: number; delta: number } | null {
  const n = values.length;
  if (n < 2 * min) return null;
  const prefix = [0];
  for (const v of values) prefix.push(prefix[prefix.length - 1] + v);
  let best: { k: number; delta: number } | null = null;
  for (let k = min; k <= n - min; k++) {
    const delta = (prefix[n] - prefix[k]) / (n - k) - prefix[k] / k;
    if (best === null || Math.abs(delta) > Math.abs(best.delta)) best = { k, delta };
  }
  return best;
}

function hopWhere(from: string, to: string, clientPod: string, serverPod: string, nicOf: (pod: string) => string): { where: string; pod: string | null } {
  const key = `${from}>${to}`;
  if (key === 'c-p>c') return { where: `inside client pod ${clientPod}, between its process and its network interface${nicOf(clientPod)}`, pod: clientPod };
  if (key === 's>s-p') return { where: `inside server pod ${serverPod}, between its network interface${nicOf(serverPod)} and its process`, pod: serverPod };
  if (from === 'c' && (to === 'c-nd' || to === 's-nd' || to === 's')) return { where: `between client pod ${clientPod}'s interface and the network beyond it`, pod: clientPod };
  if (to === 's' && (from === 's-nd' || from === 'c-nd')) return { where: `on the server's node, between the network and server pod ${serverPod}'s interface`, pod: serverPod };
  if (from === 'c-nd' && to === 's-nd') return { where: 'between the client\'s node and the server\'s node (the tunnel/underlay)', pod: null };
  return { where: `between ${from} and ${to}`, pod: null };
}

export function findLatency(db: Db, minAddedUs = 20_000): LatencyHop[] {
  const rows = db.prepare(`SELECT pod_0, pod_1, l7_protocol, tap_side, start_time, rrt FROM l7_flow_log
    WHERE pod_0 IS NOT NULL AND pod_1 IS NOT NULL AND rrt IS NOT NULL AND tap_side IN ('c-p', 'c', 'c-nd', 's-nd', 's', 's-p')
    ORDER BY start_time`).all() as { pod_0: string; pod_1: string; l7_protocol: string; tap_side: string; start_time: number; rrt: number }[];
  const pairs = new Map<string, Map<string, { t: number; rrt: number }[]>>();
  for (const r of rows) {
    const k = `${r.pod_0}\u0000${r.pod_1}\u0000${r.l7_protocol}`;
    let sides = pairs.get(k);
    if (!sides) pairs.set(k, (sides = new Map()));
    let list = sides.get(r.tap_side);
    if (!list) sides.set(r.tap_side, (list = []));
    list.push({ t: r.start_time, rrt: r.rrt });
  }
  // The pod's interface as captured (its veth on the node), to name the hop.
  const nics = db.prepare(`SELECT json_extract(metadata, '$.pod') AS pod, name, host FROM observation_points
    WHERE json_extract(metadata, '$.kind') = 'pod-veth' AND json_extract(metadata, '$.pod') IS NOT NULL`).all() as { pod: string; name: string; host: string | null }[];
  const nicOf = (pod: string): string => {
    const n = nics.find((x) => x.pod === pod);
    return n ? ` (${n.name} on ${n.host ?? 'its node'})` : '';
  };
  const out: LatencyHop[] = [];
  for (const [k, sides] of pairs) {
    const [clientPod, serverPod, protocol] = k.split('\u0000');
    const present = PATH.filter((s) => (sides.get(s)?.length ?? 0) >= 10);
    if (present.length < 2) continue;
    // When did it change? The outermost series' largest change of mean.
    const outer = sides.get(present[0]) as { t: number; rrt: number }[];
    const cp = changePoint(outer.map((x) => x.rrt));
    if (cp === null) continue;
    const since = outer[cp.k].t;
    const before: Record<string, number> = {};
    const after: Record<string, number> = {};
    for (const s of present) {
      const list = sides.get(s) as { t: number; rrt: number }[];
      const b = list.filter((x) => x.t < since).map((x) => x.rrt);
      const a = list.filter((x) => x.t >= since).map((x) => x.rrt);
      if (b.length < 3 || a.length < 3) continue;
      before[s] = median(b);
      after[s] = median(a);
    }
    const pts = present.filter((s) => s in before);
    let best: { from: string; to: string; added: number } | null = null;
    for (let i = 0; i + 1 < pts.length; i++) {
      const a = pts[i];
      const b = pts[i + 1];
      const added = (after[a] - after[b]) - (before[a] - before[b]);
      if (best === null || added > best.added) best = { from: a, to: b, added };
    }
    if (best === null || best.added < minAddedUs) continue;
    const w = hopWhere(best.from, best.to, clientPod, serverPod, nicOf);
    out.push({
      clientPod, serverPod, protocol, from: best.from, to: best.to, where: w.where, pod: w.pod, addedUs: Math.round(best.added), since,
      before, after, requests: outer.length,
    });
  }
  return out.sort((a, b) => b.addedUs - a.addedUs);
}

export function findFailingServices(db: Db): FailingService[] {
  // Server errors and timeouts only: a client error (4xx, NXDOMAIN of a resolver's search list) is the caller's.
  // Each service's requests as its server side saw them (its process when eBPF saw it, else its pod's interface).
  const served = db.prepare(`WITH side AS (
      SELECT service_1 AS service, service_ns_1 AS ns, pod_1, response_status, response_code, start_time, tap_side,
        max(CASE tap_side WHEN 's-p' THEN 2 WHEN 's' THEN 1 ELSE 0 END) OVER (PARTITION BY service_1) AS best,
        CASE tap_side WHEN 's-p' THEN 2 WHEN 's' THEN 1 ELSE 0 END AS rank
      FROM l7_flow_log WHERE service_1 IS NOT NULL AND tap_side IN ('s-p', 's'))
    SELECT service, ns, group_concat(DISTINCT pod_1) AS pods, count(*) AS requests,
      sum(response_status IN ('server_error', 'timeout')) AS errors,
      min(CASE WHEN response_status IN ('server_error', 'timeout') THEN start_time END) AS first_error,
      group_concat(DISTINCT CASE WHEN response_status IN ('server_error', 'timeout') THEN coalesce(response_code, response_status) END) AS codes
    FROM side WHERE rank = best GROUP BY service, ns`).all() as { service: string; ns: string | null; pods: string; requests: number; errors: number; first_error: number | null; codes: string | null }[];
  const failing = served.filter((s) => s.errors >= 3 && s.errors / s.requests >= 0.02);
  const failingNames = new Set(failing.map((s) => s.service));
  const out: FailingService[] = [];
  for (const s of failing) {
    const pods = s.pods.split(',');
    const ph = pods.map(() => '?').join(',');
    // Its own calls: L7 answers at its process or interface, and the transport (resets, refusals) of its flows.
    const deps = db.prepare(`SELECT coalesce(service_1, pod_1, ip_1) AS service, group_concat(DISTINCT pod_1) AS pods, count(*) AS calls,
        sum(response_status IN ('server_error', 'timeout')) AS failed
      FROM l7_flow_log WHERE pod_0 IN (${ph}) AND tap_side = (SELECT CASE WHEN EXISTS (SELECT 1 FROM l7_flow_log WHERE pod_0 IN (${ph}) AND tap_side = 'c-p') THEN 'c-p' ELSE 'c' END)
      GROUP BY 1`).all(...pods, ...pods) as { service: string; pods: string | null; calls: number; failed: number }[];
    const net = db.prepare(`SELECT coalesce(service_1, pod_1, ip_1) AS service, sum(close_type = 'server-reset') AS resets,
        sum(close_type = 'server-reset-on-syn') AS refused, sum(close_type IN ('connect-timeout', 'server-syn-timeout', 'client-syn-retrans-timeout')) AS timeouts
      FROM l4_flow_log WHERE pod_0 IN (${ph}) AND tap_side = 'c' GROUP BY 1`).all(...pods) as { service: string; resets: number; refused: number; timeouts: number }[];
    const netBy = new Map(net.map((n) => [n.service, n]));
    const dependencies = deps.map((d) => ({
      service: d.service, pods: d.pods ?? '', calls: d.calls, failedCalls: d.failed, resets: netBy.get(d.service)?.resets ?? 0,
      refused: netBy.get(d.service)?.refused ?? 0, timeouts: netBy.get(d.service)?.timeouts ?? 0,
    }));
    for (const n of net) {
      if (!dependencies.some((d) => d.service === n.service) && n.resets + n.refused + n.timeouts > 0) {
        dependencies.push({ service: n.service, pods: '', calls: 0, failedCalls: 0, resets: n.resets, refused: n.refused, timeouts: n.timeouts });
      }
    }
    dependencies.sort((a, b) => b.failedCalls + b.resets + b.refused + b.timeouts - (a.failedCalls + a.resets + a.refused + a.timeouts));
    const callers = db.prepare(`SELECT DISTINCT service_1 AS svc FROM l7_flow_log WHERE service_1 IS NOT NULL AND pod_1 IN
        (SELECT DISTINCT pod_0 FROM l7_flow_log WHERE service_1 = ? AND pod_0 IS NOT NULL)`).all(s.service) as { svc: string }[];
    out.push({
      service: s.service, namespace: s.ns, pods, requests: s.requests, errors: s.errors, codes: s.codes ?? '', firstError: s.first_error,
      dependencies: dependencies.filter((d) => d.failedCalls + d.resets + d.refused + d.timeouts > 0),
      propagatedTo: callers.map((c) => c.svc).filter((c) => failingNames.has(c) && c !== s.service),
      origin: !dependencies.some((d) => failingNames.has(d.service) && d.service !== s.service && d.failedCalls > 0),
    });
  }
  return out.sort((a, b) => Number(b.origin) - Number(a.origin) || (a.firstError ?? 0) - (b.firstError ?? 0));
}

export function findings(db: Db): Findings {
  const tagged = (db.prepare('SELECT count(*) FROM resources').pluck().get() as number) > 0;
  if (!tagged) return { failing: [], latency: [] };
  return { failing: findFailingServices(db), latency: findLatency(db) };
}
