// Text helpers for PostgreSQL messages: bounded C strings, SQL truncation and the first keyword as endpoint.
import { MAX_SQL } from './types.js';

/** A NUL-terminated string read from buf[start..end): `next` is past the NUL, or -1 when the NUL is not in range. */
export function readCString(buf: Buffer, start: number, end: number, max = MAX_SQL * 4): { text: string; next: number } {
  const stop = Math.min(end, buf.length);
  if (start >= stop) return { text: '', next: -1 };
  const nul = buf.indexOf(0, start);
  const found = nul >= 0 && nul < stop;
  const last = found ? nul : stop;
  const text = buf.toString('utf8', start, Math.min(last, start + max));
  return { text, next: found ? nul + 1 : -1 };
}

/** SQL as kept in requestResource: at most MAX_SQL characters. */
export function truncateSql(sql: string): string {
  return sql.length > MAX_SQL ? sql.slice(0, MAX_SQL) : sql;
}

/** The statement's first keyword, upper-cased (SELECT, INSERT, WITH ...), skipping white space, comments and '('. */
export function firstKeyword(sql: string): string | undefined {
  let i = 0;
  const n = sql.length;
  for (let guard = 0; guard < 64 && i < n; guard++) {
    const c = sql[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '(' || c === ';') {
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const e = sql.indexOf('\n', i);
      i = e < 0 ? n : e + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const e = sql.indexOf('*/', i + 2);
      i = e < 0 ? n : e + 2;
    } else {
      break;
    }
  }
  const m = /^[A-Za-z_]+/.exec(sql.slice(i, i + 32));
  return m ? m[0].toUpperCase() : undefined;
}
