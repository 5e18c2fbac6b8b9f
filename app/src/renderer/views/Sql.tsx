// SQL console: one read-only statement over the database's views (l7_flow_log, l4_flow_log, metrics_*), a results
// table, and a chart of the result in one click (first column as x, the numeric ones as series).
import { useMemo, useState } from 'react';
import type { EChartsCoreOption } from 'echarts/core';
import { ApiCallError, call } from '../api';
import type { SqlResult } from '../../common/api';
import type { ViewProps } from '../App';
import { Chart } from '../components/Chart';
import { VirtualTable } from '../components/VirtualTable';
import { fmtCell } from '../format';

const DEFAULT_SQL = `SELECT endpoint, count(*) AS requests, sum(response_status != 'ok') AS failed, max(response_duration) AS max_rrt
FROM l7_flow_log GROUP BY endpoint ORDER BY requests DESC LIMIT 20`;

export function Sql({ route, navigate, theme }: ViewProps) {
  const [text, setText] = useState(route.params.q ?? DEFAULT_SQL);
  const [result, setResult] = useState<SqlResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [chart, setChart] = useState<'none' | 'bar' | 'line'>('none');
  const run = async (): Promise<void> => {
    setBusy(true);
    navigate({ params: { ...route.params, q: text } }, false);
    try {
      setResult(await call('sql.query', { sql: text }));
      setError(null);
    } catch (err) {
      setError(err instanceof ApiCallError ? `${err.error.code}: ${err.message}` : String(err));
      setResult(null);
    } finally {
      setBusy(false);
    }
  };
  const numericCols = useMemo(() => {
    if (!result || result.rows.length === 0) return [] as number[];
    return result.columns.map((_, i) => i).filter((i) => i > 0 && result.rows.every((r) => r[i] === null || typeof r[i] === 'number'));
  }, [result]);
  const option = useMemo<EChartsCoreOption>(() => {
    if (!result) return {};
    return {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 30, bottom: 60 },
      xAxis: { type: 'category', data: result.rows.map((r) => String(r[0])), axisLabel: { rotate: 30 } },
      yAxis: { type: 'value' },
      series: numericCols.map((i) => ({ name: result.columns[i], type: chart === 'line' ? 'line' : 'bar', data: result.rows.map((r) => r[i]) })),
    };
  }, [result, numericCols, chart]);
  const columns = (result?.columns ?? []).map((c) => ({ key: c, title: c, width: Math.max(90, Math.min(320, c.length * 9 + 40)), render: (v: unknown) => fmtCell(c, v) }));
  const index = Object.fromEntries((result?.columns ?? []).map((c, i) => [c, i]));
  return (
    <div className="sql">
      <textarea
        data-testid="sql-text"
        value={text}
        spellCheck={false}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            void run();
          }
        }}
      />
      <div className="toolbar">
        <button type="button" onClick={() => void run()} disabled={busy} data-testid="sql-run">Run (Ctrl+Enter)</button>
        <button type="button" disabled={numericCols.length === 0} className={chart === 'bar' ? 'on' : ''} onClick={() => setChart(chart === 'bar' ? 'none' : 'bar')} data-testid="sql-chart">Bar chart</button>
        <button type="button" disabled={numericCols.length === 0} className={chart === 'line' ? 'on' : ''} onClick={() => setChart(chart === 'line' ? 'none' : 'line')}>Line chart</button>
        <span className="muted" data-testid="sql-status">{result ? <>{result.rows.length} rows{result.truncated ? ' (cut at the row limit)' : ''}<span data-mask> · {result.elapsedMs} ms</span></> : 'read-only; views: l7_flow_log, l4_flow_log, metrics_app_1s/1m, metrics_net_1s/1m'}</span>
      </div>
      {error && <div className="banner error" role="alert" data-testid="sql-error">{error}</div>}
      {result && chart !== 'none' && <Chart option={option} theme={theme} height={260} testId="sql-chart-view" />}
      {result && <VirtualTable testId="sql-table" columns={columns} index={index} rows={result.rows} height={chart !== 'none' ? 'calc(100vh - 520px)' : 'calc(100vh - 260px)'} />}
    </div>
  );
}
