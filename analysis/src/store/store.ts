// SQLite store (better-sqlite3): schema creation, batched inserts of flows/metrics/violations, bundle bookkeeping.
import { registerIpFunctions } from '../query/ip-functions.js';
import Database from 'better-sqlite3';
import type { FlowRecord, NetMetricsRow } from '../flows/types.js';
import { APP_COLUMNS } from './app-rollup.js';
import { columnIndex } from './batch-insert.js';
import type { RollupConfig } from './batch-insert.js';
import { FIRST_CUSTOM_PROTOCOL_ID, SIGNAL_SOURCES } from './l7-codes.js';
import type { SyscallInfo } from '../protocols/types.js';
import { AttributesDictionary } from '../l7/record-row.js';
import { BulkWriter } from './bulk-writer.js';
import type { BulkTable } from './bulk-writer.js';
import {
  APP_METRIC_SUM_COLUMNS, INDEX_DDL, POD_LABEL_KEYS_SQL, flowViewsDdl, NET_METRIC_MAX_COLUMNS, NET_METRIC_SUM_COLUMNS, RRT_BUCKET_COLUMNS, SCHEMA_DDL, SCHEMA_VERSION,
} from './schema.js';

export type Db = Database.Database;

/** Violations kept as individual rows per (bundle, layer, kind); the rest are summed into one overflow row. */
const VIOLATION_DETAIL_LIMIT = 100;

export interface BundleRow {
  path: string;
  fileName: string;
  sizeBytes: number;
  importedAt: number;
}

export interface BundleFinish {
  format?: string;
  gzip?: boolean;
  formatVersion?: string | null;
  host?: string | null;
  writer?: string | null;
  sections: number;
  interfaces: number;
  packets: number;
  bytes: number;
  firstTime: number | null;
  lastTime: number | null;
  flows: number;
  truncatedTailBytes: number;
  unknownBlocks: Record<string, number>;
  violations: number;
  status: 'ok' | 'partial' | 'failed';
  error?: string | null;
  importDuration: number;
}

export interface ObservationPointRow {
  bundleId: number;
  sectionIndex: number;
  interfaceIndex: number;
  name: string;
  description?: string | null;
  linkType: number;
  linkTypeName: string;
  snapLen?: number | null;
  host?: string | null;
  tapSide?: string;
  metadata?: unknown;
}

export interface ObservationPointStats {
  packets: number;
  bytes: number;
  firstTime: number | null;
  lastTime: number | null;
  ifRecv?: number | null;
  ifDrop?: number | null;
  osDrop?: number | null;
}

export interface ViolationInput {
  bundleId: number;
  observationPointId?: number | null;
  layer: 'capture' | 'decode' | 'flow' | 'l7';
  kind: string;
  message: string;
  frameNumber?: number | null;
  time?: number | null;
  bytesLost?: number | null;
}

const nullIfNeg = (v: number): number | null => (v < 0 ? null : v);

/** Opens (creating if needed) a Rewind database for writing. */
export function openStore(path: string, opts: StoreOptions = {}): Store {
  return new Store(new Database(path), opts);
}

/** Opens an existing Rewind database read-only, refusing files that are not one or are from a newer schema. */
export function openReadOnly(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
    if (!row) throw new Error(`${path} is not a Rewind database (no schema version)`);
    const v = Number(row.value);
    if (v > SCHEMA_VERSION) throw new Error(`${path} has schema v${v}; this Rewind reads up to v${SCHEMA_VERSION}`);
  } catch (err) {
    db.close();
    if (err instanceof Error && /no such table/.test(err.message)) throw new Error(`${path} is not a Rewind database`);
    throw err;
  }
  db.pragma('query_only = ON');
  // Query connections aggregate over large tables: sorts and GROUP BY in memory, a 64 MiB page cache, and the file
  // mapped (no read call per page).
  db.pragma('temp_store = MEMORY');
  db.pragma('cache_size = -65536');
  db.pragma('mmap_size = 1073741824');
  registerIpFunctions(db);
  return db;
}

const TABLE_FLOW = 0;
const TABLE_NET = 1;
const TABLE_L7 = 2;
const TABLE_APP_1S = 3;
const TABLE_APP_1M = 4;
const TABLE_L7_FLOW = 5;
const TABLE_NET_1M = 6;
const TABLE_VIOLATION = 7;
const TABLE_SYSCALL = 8;
const TABLE_APP_NODE_1M = 9;
const TABLE_L7_ATTRIBUTES = 10;
const VIOLATION_COLUMNS = ['id', 'bundle_id', 'observation_point_id', 'layer', 'kind', 'message', 'frame_number', 'time', 'bytes_lost', 'count'];

/**
 * OR FAIL rather than the default ABORT: a multi-row INSERT that may abort keeps a statement journal (a copy of every
 * page it changes, so that a failing row can undo the statement alone), one per statement even in memory. FAIL needs
 * none; a failing row still fails the statement, and the writer then rolls back the whole transaction, so no row
 * that was stored differs (replayed l7_flow_log batches: 1.94 → 1.52 s; whole imports: −1.6 % CPU, within this VM's
 * noise; 2026-12-01).
 */
const insertSql = (table: string, cols: readonly string[]): string =>
  `INSERT OR FAIL INTO ${table}(${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`;

export interface StoreOptions {
  /**
   * Insert the big tables from a writer thread with its own connection (default: true for database files,
   * false for ':memory:'). The importer then awaits drain() before reading what it wrote.
   */
  writerThread?: boolean;
}

export class Store {
  readonly db: Db;
  private readonly bulk: BulkWriter;
  private violationCounts = new Map<string, { count: number; bytes: number; overflowId: number | null; synced: number }>();
  /** L7 protocol name → id in _l7_protocols. */
  private readonly protocolIds = new Map<string, number>();
  /**
   * Ids are assigned here rather than by SQLite, so that rows can be written by the writer thread without a round
   * trip (this store is the only writer while it is open).
   */
  private nextViolationId: number;
  private nextL7Id: number;
  /** Ids of the attribute texts of l7_flow_log rows (writeL7RowValues). */
  readonly attributes: AttributesDictionary;
  private nextObservationPointId: number;
  private nextProtocolId: number;

  constructor(db: Db, opts: StoreOptions = {}) {
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -65536');
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[];
    if (tables.includes('meta')) {
      const v = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined;
      if (v !== undefined && Number(v) > SCHEMA_VERSION) {
        throw new Error(`database has schema v${v}; this Rewind writes v${SCHEMA_VERSION}`);
      }
      if (v !== undefined && Number(v) < SCHEMA_VERSION) {
        throw new Error(`database has the older schema v${v}; this Rewind writes v${SCHEMA_VERSION}: import into a new database`);
      }
    } else if (tables.length > 0) {
      throw new Error('the file is an SQLite database but not a Rewind one: refusing to write into it');
    }
    db.exec(SCHEMA_DDL);
    db.exec(INDEX_DDL);
    // Label columns of the flow views, for the pod label keys already stored (SCHEMA_DDL made the views without).
    const labelKeys = this.podLabelKeys();
    if (labelKeys.length > 0) db.exec(flowViewsDdl(labelKeys));
    db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION));

    const maxId = (table: string): number => (db.prepare(`SELECT max(id) FROM ${table}`).pluck().get() as number | null) ?? 0;
    this.nextViolationId = maxId('ingest_violations') + 1;
    this.nextL7Id = maxId('_l7_flow_log') + 1;
    this.attributes = new AttributesDictionary(maxId('_l7_attributes') + 1, (id, json) => this.bulk.put(TABLE_L7_ATTRIBUTES, id, json));
    this.nextObservationPointId = maxId('observation_points') + 1;
    this.nextProtocolId = Math.max(FIRST_CUSTOM_PROTOCOL_ID, maxId('_l7_protocols') + 1);
    const metricCols = metricColumns();
    const bulkTables: BulkTable[] = [];
    bulkTables[TABLE_FLOW] = { sql: insertSql('_l4_flow_log', FLOW_COLUMNS), width: FLOW_COLUMNS.length };
    bulkTables[TABLE_NET] = { sql: insertSql('_metrics_net_1s', metricCols), width: metricCols.length };
    bulkTables[TABLE_L7] = { sql: insertSql('_l7_flow_log', L7_COLUMNS), width: L7_COLUMNS.length, flushFirst: TABLE_L7_FLOW };
    bulkTables[TABLE_APP_1S] = { sql: insertSql('_metrics_app_1s', APP_COLUMNS), width: APP_COLUMNS.length };
    bulkTables[TABLE_APP_1M] = { sql: insertSql('_metrics_app_1m', APP_COLUMNS), width: APP_COLUMNS.length };
    // The flushes chain: l7_flow_log rows go after the _l7_flow and _l7_attributes rows they refer to.
    bulkTables[TABLE_L7_FLOW] = { sql: insertSql('_l7_flow', L7_FLOW_COLUMNS), width: L7_FLOW_COLUMNS.length, flushFirst: TABLE_L7_ATTRIBUTES };
    bulkTables[TABLE_NET_1M] = { sql: insertSql('_metrics_net_1m', metricCols), width: metricCols.length };
    bulkTables[TABLE_VIOLATION] = { sql: insertSql('ingest_violations', VIOLATION_COLUMNS), width: VIOLATION_COLUMNS.length };
    bulkTables[TABLE_SYSCALL] = { sql: insertSql('_l7_syscall', SYSCALL_COLUMNS), width: SYSCALL_COLUMNS.length };
    bulkTables[TABLE_APP_NODE_1M] = { sql: insertSql('_metrics_app_node_1m', APP_COLUMNS), width: APP_COLUMNS.length };
    bulkTables[TABLE_L7_ATTRIBUTES] = { sql: insertSql('_l7_attributes', ['id', 'json']), width: 2 };
    for (const r of db.prepare('SELECT id, name FROM _l7_protocols').all() as { id: number; name: string }[]) this.protocolIds.set(r.name, r.id);
    const file = db.memory ? null : db.name;
    const rollup: RollupConfig = {
      l7Flow: TABLE_L7_FLOW, l7: TABLE_L7, app1s: TABLE_APP_1S, app1m: TABLE_APP_1M,
      layout: {
        flow: columnIndex(L7_FLOW_COLUMNS, { flowId: 'flow_id', observationPointId: 'observation_point_id', ip0: 'ip_0', ip1: 'ip_1', serverPort: 'server_port' }),
        record: columnIndex(L7_COLUMNS, {
          flowId: 'flow_id', l7Protocol: 'l7_protocol', type: 'type', endpoint: 'endpoint', responseStatus: 'response_status',
          startTime: 'start_time', responseDuration: 'response_duration',
        }),
      },
      protocols: Object.fromEntries([...this.protocolIds].map(([n, i]) => [i, n])),
      minutes: [
        {
          from: TABLE_NET, to: TABLE_NET_1M, time: metricCols.indexOf('time'),
          keys: ['observation_point_id', 'ip_0', 'ip_1', 'server_port', 'protocol'].map((c) => metricCols.indexOf(c)),
          sums: NET_METRIC_SUM_COLUMNS.map((c) => metricCols.indexOf(c)),
          maxes: NET_METRIC_MAX_COLUMNS.map((c) => metricCols.indexOf(c)),
        },
        {
          from: TABLE_APP_1S, to: TABLE_APP_NODE_1M, time: APP_COLUMNS.indexOf('time'),
          keys: ['observation_point_id', 'ip_0', 'ip_1', 'server_port', 'l7_protocol', 'endpoint'].map((c) => APP_COLUMNS.indexOf(c)),
          sums: [...APP_METRIC_SUM_COLUMNS, ...RRT_BUCKET_COLUMNS].map((c) => APP_COLUMNS.indexOf(c)),
          maxes: [APP_COLUMNS.indexOf('rrt_max')],
          quantiles: {
            p50: APP_COLUMNS.indexOf('rrt_p50'), p90: APP_COLUMNS.indexOf('rrt_p90'), p99: APP_COLUMNS.indexOf('rrt_p99'),
            buckets: RRT_BUCKET_COLUMNS.map((c) => APP_COLUMNS.indexOf(c)), max: APP_COLUMNS.indexOf('rrt_max'),
          },
        },
      ],
    };
    this.bulk = new BulkWriter(db, bulkTables, rollup, opts.writerThread === false ? null : file);
  }

  /** True when the big tables are written by a writer thread (see drain()). */
  get usesWriterThread(): boolean {
    return this.bulk.usesWorker;
  }

  /** True when the writer thread gets its batches packed (packed-rows.ts); packedRowsOff says why not. */
  get packsRows(): boolean {
    return this.bulk.packsRows;
  }

  get packedRowsOff(): string | null {
    return this.bulk.packedRowsOff;
  }

  /** Waits until every row handed to the store is committed (a no-op wait when inserting inline). */
  async drain(): Promise<void> {
    await this.bulk.drain();
  }

  /** A promise to await before producing more rows when the writer thread is behind; null when it is not. */
  pressure(): Promise<void> | null {
    return this.bulk.pressure();
  }

  /** Highest flow id in the database, so a new import continues the numbering. */
  maxFlowId(): number {
    const row = this.db.prepare('SELECT max(coalesce((SELECT max(flow_id) FROM _l4_flow_log), 0), coalesce((SELECT max(flow_id) FROM _l7_flow), 0)) AS m')
      .get() as { m: number };
    return row.m;
  }

  /** Id of an L7 protocol name (DeepFlow's for the known ones; new names are added to _l7_protocols). */
  protocolId(name: string): number {
    let id = this.protocolIds.get(name);
    if (id === undefined) {
      id = this.nextProtocolId++;
      this.bulk.run('INSERT INTO _l7_protocols(id, name) VALUES (?, ?)', [id, name]);
      this.protocolIds.set(name, id);
    }
    return id;
  }

  /** Adds the _l7_flow row every l7_flow_log row of one flow refers to (once per flow, before its records). */
  addL7Flow(f: L7FlowRow): void {
    this.bulk.put(TABLE_L7_FLOW, f.flowId, f.bundleId, f.observationPointId, SIGNAL_SOURCES[f.signalSource] ?? 0, f.ip0, f.ip1,
      f.clientPort, f.serverPort, f.protocol, f.processId ?? null, f.processName ?? null, f.tls ? 1 : 0);
  }

  /** Runs a statement in order with the rows handed over before it (the writer thread's connection when there is one). */
  runSql(sql: string, params: unknown[] = []): void {
    this.bulk.run(sql, params);
  }

  /** Recreates the flow views with a `k8s.label.<key>_0/_1` column per label key, in order with the rows. */
  refreshFlowViews(labelKeys: readonly string[]): void {
    for (const stmt of flowViewsDdl(labelKeys).split(/;\s*\n/).map((x) => x.trim()).filter((x) => x.length > 0)) this.bulk.run(stmt, []);
  }

  /** Pod label keys already in the database. */
  podLabelKeys(): string[] {
    return this.db.prepare(POD_LABEL_KEYS_SQL).pluck().all() as string[];
  }

  /** Highest id in a table with an integer id (0 when empty); read after drain() for rows written by the writer. */
  maxId(table: 'resources'): number {
    return (this.db.prepare(`SELECT max(id) FROM ${table}`).pluck().get() as number | null) ?? 0;
  }

  beginBundle(b: BundleRow): number {
    const r = this.db.prepare(`INSERT INTO bundles(path, file_name, size_bytes, status, imported_at) VALUES (?,?,?,'importing',?)`)
      .run(b.path, b.fileName, b.sizeBytes, b.importedAt);
    return Number(r.lastInsertRowid);
  }

  finishBundle(id: number, f: BundleFinish): void {
    this.bulk.run(`UPDATE bundles SET format=?, gzip=?, format_version=?, host=?, writer=?, sections=?, interfaces=?, packets=?,
      bytes=?, first_time=?, last_time=?, flows=?, truncated_tail_bytes=?, unknown_blocks=?, violations=?, status=?, error=?,
      import_duration=? WHERE id=?`, [
      f.format ?? null, f.gzip ? 1 : 0, f.formatVersion ?? null, f.host ?? null, f.writer ?? null, f.sections, f.interfaces,
      f.packets, f.bytes, f.firstTime, f.lastTime, f.flows, f.truncatedTailBytes, JSON.stringify(f.unknownBlocks),
      f.violations, f.status, f.error ?? null, f.importDuration, id,
    ]);
    this.flush();
  }

  addObservationPoint(o: ObservationPointRow): number {
    const id = this.nextObservationPointId++;
    this.bulk.run(`INSERT INTO observation_points(id, bundle_id, section_index, interface_index, name, description, link_type,
      link_type_name, snap_len, host, tap_side, metadata) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`, [
      id, o.bundleId, o.sectionIndex, o.interfaceIndex, o.name, o.description ?? null, o.linkType, o.linkTypeName,
      o.snapLen ?? null, o.host ?? null, o.tapSide ?? 'unknown', o.metadata === undefined ? null : JSON.stringify(o.metadata),
    ]);
    return id;
  }

  updateObservationPoint(id: number, s: ObservationPointStats): void {
    this.bulk.run(`UPDATE observation_points SET packets=?, bytes=?, first_time=?, last_time=?,
      if_recv=coalesce(?, if_recv), if_drop=coalesce(?, if_drop), os_drop=coalesce(?, os_drop) WHERE id=?`,
    [s.packets, s.bytes, s.firstTime, s.lastTime, s.ifRecv ?? null, s.ifDrop ?? null, s.osDrop ?? null, id]);
  }

  addFlow(f: FlowRecord, bundleId: number): void {
    writeFlowValues(this.bulk.batch(TABLE_FLOW), this.bulk.offset(TABLE_FLOW), f, bundleId);
    this.bulk.end(TABLE_FLOW);
  }

  addNetMetrics(m: NetMetricsRow): void {
    writeMetricValues(this.bulk.batch(TABLE_NET), this.bulk.offset(TABLE_NET), m);
    this.bulk.end(TABLE_NET);
  }

  /**
   * Starts an l7_flow_log row: returns its id, the batch array and the offset at which the rest of the row goes in
   * L7_COLUMNS order after the id (writeL7RowValues); then endL7().
   */
  l7Row(): { id: number; out: unknown[]; offset: number } {
    const id = this.nextL7Id++;
    const out = this.bulk.batch(TABLE_L7);
    const o = this.bulk.offset(TABLE_L7);
    out[o] = id;
    return { id, out, offset: o + 1 };
  }

  /** One process of a process-table record. */
  addProcess(p: ProcessRow): void {
    this.bulk.run(`INSERT INTO processes(bundle_id, host, pid, ppid, comm, cmdline, container_id, cgroup, start_time, seen_at, snapshot)
      VALUES (?,?,?,?,?,?,?,?,?,?,?)`, [p.bundleId, p.host, p.pid, p.ppid, p.comm, p.cmdline, p.containerId, p.cgroup, p.startTime, p.seenAt,
      p.snapshot ? 1 : 0]);
  }

  addTcpEvent(e: TcpEventRow): void {
    this.bulk.run(`INSERT INTO tcp_events(bundle_id, host, time, type, socket_id, pid, local_ip, local_port, remote_ip, remote_port,
      old_state, new_state, state, role) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, [e.bundleId, e.host, e.time, e.type, e.socketId, e.pid,
      e.localIp, e.localPort, e.remoteIp, e.remotePort, e.oldState, e.newState, e.state, e.role]);
  }

  /** The syscall context of an eBPF record (row `id` of l7_flow_log). */
  addL7Syscall(id: number, req: SyscallInfo | undefined, res: SyscallInfo | undefined): void {
    this.bulk.put(TABLE_SYSCALL, id, req?.traceId ?? null, res?.traceId ?? null, req?.tid ?? null, res?.tid ?? null,
      req?.capSeq ?? null, res?.capSeq ?? null);
  }

  endL7(): void {
    this.bulk.end(TABLE_L7);
  }



  /** Records a violation: individual rows for the first few of each kind, then one summed overflow row. */
  addViolation(v: ViolationInput): void {
    const key = `${v.bundleId}\u0000${v.layer}\u0000${v.kind}`;
    let c = this.violationCounts.get(key);
    if (!c) {
      c = { count: 0, bytes: 0, overflowId: null, synced: 0 };
      this.violationCounts.set(key, c);
    }
    c.count++;
    if (c.count <= VIOLATION_DETAIL_LIMIT) {
      this.bulk.put(TABLE_VIOLATION, this.nextViolationId++, v.bundleId, v.observationPointId ?? null, v.layer, v.kind, v.message,
        v.frameNumber ?? null, v.time ?? null, v.bytesLost ?? null, 1);
      return;
    }
    c.bytes += v.bytesLost ?? 0;
    if (c.overflowId === null) {
      c.overflowId = this.nextViolationId++;
      this.bulk.put(TABLE_VIOLATION, c.overflowId, v.bundleId, null, v.layer, v.kind,
        `further ${v.kind} violations beyond the first ${VIOLATION_DETAIL_LIMIT} (first at frame ${v.frameNumber ?? '?'}): ${v.message}`,
        v.frameNumber ?? null, v.time ?? null, v.bytesLost ?? null, 1);
    }
  }

  /** Writes the counts of overflow violation rows (called before commit points). */
  private syncViolationOverflow(): void {
    for (const c of this.violationCounts.values()) {
      if (c.overflowId !== null && c.synced !== c.count) {
        c.synced = c.count;
        this.bulk.run('UPDATE ingest_violations SET count = ?, bytes_lost = ? WHERE id = ?', [c.count - VIOLATION_DETAIL_LIMIT, c.bytes || null, c.overflowId]);
      }
    }
  }

  /** Hands out partial batches (inserted now when inline; queued to the writer thread otherwise). */
  flush(): void {
    this.bulk.flush();
    this.syncViolationOverflow();
  }

  /** Finishes a bulk load (after drain()): builds the indexes. The 1-minute rollups are written as the rows arrive. */
  finishImport(): void {
    this.flush();
    this.db.exec(INDEX_DDL);
  }



  /** Drains the writer thread, stops it and closes the database. */
  async closeAsync(): Promise<void> {
    if (!this.db.open) return;
    this.flush();
    await this.bulk.close();
    this.closeDatabase();
  }

  /** Closes at once; with a writer thread, rows not yet drained are lost (use closeAsync after an import). */
  close(): void {
    if (!this.db.open) return;
    if (this.bulk.usesWorker) {
      this.bulk.abort();
    } else {
      this.flush();
      this.bulk.flushRollupsInline();
    }
    this.closeDatabase();
  }

  /**
   * Folds the WAL into the database file and leaves one self-contained file. No fsync (synchronous stays OFF): the
   * database is derived from the capture and can be rebuilt from it, and forcing the whole file to disk cost more
   * than 0.1 s per 130 MB at the end of every import; the kernel writes it back as for any other output file.
   */
  private closeDatabase(): void {
    // One self-contained file when nobody else has it open. When another connection reads it (the app's views while
    // an import runs) neither can happen: the database stays in WAL mode, complete, and the last connection to close
    // checkpoints it. Do not wait long for those readers.
    this.db.pragma('busy_timeout = 200');
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
      this.db.pragma('journal_mode = DELETE');
    } catch (err) {
      if (!(err instanceof Error && /locked|busy/i.test(err.message))) throw err;
    }
    this.db.close();
  }
}

export function metricColumns(): string[] {
  return ['time', 'observation_point_id', 'ip_0', 'ip_1', 'server_port', 'protocol', 'packet_tx', 'packet_rx', 'byte_tx', 'byte_rx',
    'new_flow', 'closed_flow', 'retrans_tx', 'retrans_rx', 'zero_win_tx', 'zero_win_rx', 'syn_count', 'synack_count', 'rst_tx',
    'rst_rx', 'rtt_sum', 'rtt_count', 'rtt_max', 'srt_sum', 'srt_count', 'srt_max', 'art_sum', 'art_count', 'art_max',
    'setup_failures', 'resets', 'timeouts'];
}

export function writeMetricValues(out: unknown[], o: number, m: NetMetricsRow): void {
  out[o + 0] = m.time;
  out[o + 1] = m.observationPointId;
  out[o + 2] = m.ip0;
  out[o + 3] = m.ip1;
  out[o + 4] = m.serverPort;
  out[o + 5] = m.protocol;
  out[o + 6] = m.packetTx;
  out[o + 7] = m.packetRx;
  out[o + 8] = m.byteTx;
  out[o + 9] = m.byteRx;
  out[o + 10] = m.newFlow;
  out[o + 11] = m.closedFlow;
  out[o + 12] = m.retransTx;
  out[o + 13] = m.retransRx;
  out[o + 14] = m.zeroWinTx;
  out[o + 15] = m.zeroWinRx;
  out[o + 16] = m.synCount;
  out[o + 17] = m.synackCount;
  out[o + 18] = m.rstTx;
  out[o + 19] = m.rstRx;
  out[o + 20] = m.rttSum;
  out[o + 21] = m.rttCount;
  out[o + 22] = m.rttMax;
  out[o + 23] = m.srtSum;
  out[o + 24] = m.srtCount;
  out[o + 25] = m.srtMax;
  out[o + 26] = m.artSum;
  out[o + 27] = m.artCount;
  out[o + 28] = m.artMax;
  out[o + 29] = m.setupFailures;
  out[o + 30] = m.resets;
  out[o + 31] = m.timeouts;
}

/** Columns of _l7_flow_log written by the importer (id is assigned by SQLite). */
export const L7_COLUMNS = [
  'id', 'flow_id', 'l7_protocol', 'version', 'type', 'request_type', 'request_domain', 'request_resource', 'endpoint', 'request_id',
  'response_code', 'response_status', 'response_exception', 'response_result', 'request_length', 'response_length',
  'start_time', 'end_time', 'response_duration', 'req_tcp_seq', 'resp_tcp_seq', 'trace_id', 'span_id', 'x_request_id_0',
  'x_request_id_1', 'http_real_client', 'attributes_id',
];

/** Columns of _l7_flow: what the l7 records of one flow share. */
export const L7_FLOW_COLUMNS = [
  'flow_id', 'bundle_id', 'observation_point_id', 'signal_source', 'ip_0', 'ip_1', 'client_port', 'server_port', 'protocol',
  'process_id', 'process_kname', 'is_tls',
];

const SYSCALL_COLUMNS = ['id', 'syscall_trace_id_request', 'syscall_trace_id_response', 'syscall_thread_0', 'syscall_thread_1',
  'syscall_cap_seq_0', 'syscall_cap_seq_1'];

export interface ProcessRow {
  bundleId: number;
  host: string | null;
  pid: number;
  ppid: number | null;
  comm: string | null;
  cmdline: string | null;
  containerId: string | null;
  cgroup: string | null;
  startTime: number | null;
  seenAt: number | null;
  snapshot: boolean;
}

export interface TcpEventRow {
  bundleId: number;
  host: string | null;
  time: number;
  type: string;
  socketId: string | null;
  pid: number | null;
  localIp: string | null;
  localPort: number | null;
  remoteIp: string | null;
  remotePort: number | null;
  oldState: string | null;
  newState: string | null;
  state: string | null;
  role: string | null;
}

export interface L7FlowRow {
  flowId: number;
  bundleId: number;
  observationPointId: number;
  /** 'packet' | 'ebpf' | 'otel' */
  signalSource: string;
  ip0: string;
  ip1: string;
  clientPort: number;
  serverPort: number;
  protocol: number;
  /** eBPF: the socket's process. */
  processId?: number;
  processName?: string;
  /** eBPF: plaintext from the OpenSSL probes. */
  tls?: boolean;
}

export const FLOW_COLUMNS = [
  'flow_id', 'bundle_id', 'observation_point_id', 'encap', 'vlan', 'tunnel_type', 'tunnel_id', 'ip_version',
  'ip_0', 'ip_1', 'client_port', 'server_port', 'protocol', 'side_source', 'packet_tx', 'packet_rx', 'byte_tx',
  'byte_rx', 'l3_byte_tx', 'l3_byte_rx', 'l4_byte_tx', 'l4_byte_rx', 'start_time', 'end_time', 'duration',
  'rtt', 'rtt_client', 'rtt_server', 'srt_sum', 'srt_count', 'srt_max', 'art_sum', 'art_count', 'art_max',
  'cit_sum', 'cit_count', 'cit_max', 'retrans_tx', 'retrans_rx', 'zero_win_tx', 'zero_win_rx', 'ooo_tx',
  'ooo_rx', 'syn_count', 'synack_count', 'retrans_syn', 'retrans_synack', 'rst_tx', 'rst_rx', 'fin_tx',
  'fin_rx', 'tcp_flags_bit_0', 'tcp_flags_bit_1', 'close_type', 'status', 'first_frame', 'last_frame',
];

export function writeFlowValues(out: unknown[], o: number, f: FlowRecord, bundleId: number): void {
  out[o + 0] = f.flowId;
  out[o + 1] = bundleId;
  out[o + 2] = f.observationPointId;
  out[o + 3] = f.ctx;
  out[o + 4] = f.vlan;
  out[o + 5] = f.tunnelType;
  out[o + 6] = f.tunnelId;
  out[o + 7] = f.ipVersion;
  out[o + 8] = f.ip0;
  out[o + 9] = f.ip1;
  out[o + 10] = f.clientPort;
  out[o + 11] = f.serverPort;
  out[o + 12] = f.protocol;
  out[o + 13] = f.sideSource;
  out[o + 14] = f.packetTx;
  out[o + 15] = f.packetRx;
  out[o + 16] = f.byteTx;
  out[o + 17] = f.byteRx;
  out[o + 18] = f.l3ByteTx;
  out[o + 19] = f.l3ByteRx;
  out[o + 20] = f.l4ByteTx;
  out[o + 21] = f.l4ByteRx;
  out[o + 22] = f.startTime;
  out[o + 23] = f.endTime;
  out[o + 24] = f.duration;
  out[o + 25] = nullIfNeg(f.rtt);
  out[o + 26] = nullIfNeg(f.rttClient);
  out[o + 27] = nullIfNeg(f.rttServer);
  out[o + 28] = f.srtSum;
  out[o + 29] = f.srtCount;
  out[o + 30] = f.srtCount ? f.srtMax : null;
  out[o + 31] = f.artSum;
  out[o + 32] = f.artCount;
  out[o + 33] = f.artCount ? f.artMax : null;
  out[o + 34] = f.citSum;
  out[o + 35] = f.citCount;
  out[o + 36] = f.citCount ? f.citMax : null;
  out[o + 37] = f.retransTx;
  out[o + 38] = f.retransRx;
  out[o + 39] = f.zeroWinTx;
  out[o + 40] = f.zeroWinRx;
  out[o + 41] = f.oooTx;
  out[o + 42] = f.oooRx;
  out[o + 43] = f.synCount;
  out[o + 44] = f.synackCount;
  out[o + 45] = f.synRetrans;
  out[o + 46] = f.synackRetrans;
  out[o + 47] = f.rstTx;
  out[o + 48] = f.rstRx;
  out[o + 49] = f.finTx;
  out[o + 50] = f.finRx;
  out[o + 51] = f.tcpFlagsTx;
  out[o + 52] = f.tcpFlagsRx;
  out[o + 53] = f.closeType;
  out[o + 54] = f.status;
  out[o + 55] = f.firstFrame;
  out[o + 56] = f.lastFrame;
}
