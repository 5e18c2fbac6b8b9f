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

export function Sparkline({ values, errors, theme }: { values: number[]; errors?: number[]; theme: 'light' | 'dark' }) {
  const option: EChartsCoreOption = {
    grid: { left: 0, right: 0, top: 2, bottom: 2 },
    xAxis: { type: 'category', show: false, data: values.map((_, i) => i) },
    yAxis: { type: 'value', show: false },
    series: [
      { type: 'line', data: values, symbol: 'none', lineStyle: { width: 1 }, areaStyle: { opacity: 0.2 } },
      ...(errors ? [{ type: 'bar', data: errors, itemStyle: { color: '#e5484d' }, barWidth: '60%' }] : []),
    ],
  };
  return <Chart option={option} theme={theme} height={28} className="spark" />;
}
