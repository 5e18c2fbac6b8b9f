// Bulk row writer: rows of the big tables (flows, metrics, l7 records) are collected as flat value arrays and
// inserted in batches, either inline on the importing thread or by a writer thread on its own connection
// (bulk-writer-worker.ts), so that SQLite's work overlaps decoding and parsing on a second core.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { BatchInserter } from './batch-insert.js';
import type { BatchTable, RollupConfig } from './batch-insert.js';
import { RowPacker, loadPackedRows, packedInsertSql, packedRowsLibrary } from './packed-rows.js';
import type { WriterInit, WriterMessage, WriterReply } from './bulk-writer-worker.js';

export type BulkTable = BatchTable;

/** Rows per batch (one transaction each). */
const BATCH_ROWS = 512;
/**
 * Batches the writer thread may have queued before the producer is asked to wait (bounds memory: packed batches are
 * ≤ ~200 KB each). The producer checks it after each 4 MiB chunk, which makes ~10 batches on the benchmark capture:
 * with 8, it waited after every chunk (118 waits, ≈ 0.2 s of a 2.9 s import) and the writer's replies, which it
 * only sees when it yields, were often the whole wait. 32: wall time 2.84 → 2.70 s median over 5 alternating pairs,
 * peak RSS 342 → 352 MB (2026-12-02); 64 was no faster. Also the writer's backlog when the last packet is read.
 */
const MAX_IN_FLIGHT = 32;

/**
 * An array of n nulls with packed elements: postMessage copies a packed array densely, a holey one (`new Array(n)`,
 * even once filled) property by property, which made handing a batch over more than twice as slow (measured).
 */
function packedNulls(n: number): unknown[] {
  return Array.from({ length: n }, () => null);
}

/** The compiled worker script beside this module (or in dist/ when this module runs from TypeScript sources). */
export function writerWorkerUrl(): URL | null {
  const own = new URL('./bulk-writer-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(own))) return own;
  const p = fileURLToPath(import.meta.url);
  const dist = p.replace(/([\\/])src([\\/])store([\\/])bulk-writer\.ts$/, '$1dist$2store$3bulk-writer-worker.js');
  return dist !== p && existsSync(dist) ? pathToFileURL(dist) : null;
}

export class BulkWriter {
  private readonly values: unknown[][];
  private readonly rows: number[];
  private readonly inline: BatchInserter | null = null;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private worker: Worker | null = null;
  /** Packs the batches for the writer thread (null: value arrays for all). */
  private readonly packer: RowPacker | null = null;
  /** Why batches are not packed (no writer thread, extension not built or not loadable), for the notes. */
  readonly packedRowsOff: string | null = null;
  /** Per table: its INSERT can take packed rows (every bulk table of the store's). */
  private readonly packable: boolean[];
  private inFlight = 0;
  private syncId = 0;
  private error: Error | null = null;
  private readonly waiters: { id: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  private pressureWaiter: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void } | null = null;

  /**
   * `workerPath`: the database file for the writer thread's own connection; null = insert inline on `db`
   * (in-memory databases, or when the worker script is missing).
   */
  constructor(db: Database.Database, private readonly tables: readonly BulkTable[], rollup: RollupConfig | null, workerPath: string | null) {
    this.db = db;
    // One array per table for the whole import: rows are written by index (no growth), and after a batch is handed
    // out (postMessage copies it) its slots are cleared, so the values it held can die young.
    this.values = tables.map((t) => packedNulls(t.width * BATCH_ROWS));
    this.packable = tables.map((t) => packedInsertSql(t.sql, t.width) !== null);
    this.rows = tables.map(() => 0);
    const url = workerPath === null ? null : writerWorkerUrl();
    if (url !== null && workerPath !== null) {
      let packedRows: string | null = null;
      if (this.packable.some((x) => x)) {
        packedRows = packedRowsLibrary();
        if (packedRows === null) this.packedRowsOff = 'the rewind_rows SQLite extension is not built (or REWIND_PACKED_ROWS=0)';
        else {
          try {
            // Loaded here first, so that a library that does not load falls back to value arrays rather than failing
            // the writer thread.
            loadPackedRows(db, packedRows);
            this.packer = new RowPacker();
          } catch (err) {
            this.packedRowsOff = `the rewind_rows SQLite extension does not load: ${err instanceof Error ? err.message : String(err)}`;
            packedRows = null;
          }
        }
      }
      const init: WriterInit = {
        path: workerPath, tables: tables.map((t, i) => ({ sql: t.sql, width: t.width, packed: packedRows !== null && this.packable[i] })), rollup, packedRows,
      };
      const w = new Worker(url, { workerData: init });
      w.on('message', (m: WriterReply) => this.onReply(m));
      w.on('error', (err) => this.fail(err instanceof Error ? err : new Error(String(err))));
      w.on('exit', (code) => {
        if (this.worker !== null && code !== 0) this.fail(new Error(`store writer thread exited with code ${code}`));
      });
      this.worker = w;
    } else {
      this.packedRowsOff = 'no writer thread';
      this.inline = new BatchInserter(db, tables, rollup);
    }
  }

  /** True when batches go to the writer thread packed. */
  get packsRows(): boolean {
    return this.packer !== null;
  }

  get usesWorker(): boolean {
    return this.worker !== null;
  }

  /** The batch array of `table`: write exactly one row's values from offset(table) on, then call end(table). */
  batch(table: number): unknown[] {
    return this.values[table];
  }

  /** Where the next row of `table` starts in batch(table). */
  offset(table: number): number {
    return this.rows[table] * this.tables[table].width;
  }

  end(table: number): void {
    if (++this.rows[table] >= BATCH_ROWS) this.flushTable(table);
  }

  /** Writes one whole row (for the small tables; the hot ones write into batch() directly). */
  put(table: number, ...values: unknown[]): void {
    if (values.length !== this.tables[table].width) throw new Error(`row of ${values.length} values for a table of ${this.tables[table].width} columns`);
    const out = this.values[table];
    const o = this.offset(table);
    for (let i = 0; i < values.length; i++) out[o + i] = values[i];
    this.end(table);
  }

  /**
   * Runs one write statement in order with the rows handed out before it (on the writer thread when there is one:
   * while it works, the importing thread's own connection must not write, or the two would contend for the lock).
   */
  run(sql: string, params: unknown[]): void {
    if (this.inline !== null) {
      let stmt = this.statements.get(sql);
      if (stmt === undefined) {
        stmt = this.db.prepare(sql);
        this.statements.set(sql, stmt);
      }
      stmt.run(params);
      return;
    }
    this.flush();
    this.inFlight++;
    this.post({ op: 'run', sql, params });
  }

  /** Hands out every partial batch (inline: inserts it now; worker: queues it). */
  flush(): void {
    for (let t = 0; t < this.tables.length; t++) if (this.rows[t] > 0) this.flushTable(t);
  }

  /** A promise to await before producing more when the writer thread is behind; null when it is not. */
  pressure(): Promise<void> | null {
    if (this.error !== null) return Promise.reject(this.error);
    if (this.inFlight < MAX_IN_FLIGHT) return null;
    if (this.pressureWaiter === null) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.pressureWaiter = { promise, resolve, reject };
    }
    return this.pressureWaiter.promise;
  }

  /** Inline writer only: inserts the pending rows and the open rollup rows now (no-op with a writer thread). */
  flushRollupsInline(): void {
    if (this.inline === null) return;
    this.flush();
    this.inline.flushRollups();
  }

  /** Flushes, writes out the open rollup rows and waits until every row handed out so far is committed. */
  async drain(): Promise<void> {
    this.flush();
    if (this.inline !== null) {
      this.inline.flushRollups();
      return;
    }
    await this.request('sync');
  }

  /** Drains and stops the writer thread. */
  async close(): Promise<void> {
    if (this.worker === null) {
      await this.drain();
      return;
    }
    this.flush();
    try {
      await this.request('close');
    } finally {
      const w = this.worker;
      this.worker = null;
      this.dropPending();
      await w?.terminate();
    }
  }

  /** Stops the writer thread at once (error paths): rows not yet committed are lost, pending ones dropped. */
  abort(): void {
    const w = this.worker;
    if (w === null) return;
    this.worker = null;
    this.dropPending();
    void w.terminate();
  }

  private dropPending(): void {
    for (let t = 0; t < this.tables.length; t++) {
      this.values[t].fill(null);
      this.rows[t] = 0;
    }
  }

  private request(op: 'sync' | 'close'): Promise<void> {
    if (this.worker === null) return this.error ? Promise.reject(this.error) : Promise.resolve();
    if (this.error !== null) return Promise.reject(this.error);
    const id = ++this.syncId;
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ id, resolve, reject });
      this.post(op === 'sync' ? { op, id, flushRollups: true } : { op, id });
    });
  }

  private flushTable(table: number): void {
    // Follow the whole chain: a table with nothing pending may sit between this one and rows it refers to
    // (l7_flow_log → _l7_flow → _l7_attributes).
    const first = this.tables[table].flushFirst;
    if (first !== undefined) this.flushTable(first);
    const rows = this.rows[table];
    if (rows === 0) return;
    const values = this.values[table];
    const n = rows * this.tables[table].width;
    if (this.inline !== null) {
      this.inline.insert(table, values, rows);
    } else {
      const data = this.packer !== null && this.packable[table] ? this.packer.pack(values, rows, this.tables[table].width) : null;
      this.inFlight++;
      if (data !== null) {
        this.post({ op: 'packed', table, data, rows }, [data.buffer as ArrayBuffer]);
      } else {
        this.post({ op: 'rows', table, values: n === values.length ? values : values.slice(0, n), rows });
      }
    }
    values.fill(null, 0, n);
    this.rows[table] = 0;
  }

  private post(m: WriterMessage, transfer?: ArrayBuffer[]): void {
    if (this.worker === null) throw this.error ?? new Error('store writer thread is stopped');
    this.worker.postMessage(m, transfer);
  }

  private onReply(m: WriterReply): void {
    if (m.op === 'done') {
      this.inFlight--;
      if (m.buffer !== undefined) this.packer?.recycle(m.buffer);
      if (this.pressureWaiter !== null && this.inFlight < MAX_IN_FLIGHT) {
        const w = this.pressureWaiter;
        this.pressureWaiter = null;
        w.resolve();
      }
    } else if (m.op === 'synced') {
      const i = this.waiters.findIndex((w) => w.id === m.id);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve();
    } else {
      this.fail(new Error(`store writer: ${m.message}`));
    }
  }

  private fail(err: Error): void {
    if (this.error === null) this.error = err;
    for (const w of this.waiters.splice(0)) w.reject(this.error);
    if (this.pressureWaiter !== null) {
      const w = this.pressureWaiter;
      this.pressureWaiter = null;
      w.reject(this.error);
    }
  }
}
