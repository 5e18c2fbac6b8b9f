// Runs SQL console queries in a child process (sql-runner.ts) with a row limit and a time limit: past the time limit
// the child is killed, the query answers sql_timeout, and the next query starts a fresh child.
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { compiledScript } from './paths.js';
import type { SqlReply, SqlRequest } from './sql-runner.js';

export class SqlTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the query ran longer than ${timeoutMs} ms and was stopped`);
    this.name = 'SqlTimeoutError';
  }
}

export class SqlQueryError extends Error {
  constructor(readonly code: 'sql_refused' | 'bad_request' | 'no_database', message: string) {
    super(message);
    this.name = 'SqlQueryError';
  }
}

export interface SqlOk {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}

interface Pending {
  child: ChildProcess;
  resolve: (r: SqlOk) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class SqlPool {
  private child: ChildProcess | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Queries run one at a time (a slow one holds the next ones until it ends or is stopped). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly runnerPath = fileURLToPath(compiledScript('sql-runner.js'))) {}

  query(db: string, sql: string, maxRows: number, timeoutMs: number): Promise<SqlOk> {
    const run = this.queue.then(() => this.runOne(db, sql, maxRows, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private spawn(): ChildProcess {
    const c = fork(this.runnerPath, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced' });
    c.on('message', (m: SqlReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve({ columns: m.columns, rows: m.rows, truncated: m.truncated, elapsedMs: m.elapsedMs });
      else p.reject(new SqlQueryError(m.code, m.message));
    });
    c.on('exit', () => {
      if (this.child === c) this.child = null;
      for (const [id, p] of this.pending) {
        if (p.child !== c) continue;
        clearTimeout(p.timer);
        p.reject(new Error('the SQL process ended unexpectedly'));
        this.pending.delete(id);
      }
    });
    this.child = c;
    return c;
  }

  private runOne(db: string, sql: string, maxRows: number, timeoutMs: number): Promise<SqlOk> {
    const child = this.child ?? this.spawn();
    const id = this.nextId++;
    return new Promise<SqlOk>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        if (this.child === child) this.child = null;
        child.kill('SIGKILL');
        reject(new SqlTimeoutError(timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { child, resolve, reject, timer });
      child.send({ id, db, sql, maxRows } satisfies SqlRequest);
    });
  }

  close(): void {
    const c = this.child;
    this.child = null;
    c?.kill('SIGKILL');
  }
}
