// Overview: the capture's timeline (drag across it to narrow the time range), RED totals, RED per service with
// sparklines, the most failing endpoints and the network's health. Every row leads to the requests behind it.
import { useMemo, useRef } from 'react';
import type { ECharts, EChartsCoreOption } from 'echarts/core';
import type { ViewProps } from '../App';
import { Chart, Sparkline } from '../components/Chart';
import { fmtBytes, fmtCount, fmtDuration, fmtPct, fmtTime } from '../format';
import { useCall } from '../hooks';

function Kpi({ label, value, tone, testId }: { label: string; value: string; tone?: 'bad' | 'warn'; testId?: string }) {
  return (
    <div className={`kpi ${tone ?? ''}`} data-testid={testId}>
      <div className="kpi-value">{value}</div>
      <div className="kpi-label">{label}</div>
    </div>
  );
}

export function Overview({ theme, refresh, range, setRange, navigate }: ViewProps) {
  const summary = useCall('overview.summary', range, refresh);
  // The timeline always shows the whole capture, with the chosen range marked.
  const timeline = useCall('overview.timeline', { points: 400 }, refresh);
  const services = useCall('overview.services', { ...range, sparkPoints: 30 }, refresh);
  const endpoints = useCall('overview.endpoints', { ...range, limit: 10 }, refresh);

  const option = useMemo<EChartsCoreOption>(() => {
    const pts = timeline.data?.points ?? [];
    const interval = timeline.data?.interval ?? 1_000_000;
    return {
      tooltip: { trigger: 'axis' },
      legend: { data: ['requests', 'errors', 'timeouts'], top: 0 },
      grid: { left: 50, right: 50, top: 30, bottom: 30 },
      toolbox: { show: false },
      brush: { xAxisIndex: 0, brushType: 'lineX', brushMode: 'single', throttleType: 'debounce', throttleDelay: 300 },
      xAxis: { type: 'time', min: pts.length ? pts[0].time / 1000 : undefined, max: pts.length ? (pts[pts.length - 1].time + interval) / 1000 : undefined },
      yAxis: [{ type: 'value', name: 'per interval' }],
      series: [
        { name: 'requests', type: 'bar', stack: 'r', data: pts.map((p) => [(p.time + interval / 2) / 1000, p.requests - p.errors - p.timeouts]), itemStyle: { color: '#3e9bdc' }, barCategoryGap: '0%' },
        { name: 'errors', type: 'bar', stack: 'r', data: pts.map((p) => [(p.time + interval / 2) / 1000, p.errors]), itemStyle: { color: '#e5484d' } },
        { name: 'timeouts', type: 'bar', stack: 'r', data: pts.map((p) => [(p.time + interval / 2) / 1000, p.timeouts]), itemStyle: { color: '#f5a524' } },
      ],
    };
  }, [timeline.data]);

  // The chart binds its brush handler once: it reads the latest setRange through this ref.
  const latest = useRef(setRange);
  latest.current = setRange;
  const onReady = (c: ECharts) => {
    // Arm the brush so that a plain drag selects a range.
    c.dispatchAction({ type: 'takeGlobalCursor', key: 'brush', brushOption: { brushType: 'lineX', brushMode: 'single' } });
    c.on('brushEnd', (e: unknown) => {
      const areas = (e as { areas?: { coordRange?: [number, number] }[] }).areas ?? [];
      const r = areas[0]?.coordRange;
      if (r) latest.current(r[0] * 1000, r[1] * 1000);
    });
  };

  const s = summary.data;
  const red = s?.red;
  const errPct = red?.errorPct ?? 0;
  return (
    <div className="overview">
      <section className="panel">
        <h2>Timeline <small>{timeline.data ? `${fmtTime(s?.capture.first ?? null, true)} – ${fmtTime(s?.capture.last ?? null)}, drag to zoom` : ''}</small></h2>
        <Chart option={option} theme={theme} height={200} onReady={onReady} testId="timeline" />
      </section>
      {summary.error && <div className="banner error">{summary.error}</div>}
      <section className="kpis" data-testid="kpis">
        <Kpi label="requests" value={fmtCount(red?.requests)} testId="kpi-requests" />
        <Kpi label="errors" value={fmtCount(red?.errors)} tone={red && red.errors > 0 ? 'bad' : undefined} testId="kpi-errors" />
        <Kpi label="error rate" value={fmtPct(errPct)} tone={errPct > 1 ? 'bad' : undefined} testId="kpi-error-rate" />
        <Kpi label="timeouts" value={fmtCount(red?.timeouts)} tone={red && red.timeouts > 0 ? 'warn' : undefined} testId="kpi-timeouts" />
        <Kpi label="p50" value={fmtDuration(red?.rrtP50)} />
        <Kpi label="p90" value={fmtDuration(red?.rrtP90)} />
        <Kpi label="p99" value={fmtDuration(red?.rrtP99)} />
      </section>
      <div className="columns">
        <section className="panel grow">
          <h2>Services</h2>
          <table className="grid" data-testid="services">
            <thead>
              <tr><th>service</th><th>protocol</th><th className="num">req/s</th><th className="num">requests</th><th className="num">errors</th><th className="num">error %</th><th className="num">p50</th><th className="num">p90</th><th className="num">p99</th><th>activity</th></tr>
            </thead>
            <tbody>
              {(services.data?.services ?? []).map((x) => (
                <tr key={`${x.service}/${x.protocol}`} className="clickable" tabIndex={0}
                  onClick={() => navigate({ view: 'requests', params: { ...rangeParams(range), filter: `service=${x.service}` } })}
                  onKeyDown={(e) => { if (e.key === 'Enter') navigate({ view: 'requests', params: { ...rangeParams(range), filter: `service=${x.service}` } }); }}>
                  <td>{x.service}</td><td>{x.protocol}</td><td className="num">{x.rps}</td><td className="num">{fmtCount(x.requests)}</td>
                  <td className={`num ${x.errors > 0 ? 'bad' : ''}`}>{fmtCount(x.errors)}</td><td className={`num ${x.errorPct > 1 ? 'bad' : ''}`}>{fmtPct(x.errorPct)}</td>
                  <td className="num">{fmtDuration(x.rrtP50)}</td><td className="num">{fmtDuration(x.rrtP90)}</td><td className="num">{fmtDuration(x.rrtP99)}</td>
                  <td className="sparkcell"><Sparkline values={x.spark} errors={x.sparkErrors} theme={theme} /></td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel">
          <h2>Network health</h2>
          <dl className="facts" data-testid="network">
            <dt>flows</dt><dd>{fmtCount(s?.network.flows)}</dd>
            <dt>bytes</dt><dd>{fmtBytes(s?.network.bytes)}</dd>
            <dt>retransmissions</dt><dd className={s && s.network.retransmissions > 0 ? 'warn' : ''}>{fmtCount(s?.network.retransmissions)}</dd>
            <dt>resets</dt><dd className={s && s.network.resets > 0 ? 'bad' : ''}>{fmtCount(s?.network.resets)}</dd>
            <dt>setup failures</dt><dd className={s && s.network.setupFailures > 0 ? 'bad' : ''}>{fmtCount(s?.network.setupFailures)}</dd>
            <dt>RTT avg / max</dt><dd>{fmtDuration(s?.network.rttAvg)} / {fmtDuration(s?.network.rttMax)}</dd>
          </dl>
        </section>
      </div>
      <section className="panel">
        <h2>Most failing endpoints</h2>
        <table className="grid" data-testid="endpoints">
          <thead><tr><th>service</th><th>endpoint</th><th className="num">requests</th><th className="num">errors</th><th className="num">error %</th><th className="num">timeouts</th><th className="num">p99</th><th className="num">max</th></tr></thead>
          <tbody>
            {(endpoints.data ?? []).map((e) => {
              const service = `${e.ip.includes(':') ? `[${e.ip}]` : e.ip}:${e.port}`;
              const filter = `service=${service} endpoint="${e.endpoint}"${e.errors > 0 ? ' status=error' : ''}`;
              return (
                <tr key={`${service}${e.endpoint}`} className="clickable" tabIndex={0}
                  onClick={() => navigate({ view: 'requests', params: { ...rangeParams(range), filter } })}
                  onKeyDown={(ev) => { if (ev.key === 'Enter') navigate({ view: 'requests', params: { ...rangeParams(range), filter } }); }}>
                  <td>{service}</td><td>{e.endpoint}</td><td className="num">{fmtCount(e.requests)}</td><td className={`num ${e.errors ? 'bad' : ''}`}>{fmtCount(e.errors)}</td>
                  <td className="num">{fmtPct(e.errorPct)}</td><td className={`num ${e.timeouts ? 'warn' : ''}`}>{fmtCount(e.timeouts)}</td>
                  <td className="num">{fmtDuration(e.rrtP99)}</td><td className="num">{fmtDuration(e.rrtMax)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
    </div>
  );
}

export function rangeParams(range: { from?: number; to?: number }): Record<string, string> {
  const p: Record<string, string> = {};
  if (range.from !== undefined) p.from = String(range.from);
  if (range.to !== undefined) p.to = String(range.to);
  return p;
}
