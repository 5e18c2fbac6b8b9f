// Store writer thread: receives batches of flat row values from the importing thread and inserts them with
// prepared statements in one transaction per batch, so SQLite's work runs on the second core.
import Database from 'better-sqlite3';
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { BatchInserter } from './batch-insert.js';
import type { BatchTable, RollupConfig } from './batch-insert.js';

/** What the importing thread sends (see bulk-writer.ts). */
export type WriterMessage =
  | { op: 'rows'; table: number; values: unknown[]; rows: number }
  /** A packed batch (packed-rows.ts). */
  | { op: 'packed'; table: number; data: Uint8Array; rows: number }
  | { op: 'run'; sql: string; params: unknown[] }
  | { op: 'sync'; id: number; flushRollups: boolean }
  | { op: 'close'; id: number };

export interface WriterInit {
  path: string;
  /** Per table: the INSERT statement for one row and its number of values. */
  tables: BatchTable[];
  rollup: RollupConfig | null;
  /** The SQLite extension for packed batches (the importing thread loaded it already), or null. */
  packedRows: string | null;
}

export type WriterReply =
  /** `buffer`: a packed batch's buffer, back for reuse. */
  | { op: 'done'; rows: number; buffer?: ArrayBuffer }
  | { op: 'synced'; id: number }
  | { op: 'error'; message: string };

const init = workerData as WriterInit;
const port = parentPort;
if (port === null) throw new Error('bulk-writer-worker must run as a worker thread');

let db: Database.Database | null = null;
let inserter: BatchInserter | null = null;
/** Why the writer stopped working; every later request is answered with it. */
let failure: string | null = null;

const fail = (err: unknown): void => {
  failure ??= err instanceof Error ? err.message : String(err);
  port.postMessage({ op: 'error', message: failure } satisfies WriterReply);
};

/**
 * This thread runs at a lower priority (nice +10) than the importing thread, which is the import's critical path:
 * on two cores the writer, V8's helper threads and the importer compete, and the writer, idle a third of the time,
 * can wait; its queue is bounded, so it never falls far behind. Whole imports of the benchmark capture, alternating
 * (4 pairs each): 2.81–2.92 s against 2.93–3.01 s (2026-12-02). Linux only: there a thread's nice value is its own,
 * set by its thread id; elsewhere the call could name another process, so nothing is done.
 */
function lowerOwnPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, Math.min(19, getPriority(tid) + 10));
  } catch {
    // No /proc, or not allowed: the thread keeps the process's priority.
  }
}
lowerOwnPriority();

try {
  db = new Database(init.path, { timeout: 60_000 });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -65536');
  // Statement journals in memory: a multi-row INSERT inside a transaction keeps one (the pages it changes, so that a
  // failing row can undo the statement alone); on disk that was two pwrite calls per page, 900k per million packets,
  // a quarter of this thread's time (measured by replaying its batches: 3.7 → 2.7 s, 2026-12-01).
  db.pragma('temp_store = MEMORY');
  inserter = new BatchInserter(db, init.tables, init.rollup, init.packedRows);
} catch (err) {
  fail(err);
}

/** Rows in the open transaction: commit past this even while batches keep coming (bounds the WAL). */
const MAX_ROWS_PER_TRANSACTION = 50_000;
let rowsInTransaction = 0;
const statements = new Map<string, Database.Statement>();
let commitScheduled = false;

/** One transaction spans the batches that arrive back to back; it commits when the queue is empty. */
const commit = (): void => {
  commitScheduled = false;
  if (db !== null && db.inTransaction) db.exec('COMMIT');
  rowsInTransaction = 0;
};

/**
 * Commit a little later rather than as soon as the queue is empty: the producer's batches come a few ms apart, and
 * each commit costs (WAL frames, checkpoints). A sync commits at once.
 */
const COMMIT_DELAY_MS = 25;

const commitSoon = (): void => {
  if (commitScheduled) return;
  commitScheduled = true;
  setTimeout(() => {
    if (!commitScheduled) return;
    try {
      commit();
    } catch (err) {
      fail(err);
    }
  }, COMMIT_DELAY_MS);
};

port.on('message', (m: WriterMessage) => {
  if (failure !== null || db === null || inserter === null) {
    if (m.op !== 'rows' && m.op !== 'packed') fail(failure ?? 'store writer closed');
    return;
  }
  try {
    if (m.op === 'rows' || m.op === 'packed') {
      if (!db.inTransaction) db.exec('BEGIN');
      if (m.op === 'rows') inserter.insertRows(m.table, m.values, m.rows);
      else inserter.insertPacked(m.table, m.data, m.rows);
      rowsInTransaction += m.rows;
      if (rowsInTransaction >= MAX_ROWS_PER_TRANSACTION) commit();
      else commitSoon();
      if (m.op === 'packed') {
        const buffer = m.data.buffer as ArrayBuffer;
        port.postMessage({ op: 'done', rows: m.rows, buffer } satisfies WriterReply, [buffer]);
      } else port.postMessage({ op: 'done', rows: m.rows } satisfies WriterReply);
    } else if (m.op === 'run') {
      if (!db.inTransaction) db.exec('BEGIN');
      let stmt = statements.get(m.sql);
      if (stmt === undefined) {
        stmt = db.prepare(m.sql);
        statements.set(m.sql, stmt);
      }
      stmt.run(m.params);
      commitSoon();
      port.postMessage({ op: 'done', rows: 0 } satisfies WriterReply);
    } else if (m.op === 'sync') {
      if (m.flushRollups) {
        if (!db.inTransaction) db.exec('BEGIN');
        inserter.flushRollupRows();
      }
      commit();
      port.postMessage({ op: 'synced', id: m.id } satisfies WriterReply);
    } else {
      if (!db.inTransaction) db.exec('BEGIN');
      inserter.flushRollupRows();
      commit();
      db.close();
      db = null;
      inserter = null;
      port.postMessage({ op: 'synced', id: m.id } satisfies WriterReply);
    }
  } catch (err) {
    if (db?.inTransaction) db.exec('ROLLBACK');
    fail(err);
  }
});
