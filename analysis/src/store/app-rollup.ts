// RED rollups computed from l7_flow_log rows as they are stored: metrics_app_1s per server endpoint and
// metrics_app_1m per client → server endpoint edge. Runs where the rows are inserted (the writer thread on
// imports), so the importing thread only builds the rows.
import { APP_METRICS_LAG_S, AppMetricsAggregator, quantileFromBuckets } from '../l7/app-metrics.js';
import { RRT_BUCKET_COLUMNS } from './schema.js';
import type { AppFlowRef, AppMetricsRow, AppSample } from '../l7/app-metrics.js';

export type { AppSample };

/** Columns of _metrics_app_1s / _metrics_app_1m written by the rollup. */
export const APP_COLUMNS = ['time', 'observation_point_id', 'ip_0', 'ip_1', 'server_port', 'l7_protocol', 'endpoint', 'request',
  'response', 'error', 'client_error', 'server_error', 'timeout', 'rrt_sum', 'rrt_count', 'rrt_max', 'rrt_p50', 'rrt_p90', 'rrt_p99',
  ...RRT_BUCKET_COLUMNS] as readonly string[];

/** Values of one metrics_app row in APP_COLUMNS order. */
export function appRowValues(m: AppMetricsRow): unknown[] {
  return [m.time, m.observationPointId, m.ip0, m.ip1, m.serverPort, m.l7Protocol, m.endpoint, m.request, m.response, m.error,
    m.clientError, m.serverError, m.timeout, m.rrtSum, m.rrtCount, m.rrtMax, quantileFromBuckets(0.5, m.buckets, m.rrtMax),
    quantileFromBuckets(0.9, m.buckets, m.rrtMax), quantileFromBuckets(0.99, m.buckets, m.rrtMax), ...m.buckets];
}

export class AppRollup {
  private readonly perSecond: AppMetricsAggregator;
  private readonly perMinute: AppMetricsAggregator;

  /** `emit(minute, values)`: a finished row for metrics_app_1s (minute false) or metrics_app_1m, in APP_COLUMNS order. */
  constructor(emit: (minute: boolean, values: unknown[]) => void) {
    this.perSecond = new AppMetricsAggregator((row) => emit(false, appRowValues(row)), 1_000_000, false, APP_METRICS_LAG_S, 0);
    this.perMinute = new AppMetricsAggregator((row) => emit(true, appRowValues(row)), 60_000_000, true, APP_METRICS_LAG_S, 1);
  }

  /** Adds one record (an l7_flow_log row with its flow's fields); `flowRef` stands for its flow (see addSample). */
  add(s: AppSample, flowRef?: AppFlowRef): void {
    this.perSecond.addSample(s, flowRef);
    this.perMinute.addSample(s, flowRef);
  }

  /** Hands out every open row (end of a bundle). */
  flush(): void {
    this.perSecond.flushAll();
    this.perMinute.flushAll();
  }
}
