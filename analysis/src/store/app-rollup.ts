// RED rollups computed from l7_flow_log rows as they are stored: metrics_app_1s per server endpoint and
// metrics_app_1m per client → server endpoint edge. Runs where the rows are inserted (the writer thread on
// imports), so the importing thread only builds the rows.
import { AppMetricsAggregator, quantileFromBuckets } from '../l7/app-metrics.js';
import type { AppMetricsRow, AppSample } from '../l7/app-metrics.js';

/** Columns of _metrics_app_1s / _metrics_app_1m written by the rollup. */
export const APP_COLUMNS = ['time', 'observation_point_id', 'ip_0', 'ip_1', 'server_port', 'l7_protocol', 'endpoint', 'request',
  'response', 'error', 'client_error', 'server_error', 'timeout', 'rrt_sum', 'rrt_count', 'rrt_max', 'rrt_p50', 'rrt_p90', 'rrt_p99',
  'rrt_hist'] as const;

/** Where the fields the rollup needs sit in an l7_flow_log row (indexes into the store's L7_COLUMNS). */
export interface L7RowLayout {
  observationPointId: number;
  l7Protocol: number;
  type: number;
  ip0: number;
  ip1: number;
  serverPort: number;
  endpoint: number;
  responseStatus: number;
  startTime: number;
  responseDuration: number;
}

export function l7RowLayout(columns: readonly string[]): L7RowLayout {
  const at = (name: string): number => {
    const i = columns.indexOf(name);
    if (i < 0) throw new Error(`l7 row layout: no column ${name}`);
    return i;
  };
  return {
    observationPointId: at('observation_point_id'), l7Protocol: at('l7_protocol'), type: at('type'), ip0: at('ip_0'), ip1: at('ip_1'),
    serverPort: at('server_port'), endpoint: at('endpoint'), responseStatus: at('response_status'), startTime: at('start_time'),
    responseDuration: at('response_duration'),
  };
}

/** Values of one metrics_app row in APP_COLUMNS order. */
export function appRowValues(m: AppMetricsRow): unknown[] {
  return [m.time, m.observationPointId, m.ip0, m.ip1, m.serverPort, m.l7Protocol, m.endpoint, m.request, m.response, m.error,
    m.clientError, m.serverError, m.timeout, m.rrtSum, m.rrtCount, m.rrtMax, quantileFromBuckets(0.5, m.buckets, m.rrtMax),
    quantileFromBuckets(0.9, m.buckets, m.rrtMax), quantileFromBuckets(0.99, m.buckets, m.rrtMax), sparseHistogram(m.buckets)];
}

/** Histogram as sparse JSON {"bucket":count}: most rows hold a handful of samples. */
export function sparseHistogram(buckets: readonly number[]): string {
  let out = '';
  for (let i = 0; i < buckets.length; i++) {
    if (buckets[i] !== 0) out += `${out ? ',' : ''}"${i}":${buckets[i]}`;
  }
  return `{${out}}`;
}

export class AppRollup {
  private readonly perSecond: AppMetricsAggregator;
  private readonly perMinute: AppMetricsAggregator;
  private readonly sample: AppSample = {
    tsUs: 0, observationPointId: 0, ip0: '', ip1: '', serverPort: 0, protocol: '', endpoint: '', hasRequest: false,
    hasResponse: false, status: '', rrt: 0,
  };

  /** `emit(minute, values)`: a finished row for metrics_app_1s (minute false) or metrics_app_1m, in APP_COLUMNS order. */
  constructor(private readonly layout: L7RowLayout, emit: (minute: boolean, values: unknown[]) => void) {
    this.perSecond = new AppMetricsAggregator((row) => emit(false, appRowValues(row)), 1_000_000, false);
    this.perMinute = new AppMetricsAggregator((row) => emit(true, appRowValues(row)), 60_000_000, true);
  }

  /** Adds the l7_flow_log row whose values start at v[o]. */
  addRow(v: readonly unknown[], o: number): void {
    const L = this.layout;
    const s = this.sample;
    const type = v[o + L.type];
    s.tsUs = v[o + L.startTime] as number;
    s.observationPointId = v[o + L.observationPointId] as number;
    s.ip0 = v[o + L.ip0] as string;
    s.ip1 = v[o + L.ip1] as string;
    s.serverPort = v[o + L.serverPort] as number;
    s.protocol = v[o + L.l7Protocol] as string;
    s.endpoint = (v[o + L.endpoint] as string | null) ?? '';
    s.hasRequest = type !== 'response';
    s.hasResponse = type !== 'request';
    s.status = v[o + L.responseStatus] as string;
    s.rrt = (v[o + L.responseDuration] as number | null) ?? 0;
    this.perSecond.addSample(s);
    this.perMinute.addSample(s);
  }

  /** Hands out every open row (end of a bundle). */
  flush(): void {
    this.perSecond.flushAll();
    this.perMinute.flushAll();
  }
}
