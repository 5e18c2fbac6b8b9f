import { describe, expect, test } from 'vitest';
import { NetMetricsAggregator } from './net-metrics.js';
import type { NetMetricsRow } from './types.js';

const S = 1_000_000;
const edge = (ip0: string) => ({ edgeKey: `1|${ip0}|10.0.0.2|80|6`, observationPointId: 1, ip0, ip1: '10.0.0.2', serverPort: 80, protocol: 6 });

describe('NetMetricsAggregator', () => {
  test.each([
    [7.999 * S, [1]],
    [8 * S, [1, 2]],
    [100 * S, [1, 2, 3]],
  ])('capture time %i µs hands out the seconds more than 1 s + 5 s behind', (now, seconds) => {
    const out: NetMetricsRow[] = [];
    const m = new NetMetricsAggregator((r) => out.push(r), 5 * S);
    for (const t of [3.2 * S, 1.5 * S, 2.1 * S, 1.7 * S]) m.row(m.secondOf(t), edge('10.0.0.1')).packetTx++;
    m.advance(now);
    expect(out.map((r) => [r.time / S, r.packetTx])).toEqual(seconds.map((s) => [s, s === 1 ? 2 : 1]));
  });

  test('one row per edge and second; late events go to the oldest open second', () => {
    const out: NetMetricsRow[] = [];
    const m = new NetMetricsAggregator((r) => out.push(r), 5 * S);
    m.row(m.secondOf(1 * S), edge('10.0.0.1')).packetTx++;
    m.row(m.secondOf(1 * S), edge('10.0.0.9')).packetTx++;
    m.advance(20 * S);
    expect(m.secondOf(2 * S)).toBe(15);
    m.row(m.secondOf(2 * S), edge('10.0.0.1')).packetTx++;
    m.flushAll();
    expect(out.map((r) => [r.time / S, r.ip0])).toEqual([[1, '10.0.0.1'], [1, '10.0.0.9'], [15, '10.0.0.1']]);
  });
});
