// Renders an IncidentReport as Markdown for people (JSON is the report object itself).
import { errorPercent } from '../l7/app-metrics.js';
import type { IncidentReport } from './report.js';

/** µs since epoch → ISO-8601 with microseconds, UTC. */
export function formatTimeUs(us: number | null | undefined): string {
  if (us === null || us === undefined) return '-';
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString();
  const micro = String(Math.floor(us % 1_000_000)).padStart(6, '0');
  return `${iso.slice(0, 19)}.${micro}Z`;
}

/** µs duration → human text (µs, ms or s). */
export function formatDurationUs(us: number | null | undefined): string {
  if (us === null || us === undefined) return '-';
  if (us < 1000) return `${us} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(2)} ms`;
  return `${(us / 1_000_000).toFixed(3)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

const TIME_COLS = new Set(['start_time', 'end_time', 'first_time', 'last_time']);
const DURATION_COLS = new Set(['duration', 'rtt', 'rtt_client', 'rtt_server', 'art_max', 'art', 'srt_max', 'srt', 'rrt_p50', 'rrt_p90', 'rrt_p99', 'rrt_max']);
const BYTE_COLS = new Set(['bytes', 'byte_tx', 'byte_rx']);

function cell(col: string, v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') {
    if (TIME_COLS.has(col)) return formatTimeUs(v);
    if (DURATION_COLS.has(col)) return formatDurationUs(v);
    if (BYTE_COLS.has(col)) return formatBytes(v);
  }
  return String(v).replace(/\|/g, '\\|');
}

export function markdownTable(rows: Record<string, unknown>[]): string {
  if (rows.length === 0) return '_none_\n';
  const cols = Object.keys(rows[0]);
  const lines = [`| ${cols.join(' | ')} |`, `| ${cols.map(() => '---').join(' | ')} |`];
  for (const r of rows) lines.push(`| ${cols.map((c) => cell(c, r[c])).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

export function renderMarkdown(r: IncidentReport): string {
  const t = r.totals;
  const span = t.firstTime !== null && t.lastTime !== null ? t.lastTime - t.firstTime : null;
  const out: string[] = [];
  out.push('# Rewind incident report\n');
  out.push(`- Capture window: ${formatTimeUs(t.firstTime)} → ${formatTimeUs(t.lastTime)} (${formatDurationUs(span)})`);
  out.push(`- Packets: ${t.packets}, flows: ${t.flows} (TCP ${t.tcpFlows}, UDP ${t.udpFlows}, other ${t.otherFlows}), bytes in flows: ${formatBytes(t.bytes)}`);
  const failed = r.closeTypes.filter((c) => c.close_type !== 'normal' && c.close_type !== 'forced-report' && c.close_type !== 'unknown');
  out.push(`- Close types: ${r.closeTypes.map((c) => `${c.close_type} ${c.flows}`).join(', ') || 'none'}`);
  if (failed.length) out.push(`- Abnormal closes: ${failed.reduce((a, c) => a + c.flows, 0)}`);
  out.push('');
  const f = r.findings;
  if (f.failing.length > 0 || f.latency.length > 0) {
    out.push('## Findings\n');
    const ms = (us: number): string => `${(us / 1000).toFixed(us < 10_000 ? 1 : 0)} ms`;
    for (const s of f.failing.filter((x) => x.origin)) {
      const deps = s.dependencies.map((d) => {
        const parts = [
          d.failedCalls > 0 ? `${d.failedCalls} of ${d.calls} calls failed` : '',
          d.resets > 0 ? `${d.resets} connection(s) reset` : '',
          d.refused > 0 ? `${d.refused} connection attempt(s) refused (reset on SYN)` : '',
          d.timeouts > 0 ? `${d.timeouts} connection attempt(s) timed out` : '',
        ].filter(Boolean);
        return `its dependency **${d.service}**${d.pods ? ` (${d.pods})` : ''}: ${parts.join(', ')}`;
      });
      out.push(`- **Failing service: ${s.service}**${s.namespace ? ` (namespace ${s.namespace})` : ''}, pods ${s.pods.join(', ')}: `
        + `${s.errors} of ${s.requests} requests failed (${s.codes}) from ${formatTimeUs(s.firstError)}; the failures start here `
        + `(the services it calls answer)${deps.length ? `; ${deps.join('; ')}` : ''}.`
        + `${s.propagatedTo.length ? ` Passed on to: ${f.failing.filter((x) => !x.origin).map((x) => `${x.service} (${x.errors} × ${x.codes})`).join(', ')}.` : ''}`);
    }
    const seen = new Set<string>();
    for (const h of f.latency) {
      const key = `${h.pod ?? h.where}`;
      const again = seen.has(key);
      seen.add(key);
      out.push(`- **Latency added ${h.where}**: +${ms(h.addedUs)} from ${formatTimeUs(h.since)} on ${h.clientPod} → ${h.serverPod} (${h.protocol}); `
        + `median response time by observation point before → after: ${Object.keys(h.after).map((k) => `${k} ${ms(h.before[k])} → ${ms(h.after[k])}`).join(', ')}`
        + `${again ? ' (the same pod as above, seen from its other side)' : ''}.`);
    }
    out.push('');
  }
  if (r.red.requests > 0) {
    out.push(`- Requests: ${r.red.requests}, errors: ${r.red.errors} (${errorPercent(r.red.errors, r.red.responses).toFixed(2)} % of ${r.red.responses} responses), timeouts: ${r.red.timeouts}`);
    out.push('');
    out.push('## Most failing endpoints\n');
    out.push(markdownTable(r.red.failingEndpoints as unknown as Record<string, unknown>[]));
    out.push('## Slowest endpoints (p99 response time)\n');
    out.push(markdownTable(r.red.slowestEndpoints as unknown as Record<string, unknown>[]));
    out.push('## Error bursts (seconds with most errors)\n');
    out.push(markdownTable(r.red.errorBursts));
  }
  if (r.processes.length > 0) {
    out.push('## Processes (eBPF: requests each one served or made)\n');
    out.push(markdownTable(r.processes));
  }
  out.push('## Captures\n');
  out.push(markdownTable(r.captures));
  out.push('## Observation points\n');
  out.push(markdownTable(r.observationPoints));
  out.push('## Top talkers\n');
  out.push(markdownTable(r.topTalkers));
  out.push('## Failed connections by server\n');
  out.push(markdownTable(r.failedByServer));
  out.push('## Failed connections\n');
  out.push(markdownTable(r.failedConnections));
  out.push('## Slowest handshakes (rtt)\n');
  out.push(markdownTable(r.slowHandshakes));
  out.push('## Slowest responses (art / srt)\n');
  out.push(markdownTable(r.slowResponses));
  out.push('## Retransmission hot spots\n');
  out.push(markdownTable(r.retransmissionHotSpots));
  out.push('## Zero window\n');
  out.push(markdownTable(r.zeroWindow));
  out.push('## Ingest violations\n');
  out.push(markdownTable(r.violations));
  return out.join('\n');
}
