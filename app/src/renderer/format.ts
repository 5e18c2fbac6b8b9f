// Display formats: times, durations (µs in the engine), sizes, rates, counts.
export function fmtTime(us: number | null | undefined, withDate = false): string {
  if (us === null || us === undefined) return '';
  const d = new Date(Math.floor(us / 1000));
  const iso = d.toISOString();
  const frac = String(Math.floor(us % 1_000_000)).padStart(6, '0');
  return `${withDate ? `${iso.slice(0, 10)} ` : ''}${iso.slice(11, 19)}.${frac}`;
}

export function fmtDuration(us: number | null | undefined): string {
  if (us === null || us === undefined) return '';
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  if (us < 60_000_000) return `${(us / 1_000_000).toFixed(2)} s`;
  return `${(us / 60_000_000).toFixed(1)} min`;
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function fmtCount(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return n.toLocaleString('en-US');
}

export function fmtPct(p: number | null | undefined): string {
  if (p === null || p === undefined) return '';
  return `${p.toFixed(p < 10 ? 2 : 1)} %`;
}

/** A cell of a log table: times and durations by column name, the rest as text. */
export function fmtCell(column: string, v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (column === 'start_time' || column === 'end_time' || column === 'time') return fmtTime(v);
    if (/duration|^rtt$|srt|art|rrt/.test(column)) return fmtDuration(v);
    if (/^byte_|_length$/.test(column)) return fmtBytes(v);
    return String(v);
  }
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** A table cell of an address that shows the tagged name beside it when the capture had tags (`pod (10.1.2.3)`). */
export function named(nameKey: string): (v: unknown, row: unknown[], get: (key: string) => unknown) => string {
  return (v, _row, get) => {
    const name = get(nameKey);
    const ip = v === null || v === undefined ? '' : String(v);
    return typeof name === 'string' && name.length > 0 ? `${name} (${ip})` : ip;
  };
}
