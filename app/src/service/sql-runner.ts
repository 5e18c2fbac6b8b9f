// Child process of the engine service that runs the SQL console's queries on its own read-only connection. A query
// that runs past its time limit is stopped by killing this process (SQLite's interrupt is not reachable from
// better-sqlite3, and a worker thread cannot be stopped while SQLite is busy in native code); the pool starts a new one.
import { openReadOnly, runReadOnlySql, SqlRefusedError } from '@rewind/analysis';
import type { Db } from '@rewind/analysis';

export interface SqlRequest {
  id: number;
  db: string;
  sql: string;
  maxRows: number;
}

export type SqlReply =
  | { id: number; ok: true; columns: string[]; rows: unknown[][]; truncated: boolean; elapsedMs: number }
  | { id: number; ok: false; code: 'sql_refused' | 'bad_request' | 'no_database'; message: string };

let db: Db | null = null;
let dbPath: string | null = null;

function connection(path: string): Db {
  if (db !== null && dbPath === path) return db;
  db?.close();
  db = openReadOnly(path);
  dbPath = path;
  return db;
}

/** BigInt (integers past 2^53) and Buffers (BLOBs) as JSON-safe values. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Buffer.isBuffer(v)) return { blob: v.toString('hex') };
  return v;
}

process.on('message', (m: SqlRequest) => {
  const t0 = performance.now();
  let reply: SqlReply;
  try {
    const c = connection(m.db);
    const r = runReadOnlySql(c, m.sql, { maxRows: m.maxRows });
    reply = {
      id: m.id, ok: true, columns: r.columns, rows: r.rows.map((row) => row.map(plain)), truncated: r.truncated,
      elapsedMs: Math.round((performance.now() - t0) * 10) / 10,
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof SqlRefusedError ? 'sql_refused' : /not a Rewind database|unable to open|no such file/i.test(message) ? 'no_database' : 'bad_request';
    reply = { id: m.id, ok: false, code, message };
  }
  process.send?.(reply);
});

process.on('disconnect', () => process.exit(0));
