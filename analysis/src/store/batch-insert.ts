// Inserts batches of flat row values with prepared statements, one transaction per batch, and feeds l7_flow_log
// rows to the RED rollup on the way. Shared by the inline writer and the writer thread.
import type Database from 'better-sqlite3';
import { AppRollup } from './app-rollup.js';
import type { AppSample } from './app-rollup.js';
import { APP_METRICS_LAG_S, quantileFromBuckets } from '../l7/app-metrics.js';
import { L7_TYPES, RESPONSE_STATUSES } from './l7-codes.js';
import { PackedColumnReader, loadPackedRows, packedInsertSql } from './packed-rows.js';

export interface BatchTable {
  /** INSERT statement for one row. */
  sql: string;
  /** Values per row. */
  width: number;
  /** A table whose pending rows (and its own flushFirst's, down the chain) must be inserted before this one's. */
  flushFirst?: number;
  /** Batches of this table come packed (packed-rows.ts; the writer thread's tables, when the extension loads). */
  packed?: boolean;
}

/** Positions of the fields the rollup reads in the l7 flow rows and the l7 record rows. */
export interface RollupLayout {
  flow: { flowId: number; observationPointId: number; ip0: number; ip1: number; serverPort: number };
  record: RecordLayout;
}

export interface RecordLayout {
  flowId: number; l7Protocol: number; type: number; endpoint: number; responseStatus: number; startTime: number; responseDuration: number;
}

/** The RED rollup's fields read out of packed l7_flow_log batches, each in its slot of a row's values (PackedColumnReader). */
const SIDE_LAYOUT: RecordLayout = { flowId: 0, l7Protocol: 1, type: 2, endpoint: 3, responseStatus: 4, startTime: 5, responseDuration: 6 };

/**
 * A per-minute table rolled up from a per-second one as its rows are inserted (metrics_net_1m from metrics_net_1s,
 * metrics_app_node_1m from metrics_app_1s): rows of one key and minute add up their sums and take the larger maxima.
 * Both tables have the same columns.
 */
export interface MinuteRollupConfig {
  from: number;
  to: number;
  time: number;
  keys: number[];
  sums: number[];
  maxes: number[];
  /** Percentile columns recomputed from the summed histogram when the row is written. */
  quantiles?: { p50: number; p90: number; p99: number; buckets: number[]; max: number };
}

/** Which tables the rollup reads and writes (indexes into the table list). */
export interface RollupConfig {
  l7Flow: number;
  l7: number;
  app1s: number;
  app1m: number;
  layout: RollupLayout;
  /** L7 protocol names by id (more are looked up in _l7_protocols). */
  protocols: Record<number, string>;
  minutes: MinuteRollupConfig[];
}

/**
 * How late a per-second row may come after newer ones: metrics_net_1s rows come in time order, metrics_app_1s rows
 * up to their aggregator's lag late; 5 s more for margin (15 s).
 */
const MINUTE_GRACE_US = (APP_METRICS_LAG_S + 5) * 1_000_000;

/**
 * Rows of the same key and minute merged; a minute is written once a row 15 s past its end arrives, or at the end.
 * Writing minutes early keeps them out of the serial time at the end of an import (two minutes were open there
 * before: ~6k metrics_net_1m rows on the benchmark capture).
 */
class MinuteRollup {
  private rows = new Map<string, unknown[]>();
  /** Time of the newest row added. */
  private newest = -Infinity;
  /** Minutes before this were written. */
  private writtenBefore = -Infinity;
  /** The row key: the minute and the key columns' values (generated once per table: one template, no loops). */
  private readonly keyOf: (v: readonly unknown[], o: number, minute: number) => string;
  /** Adds a second's sums into its minute's row and keeps the larger maxima (generated once per table). */
  private readonly merge: (m: unknown[], v: readonly unknown[], o: number) => void;

  constructor(private readonly cfg: MinuteRollupConfig, private readonly write: (row: unknown[]) => void) {
    const idx = (i: number): number => {
      if (!Number.isInteger(i) || i < 0) throw new Error(`bad column index ${i}`);
      return i;
    };
    const key = cfg.keys.map((k) => `\u0000\${v[o + ${idx(k)}]}`).join('');
    this.keyOf = new Function('v', 'o', 'minute', `return \`\${minute}${key}\`;`) as typeof this.keyOf;
    const body = [
      ...cfg.sums.map((i) => `m[${idx(i)}] += v[o + ${i}];`),
      ...cfg.maxes.map((i) => `if (v[o + ${idx(i)}] > m[${i}]) m[${i}] = v[o + ${i}];`),
    ].join('\n');
    this.merge = new Function('m', 'v', 'o', body) as typeof this.merge;
  }

  add(v: readonly unknown[], o: number, width: number): void {
    const c = this.cfg;
    const t = v[o + c.time] as number;
    const minute = Math.floor(t / 60_000_000) * 60_000_000;
    if (t > this.newest) {
      this.newest = t;
      const complete = Math.floor((t - MINUTE_GRACE_US) / 60_000_000) * 60_000_000;
      if (complete > this.writtenBefore) {
        this.writtenBefore = complete;
        this.flushBefore(complete);
      }
    }
    const key = this.keyOf(v, o, minute);
    const m = this.rows.get(key);
    if (m === undefined) {
      // The minute's row starts as a copy of its first second (the batch array is reused).
      const row = v.slice(o, o + width);
      row[c.time] = minute;
      this.rows.set(key, row);
      return;
    }
    this.merge(m, v, o);
  }

  flushBefore(limit: number): void {
    const t = this.cfg.time;
    for (const [k, row] of this.rows) {
      if ((row[t] as number) < limit) {
        this.emit(row);
        this.rows.delete(k);
      }
    }
  }

  flushAll(): void {
    for (const row of this.rows.values()) this.emit(row);
    this.rows = new Map();
    this.newest = -Infinity;
    this.writtenBefore = -Infinity;
  }

  private emit(row: unknown[]): void {
    const q = this.cfg.quantiles;
    if (q) {
      // Built by push: Array.prototype.map returns a holey array, and quantileFromBuckets, which also gets the packed
      // histograms of app-rollup.ts on this thread, was deoptimized for the second array kind (--trace-deopt).
      const hist: number[] = [];
      for (const i of q.buckets) hist.push(row[i] as number);
      const max = row[q.max] as number;
      row[q.p50] = quantileFromBuckets(0.5, hist, max);
      row[q.p90] = quantileFromBuckets(0.9, hist, max);
      row[q.p99] = quantileFromBuckets(0.99, hist, max);
    }
    this.write(row);
  }
}

interface FlowInfo {
  observationPointId: number;
  ip0: string;
  ip1: string;
  serverPort: number;
  /** The RED aggregators' groups for this flow (see AppFlowRef). */
  appGroups: unknown[];
}

/** Flows remembered for the rollup; past it the oldest are forgotten (and read back from _l7_flow if needed). */
const MAX_FLOWS = 200_000;

/** Rows per multi-row INSERT: one statement step for several rows costs less than one per row (measured, 2026-12-01). */
const ROWS_PER_STATEMENT = 8;
/**
 * Tables wider than this insert one row per statement: the runner of a multi-row statement is one generated function
 * with width × ROWS_PER_STATEMENT arguments, and optimizing it cost more than it saved on the wide tables, which get
 * few rows (_l4_flow_log: 480 arguments, ~0.2 s of compile time on a background thread against ~0.3 µs per row saved
 * for 27k rows; measured 2026-12-01).
 */
const MAX_MULTI_ROW_WIDTH = 32;
/** Values one statement may bind here (SQLite's own limit is 32766). */
const MAX_BOUND = 4096;

/** `INSERT … VALUES (?, …)` for one row → the same for `k` rows; null when the statement has another shape. */
export function multiRowSql(sql: string, k: number): string | null {
  const at = sql.lastIndexOf(' VALUES (');
  if (at < 0 || !sql.endsWith(')')) return null;
  const tuple = sql.slice(at + ' VALUES '.length);
  if (!/^\((\?,)*\?\)$/.test(tuple)) return null;
  return sql + `,${tuple}`.repeat(k - 1);
}

/** Runs a prepared INSERT with the `width` values that start at `offset` in `values`. */
export type RowRunner = (values: readonly unknown[], offset: number) => void;

/**
 * A runner that passes each value as its own argument: better-sqlite3 then binds straight from the call's
 * arguments, where an array argument costs one V8 property lookup per value (measured on l7_flow_log rows,
 * 27 values: 4.4 → 3.6 µs per row, 2026-12-01). The function is generated once per statement.
 */
export function rowRunner(stmt: Database.Statement, width: number): RowRunner {
  if (!Number.isInteger(width) || width < 1 || width > MAX_BOUND) throw new Error(`bad row width ${width}`);
  const args = Array.from({ length: width }, (_, i) => `v[o + ${i}]`).join(', ');
  return new Function('stmt', `return function runRow(v, o) { stmt.run(${args}); };`)(stmt) as RowRunner;
}

export class BatchInserter {
  private readonly widths: number[];
  private readonly runners: RowRunner[];
  /** Per table: a runner for ROWS_PER_STATEMENT rows at once (null when the statement cannot be widened). */
  private readonly multiRunners: (RowRunner | null)[];
  /** Per table: how the rollups read its packed batches back (null: they do not; made at the first batch). */
  private readonly packedReaders: ({ reader: PackedColumnReader; visit: (v: unknown[]) => void } | null | undefined)[] = [];
  /** Per table: `INSERT … SELECT … FROM rewind_rows(?)` for packed batches (null: the table is not packed). */
  private readonly packedStatements: (Database.Statement | null)[];
  private readonly rollup: AppRollup | null = null;
  private readonly cfg: RollupConfig | null;
  private readonly flows = new Map<number, FlowInfo>();
  private readonly protocols = new Map<number, string>();
  private readonly flowStmt: Database.Statement | null = null;
  private readonly protocolStmt: Database.Statement | null = null;
  private readonly sample: AppSample = {
    tsUs: 0, observationPointId: 0, ip0: '', ip1: '', serverPort: 0, protocol: '', endpoint: '', hasRequest: false,
    hasResponse: false, status: '', rrt: 0,
  };
  /** Minute rollups by the table they read. */
  private readonly minutes: (MinuteRollup | undefined)[] = [];
  private appNodeMinute: MinuteRollup | undefined;
  private readonly insertTx: (table: number, values: readonly unknown[], rows: number) => void;
  private readonly flushTx: () => void;

  /** `packedRows`: the SQLite extension to load for packed batches (packed-rows.ts), or null when none come. */
  constructor(db: Database.Database, tables: readonly BatchTable[], rollup: RollupConfig | null, packedRows: string | null = null) {
    this.widths = tables.map((t) => t.width);
    if (packedRows !== null) loadPackedRows(db, packedRows);
    this.packedStatements = tables.map((t) => {
      if (packedRows === null || t.packed !== true) return null;
      const sql = packedInsertSql(t.sql, t.width);
      if (sql === null) throw new Error(`table of ${t.width} columns cannot take packed rows: ${t.sql.slice(0, 60)}`);
      return db.prepare(sql);
    });
    this.runners = tables.map((t) => rowRunner(db.prepare(t.sql), t.width));
    this.multiRunners = tables.map((t) => {
      const sql = t.width <= MAX_MULTI_ROW_WIDTH && t.width * ROWS_PER_STATEMENT <= MAX_BOUND ? multiRowSql(t.sql, ROWS_PER_STATEMENT) : null;
      return sql === null ? null : rowRunner(db.prepare(sql), t.width * ROWS_PER_STATEMENT);
    });
    this.cfg = rollup;
    if (rollup !== null) {
      const r1 = this.runners[rollup.app1s];
      const r60 = this.runners[rollup.app1m];
      for (const m of rollup.minutes) {
        const run = this.runners[m.to];
        this.minutes[m.from] = new MinuteRollup(m, (row) => run(row, 0));
      }
      // metrics_app_1s rows are made here (not handed in): they reach their minute rollup from the emitter.
      this.appNodeMinute = this.minutes[rollup.app1s];
      const width1s = this.widths[rollup.app1s];
      this.rollup = new AppRollup((minute, values) => {
        if (minute) r60(values, 0);
        else {
          r1(values, 0);
          this.appNodeMinute?.add(values, 0, width1s);
        }
      });
      for (const [id, name] of Object.entries(rollup.protocols)) this.protocols.set(Number(id), name);
      this.flowStmt = db.prepare('SELECT observation_point_id AS observationPointId, ip_0 AS ip0, ip_1 AS ip1, server_port AS serverPort FROM _l7_flow WHERE flow_id = ?');
      this.protocolStmt = db.prepare('SELECT name FROM _l7_protocols WHERE id = ?').pluck();
    }
    this.insertTx = db.transaction((table: number, v: readonly unknown[], rows: number) => this.insertRows(table, v, rows));
    this.flushTx = db.transaction(() => this.flushRollupRows());
  }

  /** Inserts rows without a transaction of its own (the caller holds one). */
  insertRows(table: number, v: readonly unknown[], rows: number): void {
    const run = this.runners[table];
    const multi = this.multiRunners[table];
    const width = this.widths[table];
    let r = 0;
    if (multi !== null) for (; r + ROWS_PER_STATEMENT <= rows; r += ROWS_PER_STATEMENT) multi(v, r * width);
    for (; r < rows; r++) run(v, r * width);
    const cfg = this.cfg;
    const minute = this.minutes[table];
    const kind = cfg === null ? 0 : table === cfg.l7 ? 1 : table === cfg.l7Flow ? 2 : minute !== undefined ? 3 : 0;
    if (kind === 0) return;
    for (let r = 0, o = 0; r < rows; r++, o += width) {
      if (kind === 1) this.rollRecord(v, o, (cfg as RollupConfig).layout.record);
      else if (kind === 2) this.rememberFlow(v, o);
      else (minute as MinuteRollup).add(v, o, width);
    }
  }

  /** Inserts a packed batch of `rows` rows (packed-rows.ts) without a transaction of its own. */
  insertPacked(table: number, data: Uint8Array, rows: number): void {
    const stmt = this.packedStatements[table];
    if (stmt === null || stmt === undefined) throw new Error(`table ${table} takes no packed rows here`);
    const { changes } = stmt.run(data);
    if (changes !== rows) throw new Error(`packed batch gave ${changes} rows, expected ${rows}`);
    const cfg = this.cfg;
    if (cfg === null) return;
    let reader = this.packedReaders[table];
    if (reader === undefined) {
      // The rollups read the rows back: l7_flow_log rows' seven fields into the slots of SIDE_LAYOUT, the other
      // tables' rows whole.
      const width = this.widths[table];
      const minute = this.minutes[table];
      if (table === cfg.l7) {
        const L = cfg.layout.record;
        const columns: number[] = [];
        for (const k of Object.keys(SIDE_LAYOUT) as (keyof RecordLayout)[]) columns[SIDE_LAYOUT[k]] = L[k];
        reader = { reader: new PackedColumnReader(width, columns), visit: (v) => this.rollRecord(v, 0, SIDE_LAYOUT) };
      } else if (table === cfg.l7Flow || minute !== undefined) {
        const all = Array.from({ length: width }, (_, i) => i);
        const visit = table === cfg.l7Flow ? (v: unknown[]) => this.rememberFlow(v, 0) : (v: unknown[]) => minute?.add(v, 0, width);
        reader = { reader: new PackedColumnReader(width, all), visit };
      } else {
        reader = null;
      }
      this.packedReaders[table] = reader;
    }
    if (reader !== null) reader.reader.read(data, reader.visit);
  }

  /** Writes out every open rollup row without a transaction of its own. */
  flushRollupRows(): void {
    this.rollup?.flush();
    for (const m of this.minutes) m?.flushAll();
  }

  /** Inserts `rows` rows whose values lie back to back in `values`. */
  insert(table: number, values: readonly unknown[], rows: number): void {
    this.insertTx(table, values, rows);
  }

  /** Writes out every open rollup row (end of a bundle). */
  flushRollups(): void {
    this.flushTx();
  }

  private rememberFlow(v: readonly unknown[], o: number): void {
    const L = (this.cfg as RollupConfig).layout.flow;
    if (this.flows.size >= MAX_FLOWS) {
      let n = MAX_FLOWS / 4;
      for (const k of this.flows.keys()) {
        this.flows.delete(k);
        if (--n === 0) break;
      }
    }
    this.flows.set(v[o + L.flowId] as number, {
      observationPointId: v[o + L.observationPointId] as number, ip0: v[o + L.ip0] as string, ip1: v[o + L.ip1] as string,
      serverPort: v[o + L.serverPort] as number, appGroups: [],
    });
  }

  private rollRecord(v: readonly unknown[], o: number, L: RecordLayout): void {
    const flowId = v[o + L.flowId] as number;
    let f = this.flows.get(flowId);
    if (f === undefined) {
      const row = (this.flowStmt as Database.Statement).get(flowId) as Omit<FlowInfo, 'appGroups'> | undefined;
      if (row === undefined) return; // cannot happen: flow rows are inserted first
      f = { observationPointId: row.observationPointId, ip0: row.ip0, ip1: row.ip1, serverPort: row.serverPort, appGroups: [] };
      this.flows.set(flowId, f);
    }
    const pid = v[o + L.l7Protocol] as number;
    let protocol = this.protocols.get(pid);
    if (protocol === undefined) {
      protocol = ((this.protocolStmt as Database.Statement).get(pid) as string | undefined) ?? String(pid);
      this.protocols.set(pid, protocol);
    }
    const type = L7_TYPES[v[o + L.type] as number];
    const s = this.sample;
    s.tsUs = v[o + L.startTime] as number;
    s.observationPointId = f.observationPointId;
    s.ip0 = f.ip0;
    s.ip1 = f.ip1;
    s.serverPort = f.serverPort;
    s.protocol = protocol;
    s.endpoint = (v[o + L.endpoint] as string | null) ?? '';
    s.hasRequest = type !== 'response';
    s.hasResponse = type !== 'request';
    s.status = RESPONSE_STATUSES[v[o + L.responseStatus] as number] ?? 'unknown';
    s.rrt = (v[o + L.responseDuration] as number | null) ?? 0;
    (this.rollup as AppRollup).add(s, f);
  }
}

/** Index of each named column, for RollupLayout. */
export function columnIndex<K extends string>(columns: readonly string[], names: Record<K, string>): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const k of Object.keys(names) as K[]) {
    const i = columns.indexOf(names[k]);
    if (i < 0) throw new Error(`no column ${names[k]}`);
    out[k] = i;
  }
  return out;
}
