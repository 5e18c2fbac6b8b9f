// The hot row writers fill batch arrays by index: each must write exactly one row's values, in place, or a batch
// would silently carry values of another column or of the row before.
import { describe, expect, test } from 'vitest';
import { AttributesDictionary, L7_ROW_VALUES, writeL7RowValues } from '../l7/record-row.js';
import type { FlowRecord, NetMetricsRow } from '../flows/types.js';
import type { L7Record } from '../protocols/types.js';
import { FLOW_COLUMNS, L7_COLUMNS, metricColumns, writeFlowValues, writeMetricValues } from './store.js';

const UNSET = Symbol('unset');

/** Every property reads as 7 (numbers) so that no value is undefined. */
const anything = <T extends object>(): T => new Proxy({}, { get: () => 7 }) as T;

function written(width: number, write: (out: unknown[], o: number) => void): number[] {
  const out = new Array<unknown>(width * 3).fill(UNSET);
  write(out, width);
  const changed: number[] = [];
  out.forEach((v, i) => {
    if (v !== UNSET) changed.push(i);
  });
  return changed;
}

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('row writers', () => {
  test('l4_flow_log rows: one value per column, at the offset', () => {
    const w = FLOW_COLUMNS.length;
    expect(written(w, (out, o) => writeFlowValues(out, o, anything<FlowRecord>(), 1))).toEqual(range(w, w));
  });

  test('metrics_net_1s rows: one value per column, at the offset', () => {
    const w = metricColumns().length;
    expect(written(w, (out, o) => writeMetricValues(out, o, anything<NetMetricsRow>()))).toEqual(range(w, w));
  });

  test('l7_flow_log rows: every column after the id, at the offset', () => {
    expect(L7_ROW_VALUES).toBe(L7_COLUMNS.length - 1);
    const req = { type: 'request', tsUs: 1, endTsUs: 2, tcpSeq: 3, length: 4, requestType: 'GET', endpoint: '/' };
    const res = { type: 'response', tsUs: 5, endTsUs: 6, tcpSeq: 7, length: 8, responseCode: 200 };
    const rec = { request: req, response: res, status: 'ok' } as unknown as L7Record;
    const w = L7_ROW_VALUES;
    const out = new Array<unknown>(w * 3).fill(UNSET);
    writeL7RowValues(out, w, 1, 20, rec, new AttributesDictionary(1, () => {}));
    expect(out.slice(0, w).every((v) => v === UNSET)).toBe(true);
    expect(out.slice(w, 2 * w).some((v) => v === UNSET || v === undefined)).toBe(false);
    expect(out.slice(2 * w).every((v) => v === UNSET)).toBe(true);
    expect(out[w + L7_COLUMNS.indexOf('request_type') - 1]).toBe('GET');
    expect(out[w + L7_COLUMNS.indexOf('response_code') - 1]).toBe(200);
  });
});
