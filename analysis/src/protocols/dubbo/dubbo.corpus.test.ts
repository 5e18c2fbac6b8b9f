// Corpus oracle: DeepFlow's Dubbo captures through the real pipeline. tshark 4.0.17 has no Dubbo dissector, so the
// oracle is tshark's tcp/data (segment count and payload lengths) plus expectations read from the bytes (`tshark -x`).
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { corpusCaptures, corpusUnavailableReason, isCI, runTshark } from '../../test-support/corpus.js';
import type { L7Message } from '../types.js';
import { parser } from './index.js';

const reason = corpusUnavailableReason();
const DIR = 'deepflow/agent/resources/test/flow_generator/dubbo/';

interface Want {
  /** Server port (two captures are not on 20880). */
  port: number;
  /** tshark: TCP payload lengths of the data segments, in order. */
  segments: number[];
  /** Stitched records: request fields and response code / final status. */
  records: { req?: Partial<L7Message>; code?: number; status: string }[];
}

/**
 * Expectations derived from the hex dumps:
 * - dubbo_hessian2: header da bb c2 00 | id 0x5958 = 22872 | len 0xf8; body '2.0.2', 'my.demo.service.UserService',
 *   '0.0.0', 'login', 'Ljava/lang/String;Ljava/lang/String;', two string args, attachments H{path, remote.application,
 *   sw8-x, sw8 = '' (0x00), sw8-correlation, interface, version}Z → no trace id (empty sw8). Response da bb 02 14:
 *   hessian2, status 20 OK, same id, len 0xbf.
 * - dubbo-sw8: id 0x19063 = 102499, 'my.demo.service.ItemService' / 'findItem', parameter types '' (0x00, no args),
 *   sw8 (0x31 0x0d: 269 chars) → trace id = base64-decoded segment 2; no response in the capture (lone → timeout).
 * - dubbo-eys (port 6666): id 0x77b79 = 490361, 'com.vivo.it.vwork.api.common.export.ExportApi' / 'getById', one
 *   long arg (0x4c 'L'), attachments with vendor keys (traceId, EagleEye-TraceID) that are not standard trace headers,
 *   so no trace id (DeepFlow reads them only when configured). Lone request → timeout.
 * - dubbo-kryo (port 37312): flag 0xc8 = serialization 8 (kryo): header only, no method/service (the body is kryo,
 *   not hessian2). Requests id 0x3c7711 = 3962641 and 0x3c7721 = 3962657, each answered by da bb 08 14 (status 20).
 */
const WANT: Record<string, Want> = {
  'dubbo_hessian2.pcap': {
    port: 20880,
    segments: [264, 207],
    records: [{ req: { requestId: 22872, requestType: 'login', requestResource: 'my.demo.service.UserService', endpoint: 'my.demo.service.UserService/login', version: '2.0.2', length: 264, traceId: undefined }, code: 20, status: 'ok' }],
  },
  'dubbo-sw8.pcap': {
    port: 20880,
    segments: [481],
    records: [{ req: { requestId: 102499, requestType: 'findItem', requestResource: 'my.demo.service.ItemService', traceId: 'c8164cae90e94fe68493c106ea95f1ee.66.16667985488510067' }, status: 'timeout' }],
  },
  'dubbo-eys.pcap': {
    port: 6666,
    segments: [854],
    records: [{ req: { requestId: 490361, requestType: 'getById', requestResource: 'com.vivo.it.vwork.api.common.export.ExportApi', traceId: undefined }, status: 'timeout' }],
  },
  'dubbo-kryo.pcap': {
    port: 37312,
    segments: [791, 17, 798, 17],
    records: [
      { req: { requestId: 3962641, requestType: undefined, attributes: { serialization_id: 8 } }, code: 20, status: 'ok' },
      { req: { requestId: 3962657, requestType: undefined }, code: 20, status: 'ok' },
    ],
  },
};

const files = reason === null ? corpusCaptures().filter((e) => e.file.startsWith(DIR)) : [];

describe('Dubbo corpus', () => {
  if (reason !== null) {
    test('corpus and tshark available', () => {
      if (isCI) throw new Error(reason);
      console.log(`Dubbo corpus oracle skipped: ${reason}`);
    });
    return;
  }
  test('all four captures are indexed', () => expect(files.length).toBe(4));
  test.each(files.map((e) => [e.file.slice(DIR.length), e] as const))('%s', (name, e) => {
    const want = WANT[name];
    const lens = runTshark(['-r', e.abs, '-Y', 'data', '-T', 'fields', '-e', 'data.len']).split('\n').filter(Boolean).map(Number);
    expect(lens).toEqual(want.segments);
    const { records, violations } = extractL7Messages(e.abs, parser, { ports: [want.port] });
    expect(violations).toEqual([]);
    expect(records.length).toBe(want.records.length);
    want.records.forEach((w, i) => {
      const r = records[i];
      expect(r.status).toBe(w.status);
      for (const [k, v] of Object.entries(w.req ?? {})) expect(r.request?.[k as keyof L7Message], k).toEqual(v);
      expect(r.response?.responseCode).toBe(w.code);
    });
  });
});
