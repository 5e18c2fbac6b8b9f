// Read-only SQL for users: one statement, no writes, no ATTACH/DETACH, no setting pragmas, bounded rows.
import type { Db } from '../store/store.js';

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  /** True when the result had more rows than the limit and was cut. */
  truncated: boolean;
}

export class SqlRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlRefusedError';
  }
}

/** Removes comments and quoted literals so keyword checks see only SQL structure. */
function structuralText(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/`[^`]*`/g, '``')
    .replace(/\[[^\]]*\]/g, '[]');
}

/** Throws SqlRefusedError unless `sql` is a single read-only statement. */
export function checkReadOnlySql(db: Db, sql: string): void {
  const text = structuralText(sql).toUpperCase();
  if (/\b(ATTACH|DETACH|VACUUM|REINDEX|ANALYZE)\b/.test(text)) {
    throw new SqlRefusedError('only read-only queries are allowed (ATTACH, DETACH, VACUUM, REINDEX and ANALYZE are refused)');
  }
  if (/^\s*PRAGMA\b/.test(text) && /=|\(\s*\w+\s*\)\s*$/.test(text) && !/^\s*PRAGMA\s+\w*\.?(TABLE_INFO|TABLE_XINFO|INDEX_LIST|INDEX_INFO|FOREIGN_KEY_LIST)\s*\(/.test(text)) {
    throw new SqlRefusedError('setting pragmas is refused: the SQL console is read-only');
  }
  const stmt = db.prepare(sql);
  if (!stmt.readonly) throw new SqlRefusedError('only read-only queries are allowed');
}

/** Runs one read-only statement and returns at most `maxRows` rows. */
export function runReadOnlySql(db: Db, sql: string, opts: { maxRows?: number } = {}): SqlResult {
  const maxRows = opts.maxRows ?? 100_000;
  checkReadOnlySql(db, sql);
  const stmt = db.prepare(sql);
  if (!stmt.reader) {
    stmt.run();
    return { columns: [], rows: [], truncated: false };
  }
  stmt.raw(true);
  const columns = stmt.columns().map((c) => c.name);
  const rows: unknown[][] = [];
  let truncated = false;
  for (const row of stmt.iterate() as IterableIterator<unknown[]>) {
    if (rows.length >= maxRows) {
      truncated = true;
      break;
    }
    rows.push(row);
  }
  return { columns, rows, truncated };
}
