// RED aggregation and histogram quantiles.
import { describe, expect, test } from 'vitest';
import type { L7Message, L7Record } from '../protocols/types.js';
import { AppMetricsAggregator, bucketOf, quantileFromBuckets, RRT_BUCKET_COUNT } from './app-metrics.js';
import type { AppMetricsRow } from './app-metrics.js';

const msg = (type: 'request' | 'response', tsUs: number, endpoint = '/a'): L7Message => ({ type, tsUs, endTsUs: tsUs, tcpSeq: 0, length: 10, endpoint });
const flow = { observationPointId: 1, ip0: '10.0.0.1', ip1: '10.0.0.2', serverPort: 80 };

describe('app metrics', () => {
  test('counts and rrt per second and endpoint', () => {
    const rows: AppMetricsRow[] = [];
    const agg = new AppMetricsAggregator((r) => rows.push(r));
    const recs: L7Record[] = [
      { request: msg('request', 1_000_000), response: msg('response', 1_002_000), status: 'ok' },
      { request: msg('request', 1_500_000), response: msg('response', 1_600_000), status: 'server_error' },
      { request: msg('request', 1_700_000), status: 'timeout' },
      { request: msg('request', 2_100_000, '/b'), response: msg('response', 2_100_400, '/b'), status: 'client_error' },
    ];
    for (const r of recs) agg.add(flow, 'HTTP', r);
    agg.flushAll();
    const a = rows.find((r) => r.endpoint === '/a') as AppMetricsRow;
    expect(a).toMatchObject({ time: 1_000_000, request: 3, response: 2, error: 1, serverError: 1, timeout: 1, rrtCount: 2, rrtSum: 102_000, rrtMax: 100_000 });
    const b = rows.find((r) => r.endpoint === '/b') as AppMetricsRow;
    expect(b).toMatchObject({ time: 2_000_000, request: 1, clientError: 1, error: 1, rrtMax: 400 });
  });

  test('a minute row is handed out 10–20 s after the minute ends (not minutes later); a later record starts a new row', () => {
    const rows: AppMetricsRow[] = [];
    const agg = new AppMetricsAggregator((r) => rows.push(r), 60_000_000);
    const at = (s: number): L7Record => ({ request: msg('request', s * 1_000_000), response: msg('response', s * 1_000_000 + 500), status: 'ok' });
    for (let s = 0; s < 60; s += 5) agg.add(flow, 'HTTP', at(s));
    agg.add(flow, 'HTTP', at(69));
    expect(rows).toHaveLength(0);
    agg.add(flow, 'HTTP', at(80));
    expect(rows.map((r) => [r.time, r.request])).toEqual([[0, 12]]);
    // A record of the first minute after it was handed out (e.g. a timeout at the end of its flow): a second row.
    agg.add(flow, 'HTTP', { request: msg('request', 30_000_000), status: 'timeout' });
    agg.flushAll();
    expect(rows.map((r) => [r.time, r.request, r.timeout])).toEqual([[0, 12, 0], [60_000_000, 2, 0], [0, 1, 1]]);
  });

  test.each([
    [0, 0], [100, 0], [101, 1], [1_000, 3], [10_000_001, RRT_BUCKET_COUNT - 1],
  ])('rrt %d µs falls in bucket %d', (rrt, b) => {
    expect(bucketOf(rrt)).toBe(b);
  });

  test('quantiles interpolate inside the bucket', () => {
    const buckets = new Array<number>(RRT_BUCKET_COUNT).fill(0);
    buckets[3] = 100; // (500, 1000] µs
    expect(quantileFromBuckets(0.5, buckets)).toBe(750);
    expect(quantileFromBuckets(0.99, buckets)).toBe(995);
    expect(quantileFromBuckets(0.5, new Array<number>(RRT_BUCKET_COUNT).fill(0))).toBeNull();
    // Never above the largest value actually seen.
    expect(quantileFromBuckets(0.99, buckets, 800)).toBe(800);
  });
});
