// Store schema v4: DDL of the SQLite tables and the user-facing views (documented in docs/schema.md).

import { RRT_BUCKET_COUNT } from '../l7/app-metrics.js';
import { X_REQUEST_ID_SAME } from '../l7/record-row.js';
import { caseOf, L7_PROTOCOL_IDS, L7_TYPES, RESPONSE_STATUSES, SIGNAL_SOURCES } from './l7-codes.js';

/** The rrt histogram's columns of the metrics_app tables: rrt_b0 … rrt_b16. */
export const RRT_BUCKET_COLUMNS: readonly string[] = Array.from({ length: RRT_BUCKET_COUNT }, (_, i) => `rrt_b${i}`);

export const SCHEMA_VERSION = 7;

/**
 * Physical tables carry integer ids; users query the views of the same DeepFlow-style names
 * (l4_flow_log, metrics_net_1s, ...), which join names in as text.
 */
/** Derived columns of the metric views (the same for the 1 s and 1 m tables). */
const APP_VIEW_COLUMNS = `
  CASE WHEN m.rrt_count > 0 THEN m.rrt_sum / m.rrt_count END AS rrt,
  CASE WHEN m.response > 0 THEN round(100.0 * m.error / m.response, 2) END AS error_ratio`;
const NET_VIEW_COLUMNS = `
  CASE WHEN m.rtt_count > 0 THEN m.rtt_sum / m.rtt_count END AS rtt,
  CASE WHEN m.srt_count > 0 THEN m.srt_sum / m.srt_count END AS srt,
  CASE WHEN m.art_count > 0 THEN m.art_sum / m.art_count END AS art`;

/** The user-facing views `<name>_1s` and `<name>_1m` over `_<name>_1s/1m`, with names joined in. */
function metricViews(name: string, derived: string): string {
  return ['1s', '1m'].map((i) => `DROP VIEW IF EXISTS ${name}_${i};
CREATE VIEW ${name}_${i} AS
SELECT m.*, op.name AS observation_point, op.tap_side AS tap_side,${derived}
FROM _${name}_${i} m LEFT JOIN observation_points op ON op.id = m.observation_point_id;
`).join('\n');
}

/** The auto-tagging columns of the flow views (names joined from resources by the ids the facts carry). */
const TAG_COLUMNS = `
  p0.name AS pod_0, p0.namespace AS pod_ns_0, coalesce(p0.node, n0.name) AS pod_node_0, p0.workload AS workload_0,
  p0.workload_kind AS workload_type_0, p0.labels AS k8s_labels_0, n0.region AS region_0, n0.zone AS az_0,
  p1.name AS pod_1, p1.namespace AS pod_ns_1, coalesce(p1.node, n1.name) AS pod_node_1, p1.workload AS workload_1,
  p1.workload_kind AS workload_type_1, p1.labels AS k8s_labels_1, n1.region AS region_1, n1.zone AS az_1,
  s1.name AS service_1, s1.namespace AS service_ns_1`;
const TAG_JOINS = (f: string): string => `
LEFT JOIN resources p0 ON p0.id = ${f}.pod_res_0
LEFT JOIN resources p1 ON p1.id = ${f}.pod_res_1
LEFT JOIN resources s1 ON s1.id = ${f}.service_res_1
LEFT JOIN resources n0 ON n0.id = ${f}.node_res_0
LEFT JOIN resources n1 ON n1.id = ${f}.node_res_1`;

/** The tag ids both flow tables carry (_l4_flow_log and _l7_flow), as the last columns. */
const TAG_ID_COLUMNS = `  -- Auto-tagging (integer-encoded: ids of resources rows; names and labels join at query time through the views)
  pod_res_0            INTEGER,           -- resources: the client's pod (the version valid at start_time)
  pod_res_1            INTEGER,           -- resources: the server's pod (behind a ClusterIP: the real backend)
  service_res_1        INTEGER,           -- resources: the service the server side is reached through or belongs to
  node_res_0           INTEGER,           -- resources: the client's node (its pod's node, or the node whose address it is)
  node_res_1           INTEGER,
  flow_tap_side        TEXT               -- where this observation point sits for this flow (c, s, c-nd, s-nd, local), when known`;

/** Quoted SQL identifier. */
const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** The tag columns with one `k8s.label.<key>_0/_1` column per pod label key the database holds (DeepFlow's names). */
function tagColumns(labelKeys: readonly string[]): string {
  const path = (k: string): string => `'$."${k.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/'/g, "''")}"'`;
  const labels = labelKeys.flatMap((k) => [
    `json_extract(p0.labels, ${path(k)}) AS ${ident(`k8s.label.${k}_0`)}`,
    `json_extract(p1.labels, ${path(k)}) AS ${ident(`k8s.label.${k}_1`)}`,
  ]);
  return labels.length === 0 ? TAG_COLUMNS : `${TAG_COLUMNS},\n  ${labels.join(',\n  ')}`;
}

/**
 * DDL of the flow views (l4_flow_log, l7_flow_log). Recreated when tags bring label keys: a view cannot grow columns
 * by itself, and users query `"k8s.label.app_1"` as in DeepFlow.
 */
export function flowViewsDdl(labelKeys: readonly string[]): string {
  return `
DROP VIEW IF EXISTS l4_flow_log;
CREATE VIEW l4_flow_log AS
SELECT f.*,
  op.name AS observation_point,
  coalesce(f.flow_tap_side, op.tap_side) AS tap_side,
  b.file_name AS bundle,${tagColumns(labelKeys)},
  CASE f.protocol WHEN 6 THEN 'TCP' WHEN 17 THEN 'UDP' WHEN 1 THEN 'ICMP' WHEN 58 THEN 'ICMPv6'
    WHEN 47 THEN 'GRE' WHEN 132 THEN 'SCTP' ELSE CAST(f.protocol AS TEXT) END AS protocol_name,
  CASE WHEN f.srt_count > 0 THEN f.srt_sum / f.srt_count END AS srt,
  CASE WHEN f.art_count > 0 THEN f.art_sum / f.art_count END AS art,
  CASE WHEN f.cit_count > 0 THEN f.cit_sum / f.cit_count END AS cit
FROM _l4_flow_log f
LEFT JOIN observation_points op ON op.id = f.observation_point_id
LEFT JOIN bundles b ON b.id = f.bundle_id${TAG_JOINS('f')};

DROP VIEW IF EXISTS l7_flow_log;
CREATE VIEW l7_flow_log AS
SELECT l.id, l.flow_id, f.bundle_id, f.observation_point_id,
  ${caseOf('f.signal_source', SIGNAL_SOURCES)} AS signal_source,
  p.name AS l7_protocol, l.version, ${caseOf('l.type', L7_TYPES)} AS type,
  f.ip_0, f.ip_1, f.client_port, f.server_port, f.protocol,
  l.request_type, l.request_domain, l.request_resource, l.endpoint, l.request_id, l.response_code,
  ${caseOf('l.response_status', RESPONSE_STATUSES)} AS response_status, l.response_status AS response_status_id,
  l.response_exception, l.response_result, l.request_length, l.response_length, l.start_time, l.end_time,
  l.response_duration, l.req_tcp_seq, l.resp_tcp_seq, l.trace_id, l.span_id, l.x_request_id_0,
  CASE l.x_request_id_1 WHEN '${X_REQUEST_ID_SAME}' THEN l.x_request_id_0 ELSE l.x_request_id_1 END AS x_request_id_1,
  l.http_real_client, (SELECT a.json FROM _l7_attributes a WHERE a.id = l.attributes_id) AS attributes,
  CASE WHEN op.tap_side = 'c-p' THEN f.process_id END AS process_id_0,
  CASE WHEN op.tap_side = 's-p' THEN f.process_id END AS process_id_1,
  CASE WHEN op.tap_side = 'c-p' THEN f.process_kname END AS process_kname_0,
  CASE WHEN op.tap_side = 's-p' THEN f.process_kname END AS process_kname_1,
  f.is_tls,
  s.syscall_trace_id_request, s.syscall_trace_id_response, s.syscall_thread_0, s.syscall_thread_1,
  s.syscall_cap_seq_0, s.syscall_cap_seq_1,
  op.name AS observation_point, coalesce(f.flow_tap_side, op.tap_side) AS tap_side, b.file_name AS bundle,
  l.response_duration AS rrt,${tagColumns(labelKeys)}
FROM _l7_flow_log l
JOIN _l7_flow f ON f.flow_id = l.flow_id
LEFT JOIN _l7_syscall s ON s.id = l.id
LEFT JOIN _l7_protocols p ON p.id = l.l7_protocol
LEFT JOIN observation_points op ON op.id = f.observation_point_id
LEFT JOIN bundles b ON b.id = f.bundle_id${TAG_JOINS('f')};

`;
}

/** Distinct label keys of the pods in `resources` (sorted). */
export const POD_LABEL_KEYS_SQL = "SELECT DISTINCT j.key FROM resources r, json_each(r.labels) j WHERE r.kind = 'Pod' AND r.labels IS NOT NULL ORDER BY 1";

export const SCHEMA_DDL = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS bundles (
  id                   INTEGER PRIMARY KEY,
  path                 TEXT NOT NULL,
  file_name            TEXT NOT NULL,
  size_bytes           INTEGER NOT NULL,
  format               TEXT,            -- pcapng | pcap | pcap-ns
  gzip                 INTEGER NOT NULL DEFAULT 0,
  format_version       TEXT,            -- Rewind bundle format version, NULL for foreign captures
  host                 TEXT,            -- recording host from the section header, if any
  writer               TEXT,            -- shb_userappl of the first section
  sections             INTEGER NOT NULL DEFAULT 0,
  interfaces           INTEGER NOT NULL DEFAULT 0,
  packets              INTEGER NOT NULL DEFAULT 0,
  bytes                INTEGER NOT NULL DEFAULT 0,   -- decompressed input bytes consumed
  first_time           INTEGER,         -- µs since epoch
  last_time            INTEGER,
  flows                INTEGER NOT NULL DEFAULT 0,
  truncated_tail_bytes INTEGER NOT NULL DEFAULT 0,
  unknown_blocks       TEXT,            -- JSON {blockType: count}
  violations           INTEGER NOT NULL DEFAULT 0,
  status               TEXT NOT NULL,   -- importing | ok | partial | failed
  error                TEXT,
  imported_at          INTEGER NOT NULL, -- µs since epoch (wall clock of the import)
  import_duration      INTEGER           -- µs
);

-- Processes from the bundles' process-table records (the agent's /proc snapshots): resolve eBPF pids offline.
-- eBPF: the TCP socket events an agent recorded (TCP lifecycle records: closes, state changes, retransmissions).
CREATE TABLE IF NOT EXISTS tcp_events (
  id                   INTEGER PRIMARY KEY,
  bundle_id            INTEGER NOT NULL,
  host                 TEXT,
  time                 INTEGER NOT NULL,   -- µs since the epoch
  type                 TEXT NOT NULL,      -- close | state | retransmit (as the bundle names them)
  socket_id            TEXT,               -- the tracer's socket id (decimal), joins syscall records of the socket
  pid                  INTEGER,            -- the process the kernel ran for (0 in softirq)
  local_ip             TEXT,
  local_port           INTEGER,
  remote_ip            TEXT,
  remote_port          INTEGER,
  old_state            TEXT,               -- state: Linux names (SYN_SENT, ESTABLISHED, …)
  new_state            TEXT,
  state                TEXT,               -- retransmit: the socket's state
  role                 TEXT                -- client | server | unknown, when the tracer knew the socket
);

CREATE TABLE IF NOT EXISTS processes (
  id                   INTEGER PRIMARY KEY,
  bundle_id            INTEGER NOT NULL,
  host                 TEXT,
  pid                  INTEGER NOT NULL,
  ppid                 INTEGER,
  comm                 TEXT,
  cmdline              TEXT,               -- arguments joined by spaces
  container_id         TEXT,
  cgroup               TEXT,
  start_time           INTEGER,            -- µs since the epoch
  seen_at              INTEGER,            -- µs: when the agent read it
  snapshot             INTEGER NOT NULL    -- 1 = in the snapshot at the start, 0 = first seen during the recording
);

-- Kubernetes and cloud objects as they were during the capture: one row per version of an object, valid from
-- valid_from until valid_to (NULL: still valid at the end), so that an IP reused by a later pod resolves by time.
-- Facts (flows) carry these rows' ids: the names, labels and owners are stored once here.
CREATE TABLE IF NOT EXISTS resources (
  id                   INTEGER PRIMARY KEY,
  bundle_id            INTEGER NOT NULL,
  source               TEXT NOT NULL,      -- k8s | cloud
  cluster              TEXT,
  kind                 TEXT NOT NULL,      -- Pod, Service, Node, Namespace, Deployment, ReplicaSet, StatefulSet, DaemonSet, EndpointSlice, CloudInstance
  uid                  TEXT,
  namespace            TEXT,
  name                 TEXT NOT NULL,
  ip                   TEXT,               -- pod IP, node InternalIP, service ClusterIP, instance private IP
  node                 TEXT,               -- pods: spec.nodeName
  workload_kind        TEXT,               -- pods: the owning workload (a ReplicaSet's Deployment), its kind and name
  workload             TEXT,
  region               TEXT,
  zone                 TEXT,
  labels               TEXT,               -- JSON object
  resource_version     TEXT,
  valid_from           INTEGER NOT NULL,   -- µs
  valid_to             INTEGER,            -- µs; NULL = valid to the end of the capture
  object               TEXT                -- the object's JSON as recorded
);

-- Pods' containers (containerStatuses[].containerID without the runtime prefix) → their pod version: eBPF events
-- resolve pid → container id (cgroup) → pod.
CREATE TABLE IF NOT EXISTS resource_containers (
  container_id         TEXT NOT NULL,
  resource_id          INTEGER NOT NULL
);

-- A service's addresses: ClusterIP and port (front) and, from its EndpointSlices, each backend address and port.
CREATE TABLE IF NOT EXISTS service_addresses (
  service_id           INTEGER NOT NULL,   -- resources (kind Service)
  role                 TEXT NOT NULL,      -- front | backend
  ip                   TEXT NOT NULL,
  port                 INTEGER,
  protocol             TEXT,
  valid_from           INTEGER NOT NULL,
  valid_to             INTEGER
);

CREATE TABLE IF NOT EXISTS observation_points (
  id              INTEGER PRIMARY KEY,
  bundle_id       INTEGER NOT NULL REFERENCES bundles(id),
  section_index   INTEGER NOT NULL,
  interface_index INTEGER NOT NULL,   -- IDB index inside its section
  name            TEXT NOT NULL,
  description     TEXT,
  link_type       INTEGER NOT NULL,
  link_type_name  TEXT NOT NULL,
  snap_len        INTEGER,
  host            TEXT,
  tap_side        TEXT NOT NULL DEFAULT 'unknown',
  metadata        TEXT,               -- JSON from the bundle's observation-point option
  packets         INTEGER NOT NULL DEFAULT 0,
  bytes           INTEGER NOT NULL DEFAULT 0,
  first_time      INTEGER,
  last_time       INTEGER,
  if_recv         INTEGER,
  if_drop         INTEGER,
  os_drop         INTEGER
);

CREATE TABLE IF NOT EXISTS _l4_flow_log (
  flow_id              INTEGER PRIMARY KEY,
  bundle_id            INTEGER NOT NULL,
  observation_point_id INTEGER NOT NULL,
  encap                TEXT NOT NULL DEFAULT '',   -- VLAN / tunnel context, '' when none
  vlan                 INTEGER NOT NULL DEFAULT 0,
  tunnel_type          TEXT NOT NULL DEFAULT '',
  tunnel_id            INTEGER NOT NULL DEFAULT 0,
  ip_version           INTEGER NOT NULL,
  ip_0                 TEXT NOT NULL,
  ip_1                 TEXT NOT NULL,
  client_port          INTEGER NOT NULL,
  server_port          INTEGER NOT NULL,
  protocol             INTEGER NOT NULL,
  side_source          TEXT NOT NULL,
  packet_tx            INTEGER NOT NULL,
  packet_rx            INTEGER NOT NULL,
  byte_tx              INTEGER NOT NULL,
  byte_rx              INTEGER NOT NULL,
  l3_byte_tx           INTEGER NOT NULL,
  l3_byte_rx           INTEGER NOT NULL,
  l4_byte_tx           INTEGER NOT NULL,
  l4_byte_rx           INTEGER NOT NULL,
  start_time           INTEGER NOT NULL,
  end_time             INTEGER NOT NULL,
  duration             INTEGER NOT NULL,
  rtt                  INTEGER,
  rtt_client           INTEGER,
  rtt_server           INTEGER,
  srt_sum              INTEGER NOT NULL,
  srt_count            INTEGER NOT NULL,
  srt_max              INTEGER,
  art_sum              INTEGER NOT NULL,
  art_count            INTEGER NOT NULL,
  art_max              INTEGER,
  cit_sum              INTEGER NOT NULL,
  cit_count            INTEGER NOT NULL,
  cit_max              INTEGER,
  retrans_tx           INTEGER NOT NULL,
  retrans_rx           INTEGER NOT NULL,
  zero_win_tx          INTEGER NOT NULL,
  zero_win_rx          INTEGER NOT NULL,
  ooo_tx               INTEGER NOT NULL,
  ooo_rx               INTEGER NOT NULL,
  syn_count            INTEGER NOT NULL,
  synack_count         INTEGER NOT NULL,
  retrans_syn          INTEGER NOT NULL,
  retrans_synack       INTEGER NOT NULL,
  rst_tx               INTEGER NOT NULL,
  rst_rx               INTEGER NOT NULL,
  fin_tx               INTEGER NOT NULL,
  fin_rx               INTEGER NOT NULL,
  tcp_flags_bit_0      INTEGER NOT NULL,
  tcp_flags_bit_1      INTEGER NOT NULL,
  close_type           TEXT NOT NULL,
  status               TEXT NOT NULL,
  first_frame          INTEGER NOT NULL,
  last_frame           INTEGER NOT NULL,
${TAG_ID_COLUMNS}
);

CREATE TABLE IF NOT EXISTS _metrics_net_1s (
  time                 INTEGER NOT NULL,   -- µs since epoch, start of the second
  observation_point_id INTEGER NOT NULL,
  ip_0                 TEXT NOT NULL,
  ip_1                 TEXT NOT NULL,
  server_port          INTEGER NOT NULL,
  protocol             INTEGER NOT NULL,
  packet_tx            INTEGER NOT NULL,
  packet_rx            INTEGER NOT NULL,
  byte_tx              INTEGER NOT NULL,
  byte_rx              INTEGER NOT NULL,
  new_flow             INTEGER NOT NULL,
  closed_flow          INTEGER NOT NULL,
  retrans_tx           INTEGER NOT NULL,
  retrans_rx           INTEGER NOT NULL,
  zero_win_tx          INTEGER NOT NULL,
  zero_win_rx          INTEGER NOT NULL,
  syn_count            INTEGER NOT NULL,
  synack_count         INTEGER NOT NULL,
  rst_tx               INTEGER NOT NULL,
  rst_rx               INTEGER NOT NULL,
  rtt_sum              INTEGER NOT NULL,
  rtt_count            INTEGER NOT NULL,
  rtt_max              INTEGER NOT NULL,
  srt_sum              INTEGER NOT NULL,
  srt_count            INTEGER NOT NULL,
  srt_max              INTEGER NOT NULL,
  art_sum              INTEGER NOT NULL,
  art_count            INTEGER NOT NULL,
  art_max              INTEGER NOT NULL,
  setup_failures       INTEGER NOT NULL,
  resets               INTEGER NOT NULL,
  timeouts             INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS _metrics_net_1m AS SELECT * FROM _metrics_net_1s WHERE 0;

-- One row per flow (or eBPF socket) that carried L7 records: what every record of the flow shares.
CREATE TABLE IF NOT EXISTS _l7_flow (
  flow_id              INTEGER PRIMARY KEY,
  bundle_id            INTEGER NOT NULL,
  observation_point_id INTEGER NOT NULL,
  signal_source        INTEGER NOT NULL,  -- 0 packet | 3 ebpf | 4 otel
  ip_0                 TEXT NOT NULL,
  ip_1                 TEXT NOT NULL,
  client_port          INTEGER NOT NULL,
  server_port          INTEGER NOT NULL,
  protocol             INTEGER NOT NULL,
  process_id           INTEGER,           -- eBPF: the process the socket belongs to (client on c-p, server on s-p)
  process_kname        TEXT,
  is_tls               INTEGER NOT NULL DEFAULT 0, -- 1: eBPF plaintext from the OpenSSL probes (the wire carried TLS)
${TAG_ID_COLUMNS}
);

-- eBPF records only: the syscall context of the request and the response (keyed by the _l7_flow_log row id).
CREATE TABLE IF NOT EXISTS _l7_syscall (
  id                        INTEGER PRIMARY KEY,
  syscall_trace_id_request  INTEGER,
  syscall_trace_id_response INTEGER,
  syscall_thread_0          INTEGER,
  syscall_thread_1          INTEGER,
  syscall_cap_seq_0         INTEGER,
  syscall_cap_seq_1         INTEGER
);

-- L7 protocol names by id (DeepFlow's ids for the known ones, see l7-codes.ts).
CREATE TABLE IF NOT EXISTS _l7_protocols (
  id                   INTEGER PRIMARY KEY,
  name                 TEXT NOT NULL UNIQUE
);
INSERT OR IGNORE INTO _l7_protocols(id, name) VALUES ${Object.entries(L7_PROTOCOL_IDS).map(([n, i]) => `(${i}, '${n}')`).join(', ')};

CREATE TABLE IF NOT EXISTS _l7_flow_log (
  id                   INTEGER PRIMARY KEY,
  flow_id              INTEGER NOT NULL,  -- _l7_flow
  l7_protocol          INTEGER NOT NULL,  -- _l7_protocols
  version              TEXT,
  type                 INTEGER NOT NULL,  -- 0 session (request + response) | 1 request | 2 response
  request_type         TEXT,
  request_domain       TEXT,
  request_resource     TEXT,
  endpoint             TEXT,
  request_id           INTEGER,
  response_code        INTEGER,
  response_status      INTEGER NOT NULL,  -- 0 ok | 1 client_error | 2 server_error | 3 timeout | 4 unknown | 5 parse_failed
  response_exception   TEXT,
  response_result      TEXT,
  request_length       INTEGER,
  response_length      INTEGER,
  start_time           INTEGER NOT NULL,  -- µs: request's first byte (response's when there is no request)
  end_time             INTEGER NOT NULL,  -- µs: response's last byte seen (request's when there is no response)
  response_duration    INTEGER,           -- rrt, µs: response first byte − request first byte
  req_tcp_seq          INTEGER,
  resp_tcp_seq         INTEGER,
  trace_id             TEXT,
  span_id              TEXT,
  x_request_id_0       TEXT,
  x_request_id_1       TEXT,              -- '' = the same as x_request_id_0 (the view gives it back)
  http_real_client     TEXT,
  attributes_id        INTEGER            -- _l7_attributes: JSON of further protocol fields (null: none)
);

-- The JSON texts of l7_flow_log.attributes, each stored once: few distinct values (user agent and content type,
-- database user, command flags) that made up a third of every row (99 of 280 bytes on the benchmark capture).
-- A text may be stored under more than one id (the importer's dictionary is bounded); ids are never reused.
CREATE TABLE IF NOT EXISTS _l7_attributes (
  id                   INTEGER PRIMARY KEY,
  json                 TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS _metrics_app_1s (
  time                 INTEGER NOT NULL,   -- µs since epoch, start of the interval
  observation_point_id INTEGER NOT NULL,
  ip_0                 TEXT NOT NULL,
  ip_1                 TEXT NOT NULL,
  server_port          INTEGER NOT NULL,
  l7_protocol          TEXT NOT NULL,
  endpoint             TEXT NOT NULL,
  request              INTEGER NOT NULL,
  response             INTEGER NOT NULL,
  error                INTEGER NOT NULL,   -- client_error + server_error
  client_error         INTEGER NOT NULL,
  server_error         INTEGER NOT NULL,
  timeout              INTEGER NOT NULL,
  rrt_sum              INTEGER NOT NULL,
  rrt_count            INTEGER NOT NULL,
  rrt_max              INTEGER NOT NULL,
  rrt_p50              INTEGER,            -- estimated from the histogram
  rrt_p90              INTEGER,
  rrt_p99              INTEGER,
  -- rrt histogram: responses per bucket (upper bounds in docs/schema.md), summable in SQL across rows
  ${RRT_BUCKET_COLUMNS.map((c) => `${c} INTEGER NOT NULL DEFAULT 0`).join(',\n  ')}
);
CREATE TABLE IF NOT EXISTS _metrics_app_1m AS SELECT * FROM _metrics_app_1s WHERE 0;
-- metrics_app_1s per minute (server endpoints, ip_0 = ''): what long time ranges read.
CREATE TABLE IF NOT EXISTS _metrics_app_node_1m AS SELECT * FROM _metrics_app_1s WHERE 0;

CREATE TABLE IF NOT EXISTS ingest_violations (
  id                   INTEGER PRIMARY KEY,
  bundle_id            INTEGER NOT NULL,
  observation_point_id INTEGER,
  layer                TEXT NOT NULL,   -- capture | decode | flow | l7
  kind                 TEXT NOT NULL,
  message              TEXT NOT NULL,
  frame_number         INTEGER,
  time                 INTEGER,
  bytes_lost           INTEGER,
  count                INTEGER NOT NULL DEFAULT 1  -- >1 on the overflow row that sums the rest of one kind
);

${flowViewsDdl([])}
-- The tag dictionary: what the flows' integer tag ids (pod_res_*, service_res_1, node_res_*) stand for.
DROP VIEW IF EXISTS tag_dict;
CREATE VIEW tag_dict AS
SELECT id, lower(kind) AS category, namespace, name, ip, valid_from, valid_to, bundle_id FROM resources;

${metricViews('metrics_app', APP_VIEW_COLUMNS)}
DROP VIEW IF EXISTS metrics_app_node_1m;
CREATE VIEW metrics_app_node_1m AS
SELECT m.*, op.name AS observation_point, op.tap_side AS tap_side,${APP_VIEW_COLUMNS}
FROM _metrics_app_node_1m m LEFT JOIN observation_points op ON op.id = m.observation_point_id;
${metricViews('metrics_net', NET_VIEW_COLUMNS)}
DROP VIEW IF EXISTS ingest_violation_summary;
CREATE VIEW ingest_violation_summary AS
SELECT b.file_name AS bundle, v.layer, v.kind, SUM(v.count) AS count, SUM(v.bytes_lost) AS bytes_lost,
  MIN(v.frame_number) AS first_frame
FROM ingest_violations v LEFT JOIN bundles b ON b.id = v.bundle_id
GROUP BY v.bundle_id, v.layer, v.kind;
`;

/**
 * Indexes are built once after a bulk load: building them at the end is several times cheaper than keeping them up
 * to date row by row (measured on the benchmark capture: ~0.8 s of the writer thread's time against ~0.35 s at the
 * end, and the writer thread is the busier one).
 */
export const INDEX_DDL = `
CREATE INDEX IF NOT EXISTS _l4_flow_log_time ON _l4_flow_log(start_time);
CREATE INDEX IF NOT EXISTS _l4_flow_log_ips ON _l4_flow_log(ip_0, ip_1, server_port);
CREATE INDEX IF NOT EXISTS _metrics_net_1s_time ON _metrics_net_1s(time);
CREATE INDEX IF NOT EXISTS _metrics_net_1m_time ON _metrics_net_1m(time);
CREATE INDEX IF NOT EXISTS _l7_flow_log_time ON _l7_flow_log(start_time);
CREATE INDEX IF NOT EXISTS _l7_flow_log_flow ON _l7_flow_log(flow_id);
CREATE INDEX IF NOT EXISTS _l7_flow_log_trace ON _l7_flow_log(trace_id) WHERE trace_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS _l7_flow_log_failed ON _l7_flow_log(start_time) WHERE response_status != 0;
CREATE INDEX IF NOT EXISTS _metrics_app_1s_time ON _metrics_app_1s(time);
CREATE INDEX IF NOT EXISTS _metrics_app_1m_time ON _metrics_app_1m(time);
CREATE INDEX IF NOT EXISTS _metrics_app_node_1m_time ON _metrics_app_node_1m(time);
CREATE INDEX IF NOT EXISTS processes_pid ON processes(pid);
CREATE INDEX IF NOT EXISTS resources_ip ON resources(ip, valid_from) WHERE ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS resource_containers_id ON resource_containers(container_id);
CREATE INDEX IF NOT EXISTS service_addresses_ip ON service_addresses(ip, port);
CREATE INDEX IF NOT EXISTS tcp_events_time ON tcp_events(time);
`;

/** Columns of the metrics_app tables that are summed when rolling up (with the histogram; rrt_max takes MAX). */
export const APP_METRIC_SUM_COLUMNS = ['request', 'response', 'error', 'client_error', 'server_error', 'timeout', 'rrt_sum', 'rrt_count'] as const;

/** Columns of the 1s/1m net metric tables that are summed when rolling up; the *_max ones take MAX. */
export const NET_METRIC_SUM_COLUMNS = [
  'packet_tx', 'packet_rx', 'byte_tx', 'byte_rx', 'new_flow', 'closed_flow', 'retrans_tx', 'retrans_rx',
  'zero_win_tx', 'zero_win_rx', 'syn_count', 'synack_count', 'rst_tx', 'rst_rx', 'rtt_sum', 'rtt_count',
  'srt_sum', 'srt_count', 'art_sum', 'art_count', 'setup_failures', 'resets', 'timeouts',
] as const;
export const NET_METRIC_MAX_COLUMNS = ['rtt_max', 'srt_max', 'art_max'] as const;
