// Incident report over a Rewind database: capture overview, top talkers, failed and slow connections, retransmission hot spots.
import { errorPercent, quantileFromBuckets } from '../l7/app-metrics.js';
import { RRT_BUCKET_COLUMNS } from '../store/schema.js';
import { findings } from './findings.js';
import type { Findings } from './findings.js';
import type { Db } from '../store/store.js';

export interface ReportOptions {
  /** Rows per ranked section. */
  top?: number;
}

export interface IncidentReport {
  captures: Record<string, unknown>[];
  observationPoints: Record<string, unknown>[];
  totals: {
    packets: number;
    flows: number;
    tcpFlows: number;
    udpFlows: number;
    otherFlows: number;
    firstTime: number | null;
    lastTime: number | null;
    bytes: number;
  };
  closeTypes: { close_type: string; flows: number }[];
  topTalkers: Record<string, unknown>[];
  failedConnections: Record<string, unknown>[];
  failedByServer: Record<string, unknown>[];
  slowHandshakes: Record<string, unknown>[];
  slowResponses: Record<string, unknown>[];
  retransmissionHotSpots: Record<string, unknown>[];
  zeroWindow: Record<string, unknown>[];
  violations: Record<string, unknown>[];
  /** eBPF: requests per process and side (server on s-p, client on c-p), with errors, TLS plaintext and the command. */
  processes: Record<string, unknown>[];
  /** From tagged captures: where failures start and where latency is added (report/findings.ts). */
  findings: Findings;
  /** RED per endpoint (from metrics_app_1m), ranked two ways, and the seconds with most errors. */
  red: {
    requests: number;
    responses: number;
    errors: number;
    timeouts: number;
    slowestEndpoints: RedRow[];
    failingEndpoints: RedRow[];
    errorBursts: Record<string, unknown>[];
  };
}

export interface RedRow {
  l7_protocol: string;
  server: string;
  server_port: number;
  endpoint: string;
  requests: number;
  responses: number;
  errors: number;
  error_pct: number;
  timeouts: number;
  rrt_p50: number | null;
  rrt_p90: number | null;
  rrt_p99: number | null;
  rrt_max: number;
}

/** Endpoint RED rows over the whole capture: per-minute rows summed in SQL, percentiles from the summed histogram. */
function redRows(db: Db): RedRow[] {
  const rows = db.prepare(`SELECT l7_protocol, ip_1, server_port, endpoint, sum(request) AS request, sum(response) AS response, sum(error) AS error, sum(timeout) AS timeout,
      max(rrt_max) AS rrt_max, ${RRT_BUCKET_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ')}
    FROM _metrics_app_1m GROUP BY l7_protocol, ip_1, server_port, endpoint`).all() as Record<string, number | string>[];
  return rows.map((r) => {
    const hist = RRT_BUCKET_COLUMNS.map((c) => Number(r[c] ?? 0));
    const requests = Number(r.request);
    const errors = Number(r.error);
    const max = Number(r.rrt_max);
    return {
      l7_protocol: String(r.l7_protocol), server: String(r.ip_1), server_port: Number(r.server_port), endpoint: String(r.endpoint), requests, responses: Number(r.response), errors,
      error_pct: errorPercent(errors, Number(r.response)), timeouts: Number(r.timeout),
      rrt_p50: quantileFromBuckets(0.5, hist, max), rrt_p90: quantileFromBuckets(0.9, hist, max), rrt_p99: quantileFromBuckets(0.99, hist, max), rrt_max: max,
    };
  });
}

const FAILED = `('client-reset','server-reset','client-syn-repeat','server-synack-repeat','server-reset-on-syn','client-reset-on-setup','timeout','client-half-close','server-half-close')`;

export function buildReport(db: Db, opts: ReportOptions = {}): IncidentReport {
  const top = opts.top ?? 10;
  const all = (sql: string, ...args: unknown[]): Record<string, unknown>[] => db.prepare(sql).all(...args) as Record<string, unknown>[];
  const totalsRow = db.prepare(`SELECT
      (SELECT coalesce(sum(packets),0) FROM bundles) AS packets,
      count(*) AS flows,
      coalesce(sum(protocol = 6),0) AS tcpFlows,
      coalesce(sum(protocol = 17),0) AS udpFlows,
      coalesce(sum(protocol NOT IN (6,17)),0) AS otherFlows,
      (SELECT min(first_time) FROM bundles) AS firstTime,
      (SELECT max(last_time) FROM bundles) AS lastTime,
      coalesce(sum(byte_tx + byte_rx),0) AS bytes
    FROM _l4_flow_log`).get() as IncidentReport['totals'];
  return {
    captures: all(`SELECT file_name AS file, format, packets, flows, first_time, last_time, status, truncated_tail_bytes, violations, error
      FROM bundles ORDER BY id`),
    observationPoints: all(`SELECT op.name, op.link_type_name AS link_type, op.tap_side, op.packets, op.bytes, op.if_drop, op.os_drop,
      b.file_name AS file FROM observation_points op JOIN bundles b ON b.id = op.bundle_id ORDER BY op.id`),
    totals: totalsRow,
    closeTypes: all(`SELECT close_type, count(*) AS flows FROM _l4_flow_log GROUP BY close_type ORDER BY flows DESC`) as IncidentReport['closeTypes'],
    topTalkers: all(`SELECT ip_0 AS client, ip_1 AS server, server_port, protocol_name AS protocol, count(*) AS flows,
        sum(packet_tx + packet_rx) AS packets, sum(byte_tx) AS byte_tx, sum(byte_rx) AS byte_rx, sum(byte_tx + byte_rx) AS bytes
      FROM l4_flow_log GROUP BY ip_0, ip_1, server_port, protocol ORDER BY bytes DESC LIMIT ?`, top),
    failedConnections: all(`SELECT flow_id, ip_0 AS client, client_port, ip_1 AS server, server_port, protocol_name AS protocol,
        close_type, status, start_time, duration, retrans_syn, retrans_synack, rst_tx, rst_rx, observation_point
      FROM l4_flow_log WHERE close_type IN ${FAILED} ORDER BY start_time LIMIT ?`, top * 2),
    failedByServer: all(`SELECT ip_1 AS server, server_port, protocol_name AS protocol, close_type, count(*) AS flows,
        min(start_time) AS first_time, max(end_time) AS last_time
      FROM l4_flow_log WHERE close_type IN ${FAILED} GROUP BY ip_1, server_port, protocol, close_type ORDER BY flows DESC LIMIT ?`, top),
    slowHandshakes: all(`SELECT flow_id, ip_0 AS client, ip_1 AS server, server_port, rtt, rtt_client, rtt_server, start_time
      FROM l4_flow_log WHERE rtt IS NOT NULL ORDER BY rtt DESC LIMIT ?`, top),
    slowResponses: all(`SELECT flow_id, ip_0 AS client, ip_1 AS server, server_port, art_max, art, srt_max, srt, start_time
      FROM l4_flow_log WHERE art_max IS NOT NULL OR srt_max IS NOT NULL
      ORDER BY max(coalesce(art_max,0), coalesce(srt_max,0)) DESC LIMIT ?`, top),
    retransmissionHotSpots: all(`SELECT ip_0 AS client, ip_1 AS server, server_port, protocol_name AS protocol, count(*) AS flows,
        sum(retrans_tx) AS retrans_tx, sum(retrans_rx) AS retrans_rx, sum(packet_tx + packet_rx) AS packets,
        round(100.0 * sum(retrans_tx + retrans_rx) / sum(packet_tx + packet_rx), 2) AS retrans_pct,
        sum(ooo_tx + ooo_rx) AS out_of_order
      FROM l4_flow_log WHERE protocol = 6 GROUP BY ip_0, ip_1, server_port HAVING sum(retrans_tx + retrans_rx) > 0
      ORDER BY sum(retrans_tx + retrans_rx) DESC LIMIT ?`, top),
    zeroWindow: all(`SELECT flow_id, ip_0 AS client, ip_1 AS server, server_port, zero_win_tx, zero_win_rx, start_time
      FROM l4_flow_log WHERE zero_win_tx + zero_win_rx > 0 ORDER BY zero_win_tx + zero_win_rx DESC LIMIT ?`, top),
    violations: all(`SELECT bundle, layer, kind, count, bytes_lost, first_frame FROM ingest_violation_summary ORDER BY count DESC LIMIT ?`, top * 2),
    processes: all(`SELECT l.pid, l.comm, CASE l.tap_side WHEN 's-p' THEN 'server' ELSE 'client' END AS side, l.requests, l.errors,
        l.timeouts, l.tls_requests, l.protocols, l.rrt_max, p.cmdline
      FROM (SELECT coalesce(process_id_1, process_id_0) AS pid, coalesce(process_kname_1, process_kname_0) AS comm, tap_side,
          bundle_id, count(*) AS requests, sum(response_status IN ('client_error', 'server_error')) AS errors,
          sum(response_status = 'timeout') AS timeouts, sum(is_tls) AS tls_requests, group_concat(DISTINCT l7_protocol) AS protocols,
          max(rrt) AS rrt_max
        FROM l7_flow_log WHERE signal_source = 'ebpf' GROUP BY bundle_id, pid, tap_side) l
      LEFT JOIN (SELECT bundle_id, pid, max(cmdline) AS cmdline FROM processes GROUP BY bundle_id, pid) p
        ON p.bundle_id = l.bundle_id AND p.pid = l.pid
      ORDER BY l.requests DESC LIMIT ?`, top),
    findings: findings(db),
    red: (() => {
      const rows = redRows(db);
      return {
        requests: rows.reduce((a, r) => a + r.requests, 0),
        responses: rows.reduce((a, r) => a + r.responses, 0),
        errors: rows.reduce((a, r) => a + r.errors, 0),
        timeouts: rows.reduce((a, r) => a + r.timeouts, 0),
        slowestEndpoints: rows.filter((r) => r.rrt_p99 !== null).sort((a, b) => (b.rrt_p99 ?? 0) - (a.rrt_p99 ?? 0)).slice(0, top),
        failingEndpoints: rows.filter((r) => r.errors + r.timeouts > 0).sort((a, b) => b.errors + b.timeouts - (a.errors + a.timeouts)).slice(0, top),
        errorBursts: all(`SELECT time AS start_time, sum(error) AS errors, sum(timeout) AS timeouts, sum(request) AS requests,
            group_concat(DISTINCT l7_protocol || ' ' || endpoint) AS endpoints
          FROM _metrics_app_1s GROUP BY time HAVING sum(error) + sum(timeout) > 0 ORDER BY sum(error) + sum(timeout) DESC, time LIMIT ?`, top),
      };
    })(),
  };
}
