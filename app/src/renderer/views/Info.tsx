// Bundle info: the captures in the database, where they were recorded (observation points, drops), the time range,
// totals and integrity (truncated tails, unknown blocks, ingest violations).
import type { ViewProps } from '../App';
import { fmtBytes, fmtCount, fmtDuration, fmtTime } from '../format';
import { useCall } from '../hooks';

export function Info({ refresh }: ViewProps) {
  const info = useCall('bundle.info', {}, refresh);
  const d = info.data;
  if (info.error) return <div className="banner error">{info.error}</div>;
  if (!d) return <div className="muted">loading…</div>;
  const span = d.capture.first !== null && d.capture.last !== null ? d.capture.last - d.capture.first : null;
  return (
    <div className="info" data-testid="info">
      <section className="panel">
        <h2>Capture</h2>
        <dl className="facts">
          <dt>time range</dt><dd>{fmtTime(d.capture.first, true)} – {fmtTime(d.capture.last, true)} ({fmtDuration(span)})</dd>
          <dt>packets</dt><dd>{fmtCount(d.totals.packets)}</dd>
          <dt>bytes</dt><dd>{fmtBytes(d.totals.bytes)}</dd>
          <dt>flows</dt><dd>{fmtCount(d.totals.flows)}</dd>
          <dt>L7 records</dt><dd>{fmtCount(d.totals.requests)}</dd>
          <dt>ingest violations</dt><dd className={d.totals.violations > 0 ? 'warn' : ''}>{fmtCount(d.totals.violations)}</dd>
        </dl>
      </section>
      <section className="panel">
        <h2>Bundles</h2>
        <table className="grid" data-testid="info-bundles">
          <thead><tr><th>file</th><th>format</th><th>host</th><th>writer</th><th className="num">packets</th><th className="num">size</th><th>status</th><th className="num">truncated tail</th><th>unknown blocks</th><th>error</th></tr></thead>
          <tbody>
            {d.bundles.map((b) => (
              <tr key={String(b.id)}>
                <td title={String(b.path)}>{String(b.file_name)}</td><td>{String(b.format ?? '')}{b.format_version ? ` v${String(b.format_version)}` : ''}</td>
                <td>{String(b.host ?? '')}</td><td>{String(b.writer ?? '')}</td><td className="num">{fmtCount(b.packets as number)}</td>
                <td className="num">{fmtBytes(b.size_bytes as number)}</td><td className={b.status === 'ok' ? '' : 'bad'}>{String(b.status)}</td>
                <td className="num">{fmtBytes(b.truncated_tail_bytes as number)}</td><td>{String(b.unknown_blocks ?? '')}</td><td>{String(b.error ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel">
        <h2>Observation points and coverage</h2>
        <table className="grid" data-testid="info-ops">
          <thead><tr><th>name</th><th>link</th><th>tap side</th><th>host</th><th className="num">packets</th><th className="num">bytes</th><th className="num">received</th><th className="num">dropped (if)</th><th className="num">dropped (os)</th></tr></thead>
          <tbody>
            {d.observationPoints.map((o) => (
              <tr key={String(o.id)}>
                <td>{String(o.name)}</td><td>{String(o.link_type)}</td><td>{String(o.tap_side)}</td><td>{String(o.host ?? '')}</td>
                <td className="num">{fmtCount(o.packets as number)}</td><td className="num">{fmtBytes(o.bytes as number)}</td>
                <td className="num">{o.if_recv === null ? '' : fmtCount(o.if_recv as number)}</td>
                <td className={`num ${Number(o.if_drop) > 0 ? 'bad' : ''}`}>{o.if_drop === null ? 'unknown' : fmtCount(o.if_drop as number)}</td>
                <td className={`num ${Number(o.os_drop) > 0 ? 'bad' : ''}`}>{o.os_drop === null ? 'unknown' : fmtCount(o.os_drop as number)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {d.violations.length > 0 && (
        <section className="panel">
          <h2>Ingest violations</h2>
          <table className="grid">
            <thead><tr><th>bundle</th><th>layer</th><th>kind</th><th className="num">count</th><th className="num">bytes lost</th><th className="num">first frame</th></tr></thead>
            <tbody>
              {d.violations.map((v, i) => (
                <tr key={i}><td>{String(v.bundle)}</td><td>{String(v.layer)}</td><td>{String(v.kind)}</td><td className="num">{fmtCount(v.count as number)}</td><td className="num">{fmtBytes(v.bytes_lost as number | null)}</td><td className="num">{String(v.first_frame ?? '')}</td></tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
