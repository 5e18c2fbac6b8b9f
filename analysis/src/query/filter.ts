// Filter bar expressions for the request and flow logs: `service=reviews status>=500 rrt>200ms`.
//
//   expr   := term (WS term)*                 terms are ANDed
//   term   := field op value | word           a bare word searches the text columns (contains)
//   op     := = | != | > | >= | < | <= | ~ | !~     ~ is "contains" (case-insensitive), !~ its negation
//   value  := bare | "quoted"                 bare values end at whitespace; a,b,c is a list (= any of, != none of)
//
// Durations take a unit (us, µs, ms, s, m; plain numbers are µs), sizes an optional k/M/G (powers of 1000).
// Addresses also match networks (client=10.1.5.0/24, through the ip_in_cidr SQL function of the query connections).
// Compiled to a parameterised WHERE clause over the l7_flow_log / l4_flow_log views: user text never reaches SQL.

import { RESPONSE_STATUSES } from '../store/l7-codes.js';
import { ipBytes, parseCidr } from './ip-functions.js';

export class FilterError extends Error {
  /** Character offset in the expression where the problem starts. */
  readonly position: number;
  constructor(message: string, position: number) {
    super(message);
    this.name = 'FilterError';
    this.position = position;
  }
}

export type FilterOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~';

export interface FilterTerm {
  /** null for a bare word. */
  field: string | null;
  op: FilterOp;
  values: string[];
  position: number;
}

type Kind = 'text' | 'id' | 'ip' | 'int' | 'duration' | 'size' | 'enum';

interface FieldDef {
  kind: Kind;
  /** SQL expression(s) the value is compared with; several = any of them matches. */
  columns: string[];
  /** enum: the allowed values (compared case-insensitively, stored as given here). */
  values?: readonly string[];
  /** Custom compilation (returns SQL with ? placeholders and their params), for fields with special matching. */
  compile?: (op: FilterOp, values: string[], position: number) => { sql: string; params: unknown[] };
  help: string;
}

export interface FilterTable {
  fields: Record<string, FieldDef>;
  /**
   * Fields whose columns are the flow's (same names in the flow table): they can select flows first. `service` counts
   * when every value is an address (a name matches the requests' own domain).
   */
  flowFields?: readonly string[];
  aliases: Record<string, string>;
  /** Columns a bare word is searched in. */
  text: string[];
}

export interface CompiledFilter {
  /** '1' when the expression is empty. */
  where: string;
  params: unknown[];
  terms: FilterTerm[];
  /**
   * The same filter split in two (tables with a flow table, see FilterTable.flowFields): conditions on the flow's own
   * columns (`flowWhere`, over the flow table; null when there are none) and the rest (`rowWhere`, over the rows).
   * `flow_id IN (SELECT flow_id FROM <flow table> WHERE flowWhere) AND rowWhere` selects the same rows as `where`.
   */
  flowWhere: string | null;
  flowParams: unknown[];
  rowWhere: string;
  rowParams: unknown[];
}

const OPS: FilterOp[] = ['>=', '<=', '!=', '!~', '=', '>', '<', '~'];

/** Splits an expression into terms. */
export function parseFilter(expr: string): FilterTerm[] {
  const terms: FilterTerm[] = [];
  let i = 0;
  const n = expr.length;
  const isWs = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  while (i < n) {
    while (i < n && isWs(expr[i])) i++;
    if (i >= n) break;
    const start = i;
    // Field name (or the whole bare word).
    let field = '';
    while (i < n && /[A-Za-z0-9_.-]/.test(expr[i])) field += expr[i++];
    let op: FilterOp | null = null;
    for (const o of OPS) {
      if (expr.startsWith(o, i)) {
        op = o;
        break;
      }
    }
    if (op === null || field === '') {
      // A bare word (or a quoted phrase): text search.
      i = start;
      const v = readValue(expr, i);
      if (v.text === '') throw new FilterError(`unexpected '${expr[i]}'`, i);
      i = v.end;
      terms.push({ field: null, op: '~', values: [v.text], position: start });
      continue;
    }
    i += op.length;
    if (i >= n || isWs(expr[i])) throw new FilterError(`missing value after ${field}${op}`, i);
    const v = readValue(expr, i);
    i = v.end;
    const values = v.quoted ? [v.text] : v.text.split(',');
    if (values.some((x) => x === '')) throw new FilterError(`empty value in ${field}${op}${v.text}`, start);
    terms.push({ field: field.toLowerCase(), op, values, position: start });
  }
  return terms;
}

function readValue(expr: string, i: number): { text: string; end: number; quoted: boolean } {
  if (expr[i] === '"' || expr[i] === "'") {
    const q = expr[i];
    let out = '';
    let j = i + 1;
    while (j < expr.length && expr[j] !== q) {
      if (expr[j] === '\\' && j + 1 < expr.length) j++;
      out += expr[j++];
    }
    if (j >= expr.length) throw new FilterError('unterminated quote', i);
    return { text: out, end: j + 1, quoted: true };
  }
  let j = i;
  while (j < expr.length && !/\s/.test(expr[j])) j++;
  return { text: expr.slice(i, j), end: j, quoted: false };
}

const DURATION_UNITS: Record<string, number> = { '': 1, us: 1, 'µs': 1, ms: 1_000, s: 1_000_000, m: 60_000_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1e3, kb: 1e3, m: 1e6, mb: 1e6, g: 1e9, gb: 1e9 };

function number(v: string, kind: Kind, position: number): number {
  const m = /^(-?\d+(?:\.\d+)?)([A-Za-zµ]*)$/.exec(v);
  const units = kind === 'duration' ? DURATION_UNITS : kind === 'size' ? SIZE_UNITS : { '': 1 };
  const unit = m?.[2].toLowerCase() ?? '';
  if (m === null || !(unit in units)) {
    const what = kind === 'duration' ? 'a duration (200ms, 1.5s, 300us)' : kind === 'size' ? 'a size (1500, 10k, 2M)' : 'an integer';
    throw new FilterError(`'${v}' is not ${what}`, position);
  }
  return Math.round(Number(m[1]) * (units as Record<string, number>)[unit]);
}

const NUMERIC_OPS = new Set<FilterOp>(['=', '!=', '>', '>=', '<', '<=']);

function compileTerm(t: FilterTerm, table: FilterTable): { sql: string; params: unknown[] } {
  if (t.field === null) {
    const like = `%${escapeLike(t.values[0])}%`;
    return { sql: `(${table.text.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`, params: table.text.map(() => like) };
  }
  const name = table.aliases[t.field] ?? t.field;
  const def = table.fields[name];
  if (def === undefined) {
    const known = Object.keys(table.fields).sort().join(', ');
    throw new FilterError(`unknown field '${t.field}' (fields: ${known})`, t.position);
  }
  if (def.compile) return def.compile(t.op, t.values, t.position);
  return compileColumns(def, t.op, t.values, t.position);
}

function compileColumns(def: FieldDef, op: FilterOp, values: string[], position: number): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const parts: string[] = [];
  const numeric = def.kind === 'int' || def.kind === 'duration' || def.kind === 'size';
  if (numeric && !NUMERIC_OPS.has(op)) throw new FilterError(`${op} needs a text field`, position);
  if (!numeric && op !== '=' && op !== '!=' && op !== '~' && op !== '!~') throw new FilterError(`${op} needs a numeric field`, position);
  if ((op === '>' || op === '>=' || op === '<' || op === '<=') && values.length > 1) {
    throw new FilterError(`${op} takes one value`, position);
  }
  if (def.kind === 'ip' && (op === '=' || op === '!=') && values.some((v) => v.includes('/'))) {
    // Networks: 10.1.5.0/24, fd00:1::/64 (any of the values; plain addresses are /32 or /128).
    for (const v of values) {
      try {
        parseCidr(v);
      } catch (err) {
        throw new FilterError((err as Error).message, position);
      }
    }
    const any: string[] = [];
    const params: unknown[] = [];
    for (const col of def.columns) {
      for (const v of values) {
        const net = parseCidr(v);
        if (net.bytes.length === 4 && net.bits % 8 === 0 && net.bits > 0) {
          // Octet-aligned IPv4 networks as text prefixes (addresses are stored dotted-quad): LIKE costs a tenth of
          // calling the function per row.
          const octets = [...net.bytes.subarray(0, net.bits / 8)].join('.');
          any.push(net.bits === 32 ? `${col} = ?` : `${col} LIKE ?`);
          params.push(net.bits === 32 ? octets : `${octets}.%`);
        } else {
          any.push(`ip_in_cidr(${col}, ?)`);
          params.push(v);
        }
      }
    }
    const sql = `(${any.join(' OR ')})`;
    return op === '=' ? { sql, params } : { sql: `NOT coalesce(${sql}, 0)`, params };
  }
  const vals: unknown[] = values.map((v) => {
    if (numeric) return number(v, def.kind, position);
    if (def.kind === 'enum') {
      const hit = def.values?.find((x) => x.toLowerCase() === v.toLowerCase());
      if (hit === undefined) throw new FilterError(`'${v}' is not one of ${def.values?.join(', ')}`, position);
      return hit;
    }
    return v;
  });
  for (const col of def.columns) {
    if (op === '~' || op === '!~') {
      const any = vals.map(() => `${col} LIKE ? ESCAPE '\\'`).join(' OR ');
      parts.push(`(${any})`);
      for (const v of vals) params.push(`%${escapeLike(String(v))}%`);
    } else if (op === '=' || op === '!=') {
      if (vals.length === 1) {
        parts.push(def.kind === 'text' || def.kind === 'ip' ? `${col} = ? COLLATE NOCASE` : `${col} = ?`);
      } else {
        parts.push(`${col} IN (${vals.map(() => '?').join(',')})`);
      }
      params.push(...vals);
    } else {
      parts.push(`${col} ${op} ?`);
      params.push(vals[0]);
    }
  }
  const any = parts.length === 1 ? parts[0] : `(${parts.join(' OR ')})`;
  if (op === '!=' || op === '!~') return { sql: `NOT coalesce(${any}, 0)`, params };
  return { sql: any, params };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Compiles an expression for `table` (REQUEST_FILTER or FLOW_FILTER). */
export function compileFilter(expr: string, table: FilterTable): CompiledFilter {
  const terms = parseFilter(expr);
  if (terms.length === 0) return { where: '1', params: [], terms, flowWhere: null, flowParams: [], rowWhere: '1', rowParams: [] };
  const parts: string[] = [];
  const params: unknown[] = [];
  const flowParts: string[] = [];
  const flowParams: unknown[] = [];
  const rowParts: string[] = [];
  const rowParams: unknown[] = [];
  for (const t of terms) {
    const name = t.field === null ? null : table.aliases[t.field] ?? t.field;
    const byAddress = name === 'service' && (t.op === '=' || t.op === '!=') && t.values.every((v) => serviceAddress(v) !== null);
    // A service given by address compiles without the domain alternatives: the same rows, and flow-level.
    const c = byAddress ? serviceMatch('ip_1', 'server_port', null, null)(t.op, t.values, t.position) : compileTerm(t, table);
    parts.push(c.sql);
    params.push(...c.params);
    if (name !== null && table.flowFields?.includes(name) && (name !== 'service' || byAddress)) {
      flowParts.push(c.sql);
      flowParams.push(...c.params);
    } else {
      rowParts.push(c.sql);
      rowParams.push(...c.params);
    }
  }
  return {
    where: parts.join(' AND '), params, terms, flowWhere: flowParts.length ? flowParts.join(' AND ') : null, flowParams,
    rowWhere: rowParts.length ? rowParts.join(' AND ') : '1', rowParams,
  };
}

/**
 * `service=`: the server as people name it: its address (10.0.0.5 or 10.0.0.5:8080), or the HTTP/gRPC authority
 * (reviews.shop.svc.cluster.local, with or without port), or its first DNS label (reviews), or the Kubernetes service
 * auto-tagging found for it (`k8sService`, e.g. service_1).
 */
function serviceMatch(ip: string, port: string, domain: string | null, k8sService: string | null) {
  return (op: FilterOp, values: string[], position: number): { sql: string; params: unknown[] } => {
    if (op !== '=' && op !== '!=' && op !== '~' && op !== '!~') throw new FilterError(`service takes =, !=, ~ or !~`, position);
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const v of values) {
      if (op === '~' || op === '!~') {
        const like = `%${escapeLike(v)}%`;
        parts.push(`(${ip} || ':' || ${port}) LIKE ? ESCAPE '\\'`);
        params.push(like);
        if (domain) {
          parts.push(`${domain} LIKE ? ESCAPE '\\'`);
          params.push(like);
        }
        if (k8sService) {
          parts.push(`${k8sService} LIKE ? ESCAPE '\\'`);
          params.push(like);
        }
        continue;
      }
      const a = serviceAddress(v);
      if (a !== null) {
        if (a.port === null) {
          parts.push(`${ip} = ?`);
          params.push(a.ip);
        } else {
          parts.push(`(${ip} = ? AND ${port} = ?)`);
          params.push(a.ip, a.port);
        }
        continue;
      }
      if (!domain && !k8sService) throw new FilterError(`'${v}' is not an address (ip or ip:port)`, position);
      if (domain) {
        const host = `rtrim(substr(${domain}, 1, instr(${domain} || ':', ':') - 1), '.')`;
        parts.push(`${domain} = ? COLLATE NOCASE`, `${host} = ? COLLATE NOCASE`, `${domain} LIKE ? ESCAPE '\\'`);
        params.push(v, v, `${escapeLike(v)}.%`);
      }
      if (k8sService) {
        parts.push(`${k8sService} = ? COLLATE NOCASE`);
        params.push(v);
      }
    }
    const any = `(${parts.join(' OR ')})`;
    return op === '!=' || op === '!~' ? { sql: `NOT coalesce(${any}, 0)`, params } : { sql: any, params };
  };
}

/** A service written as an address: 10.0.0.5, 10.0.0.5:8080, fd00::5, [fd00::5]:8080; null for names. */
export function serviceAddress(v: string): { ip: string; port: number | null } | null {
  let m = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(v);
  if (m) return { ip: m[1].toLowerCase(), port: Number(m[2]) };
  m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(v);
  if (m) return { ip: m[1], port: m[2] === undefined ? null : Number(m[2]) };
  if (/^[0-9a-fA-F:.]+$/.test(v) && v.includes(':') && ipBytes(v) !== null) return { ip: v.toLowerCase(), port: null };
  return null;
}

/** `status=`: an HTTP-like code (numbers, 5xx) or a response_status class (ok, error, client_error, …). */
function statusMatch(op: FilterOp, values: string[], position: number): { sql: string; params: unknown[] } {
  const classes: readonly string[] = RESPONSE_STATUSES;
  const v0 = values[0].toLowerCase();
  if (/^[a-z_]+$/.test(v0)) {
    if (op !== '=' && op !== '!=') throw new FilterError(`status=${v0}: only = and != compare a status class`, position);
    const list: string[] = [];
    for (const v of values) {
      const l = v.toLowerCase();
      if (l === 'error') list.push('client_error', 'server_error');
      else if (classes.includes(l)) list.push(l);
      else throw new FilterError(`'${v}' is not a status (a code like 500, 5xx, or one of error, ${classes.join(', ')})`, position);
    }
    const ids = list.map((l) => classes.indexOf(l));
    // On the stored code: `response_status_id != 0` (literally) lets SQLite walk the partial index of the rows that
    // are not ok, in time order, when every class asked for is a failure (rare rows found without a full scan).
    const sql = ids.every((i) => i !== 0)
      ? `(response_status_id != 0 AND response_status_id IN (${ids.map(() => '?').join(',')}))`
      : `response_status_id IN (${ids.map(() => '?').join(',')})`;
    return { sql: op === '=' ? sql : `NOT coalesce(${sql}, 0)`, params: ids };
  }
  if (values.every((v) => /^\dxx$/i.test(v))) {
    if (op !== '=' && op !== '!=') throw new FilterError('a status class like 5xx takes = or !=', position);
    const parts = values.map(() => '(response_code >= ? AND response_code < ?)');
    const params = values.flatMap((v) => [Number(v[0]) * 100, Number(v[0]) * 100 + 100]);
    const sql = `(${parts.join(' OR ')})`;
    return { sql: op === '=' ? sql : `NOT coalesce(${sql}, 0)`, params };
  }
  return compileColumns({ kind: 'int', columns: ['response_code'], help: '' }, op, values, position);
}

/** The connection's own fields, the same in both logs (and in the flow tables). */
const ADDRESS_FIELDS: Record<string, FieldDef> = {
    client: { kind: 'ip', columns: ['ip_0'], help: 'client address (or a network: 10.1.5.0/24)' },
    server: { kind: 'ip', columns: ['ip_1'], help: 'server address (or a network: 10.1.5.0/24)' },
    ip: { kind: 'ip', columns: ['ip_0', 'ip_1'], help: 'either address (or a network: 10.1.5.0/24)' },
    port: { kind: 'int', columns: ['server_port'], help: 'server port' },
    client_port: { kind: 'int', columns: ['client_port'], help: 'client port' },
};

/** Auto-tagging fields (the flow views' Kubernetes columns; NULL where no tag applies). */
const K8S_FIELDS: Record<string, FieldDef> = {
  pod: { kind: 'text', columns: ['pod_0', 'pod_1'], help: 'pod of either side (auto-tagging)' },
  client_pod: { kind: 'text', columns: ['pod_0'], help: "the client's pod" },
  server_pod: { kind: 'text', columns: ['pod_1'], help: "the server's pod (behind a service: the backend that answered)" },
  namespace: { kind: 'text', columns: ['pod_ns_0', 'pod_ns_1', 'service_ns_1'], help: 'namespace of either pod or of the service' },
  workload: { kind: 'text', columns: ['workload_0', 'workload_1'], help: 'workload (Deployment, StatefulSet, …) of either side' },
  node: { kind: 'text', columns: ['pod_node_0', 'pod_node_1'], help: 'Kubernetes node of either side' },
  k8s_service: { kind: 'text', columns: ['service_1'], help: 'the Kubernetes service the server is reached through' },
};
const K8S_ALIASES: Record<string, string> = {
  pod_0: 'client_pod', pod_1: 'server_pod', ns: 'namespace', pod_ns: 'namespace', service_1: 'k8s_service', pod_node: 'node',
};

export const REQUEST_FILTER: FilterTable = {
  fields: {
    service: { kind: 'text', columns: [], compile: serviceMatch('ip_1', 'server_port', 'request_domain', 'service_1'), help: 'server address, host name or its first label, or Kubernetes service' },
    ...ADDRESS_FIELDS,
    protocol: { kind: 'text', columns: ['l7_protocol'], help: 'HTTP, HTTP2, gRPC, DNS, MySQL, …' },
    method: { kind: 'text', columns: ['request_type'], help: 'request type (GET, COM_QUERY, …)' },
    endpoint: { kind: 'text', columns: ['endpoint'], help: 'endpoint (path prefix, gRPC method, SQL verb)' },
    resource: { kind: 'text', columns: ['request_resource'], help: 'request resource (full path, query, key)' },
    domain: { kind: 'text', columns: ['request_domain'], help: 'host / authority / database' },
    status: { kind: 'int', columns: [], compile: statusMatch, help: 'code (500, 5xx) or class (ok, error, timeout, …)' },
    code: { kind: 'int', columns: ['response_code'], help: 'response code' },
    exception: { kind: 'text', columns: ['response_exception'], help: 'error text' },
    rrt: { kind: 'duration', columns: ['response_duration'], help: 'response time' },
    req_bytes: { kind: 'size', columns: ['request_length'], help: 'request length' },
    resp_bytes: { kind: 'size', columns: ['response_length'], help: 'response length' },
    trace_id: { kind: 'id', columns: ['trace_id'], help: 'trace id' },
    span_id: { kind: 'id', columns: ['span_id'], help: 'span id' },
    request_id: { kind: 'id', columns: ['x_request_id_0', 'x_request_id_1'], help: 'X-Request-ID' },
    flow_id: { kind: 'int', columns: ['flow_id'], help: 'the connection' },
    id: { kind: 'int', columns: ['id'], help: 'the record' },
    type: { kind: 'enum', columns: ['type'], values: ['session', 'request', 'response'], help: 'session, request (no response) or response' },
    process: { kind: 'text', columns: ['process_kname_0', 'process_kname_1'], help: 'process name (eBPF)' },
    ...K8S_FIELDS,
  },
  aliases: {
    svc: 'service', dst: 'server', src: 'client', proto: 'protocol', l7_protocol: 'protocol', request_type: 'method',
    path: 'resource', uri: 'resource', url: 'resource', host: 'domain', response_code: 'code', latency: 'rrt',
    duration: 'rrt', response_duration: 'rrt', trace: 'trace_id', span: 'span_id', x_request_id: 'request_id',
    flow: 'flow_id', comm: 'process', server_port: 'port', error: 'exception', ...K8S_ALIASES,
  },
  text: ['request_resource', 'request_domain', 'endpoint', 'response_exception', 'response_result'],
  flowFields: ['service', 'client', 'server', 'ip', 'port', 'client_port', 'flow_id'],
};

export const FLOW_FILTER: FilterTable = {
  fields: {
    service: { kind: 'text', columns: [], compile: serviceMatch('ip_1', 'server_port', null, 'service_1'), help: 'server address (ip or ip:port) or Kubernetes service' },
    ...ADDRESS_FIELDS,
    protocol: { kind: 'text', columns: ['protocol_name'], help: 'TCP, UDP, ICMP, …' },
    close_type: { kind: 'text', columns: ['close_type'], help: 'how the flow ended (fin, client-reset, timeout, …)' },
    status: { kind: 'text', columns: ['status'], help: 'flow status' },
    rtt: { kind: 'duration', columns: ['rtt'], help: 'handshake round-trip time' },
    srt: { kind: 'duration', columns: ['srt_max'], help: 'largest system response time' },
    art: { kind: 'duration', columns: ['art_max'], help: 'largest application response time' },
    duration: { kind: 'duration', columns: ['duration'], help: 'flow duration' },
    bytes: { kind: 'size', columns: ['(byte_tx + byte_rx)'], help: 'bytes both ways' },
    packets: { kind: 'int', columns: ['(packet_tx + packet_rx)'], help: 'packets both ways' },
    retrans: { kind: 'int', columns: ['(retrans_tx + retrans_rx)'], help: 'retransmissions both ways' },
    resets: { kind: 'int', columns: ['(rst_tx + rst_rx)'], help: 'RST segments' },
    zero_win: { kind: 'int', columns: ['(zero_win_tx + zero_win_rx)'], help: 'zero-window segments' },
    flow_id: { kind: 'int', columns: ['flow_id'], help: 'the flow' },
    observation_point: { kind: 'text', columns: ['observation_point'], help: 'where it was seen' },
    ...K8S_FIELDS,
  },
  aliases: {
    svc: 'service', dst: 'server', src: 'client', proto: 'protocol', close: 'close_type', flow: 'flow_id',
    retransmissions: 'retrans', rst: 'resets', tap: 'observation_point', server_port: 'port', ...K8S_ALIASES,
  },
  text: ['ip_0', 'ip_1', 'close_type', 'observation_point'],
};

/** One line per field, for the filter bar's help. */
export function filterHelp(table: FilterTable): { field: string; aliases: string[]; help: string }[] {
  return Object.entries(table.fields).map(([field, def]) => ({
    field,
    aliases: Object.entries(table.aliases).filter(([, f]) => f === field).map(([a]) => a),
    help: def.help,
  }));
}
