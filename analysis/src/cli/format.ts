// Output formats of `rewind query`: aligned text table, CSV (RFC 4180) and JSON.
import type { SqlResult } from '../query/read-only-sql.js';

function text(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return `x'${v.toString('hex')}'`;
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}

export function formatTable(r: SqlResult): string {
  const cells = r.rows.map((row) => row.map(text));
  const widths = r.columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((row) => row[i].length))));
  const clip = (s: string, w: number): string => (s.length > w ? s.slice(0, w - 1) + '…' : s);
  const line = (vals: string[]): string => vals.map((v, i) => clip(v, widths[i]).padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(r.columns), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  out.push(`(${r.rows.length} row${r.rows.length === 1 ? '' : 's'}${r.truncated ? ', truncated' : ''})`);
  return out.join('\n') + '\n';
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = text(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatCsv(r: SqlResult): string {
  const out = [r.columns.map(csvField).join(',')];
  for (const row of r.rows) out.push(row.map(csvField).join(','));
  return out.join('\r\n') + '\r\n';
}

export function formatJson(r: SqlResult): string {
  const objs = r.rows.map((row) => {
    const o: Record<string, unknown> = {};
    r.columns.forEach((c, i) => {
      const v = row[i];
      o[c] = Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'bigint' ? v.toString() : v;
    });
    return o;
  });
  return JSON.stringify(objs, null, 2) + '\n';
}
