// An ECharts instance bound to a div: set the option, follow the element's size and the theme, and pass events up.
import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, GraphChart, LineChart, ScatterChart } from 'echarts/charts';
import { BrushComponent, DataZoomComponent, GridComponent, LegendComponent, ToolboxComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption, ECharts } from 'echarts/core';

echarts.use([LineChart, BarChart, GraphChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, BrushComponent, ToolboxComponent, DataZoomComponent, CanvasRenderer]);

export interface ChartProps {
  option: EChartsCoreOption;
  theme: 'light' | 'dark';
  height?: number | string;
  className?: string;
  /** Called with the chart once it exists (to bind events); return a cleanup. */
  onReady?: (chart: ECharts) => void | (() => void);
  testId?: string;
}

export function Chart({ option, theme, height = 240, className, onReady, testId }: ChartProps) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, theme === 'dark' ? 'dark' : undefined, { renderer: 'canvas' });
    chart.current = c;
    const cleanup = onReady?.(c);
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(el.current);
    return () => {
      ro.disconnect();
      if (typeof cleanup === 'function') cleanup();
      c.dispose();
      chart.current = null;
    };
    // The chart is made again when the theme changes; onReady binds once per chart.
  }, [theme]);
  useEffect(() => {
    chart.current?.setOption({ backgroundColor: 'transparent', animation: false, ...option }, { notMerge: true });
  }, [option, theme]);
  return <div ref={el} className={className} style={{ height, width: '100%' }} data-testid={testId} />;
}

/**
 * A sparkline as inline SVG (requests as a line, errors as red bars): the overview draws one per service, and an
 * ECharts instance each made the view slow to open and to leave with hundreds of services.
 */
export function Sparkline({ values, errors }: { values: number[]; errors?: number[]; theme?: 'light' | 'dark' }) {
  const w = 120;
  const h = 24;
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : w;
  const y = (v: number): number => h - 1 - (v / max) * (h - 2);
  const line = values.map((v, i) => `${i === 0 ? 'M' : 'L'}${(i * step).toFixed(1)},${y(v).toFixed(1)}`).join('');
  const bw = Math.max(1, w / Math.max(1, values.length) - 1);
  return (
    <svg className="spark" width={w} height={h} viewBox={`0 0 ${w} ${h}`} aria-hidden="true">
      {errors?.map((e, i) => (e > 0 ? <rect key={i} x={Math.max(0, i * step - bw / 2)} y={y(e)} width={bw} height={h - 1 - y(e)} className="spark-err" /> : null))}
      {values.length > 1 ? <path d={line} className="spark-line" /> : <circle cx={w / 2} cy={y(values[0] ?? 0)} r={2} className="spark-line" />}
    </svg>
  );
}
