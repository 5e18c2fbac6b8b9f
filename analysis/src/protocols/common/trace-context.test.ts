// Trace header parsing, one case per propagation format (examples from the W3C, SkyWalking, Zipkin and Jaeger docs' formats).
import { describe, expect, test } from 'vitest';
import { traceIdsFromHeaders } from './trace-context.js';

describe('traceIdsFromHeaders', () => {
  test.each([
    ['traceparent', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' }],
    ['sw8', { sw8: `1-${Buffer.from('trace-abc').toString('base64')}-${Buffer.from('seg-1').toString('base64')}-3-${Buffer.from('svc').toString('base64')}-${Buffer.from('inst').toString('base64')}-${Buffer.from('/ep').toString('base64')}-${Buffer.from('host:80').toString('base64')}` }, { traceId: 'trace-abc', spanId: 'seg-1-3' }],
    ['b3 single', { b3: '80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1-05e3ac9a4f6e3b90' }, { traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: 'e457b5a2e4d86bd1' }],
    ['b3 multi', { 'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124', 'x-b3-spanid': 'a2fb4a1d1a96d312' }, { traceId: '463ac35c9f6413ad48485a3953bb6124', spanId: 'a2fb4a1d1a96d312' }],
    ['uber-trace-id', { 'uber-trace-id': '5f2a1b%3A6c3d%3A0%3A1' }, { traceId: '5f2a1b', spanId: '6c3d' }],
    ['garbage', { traceparent: 'nope', b3: 'x' }, {}],
    ['bad %-escape in uber-trace-id', { 'uber-trace-id': '%E0%A4%A:1:0:1' }, {}],
  ] as const)('%s', (_n, headers, want) => {
    const h = headers as Record<string, string>;
    expect(traceIdsFromHeaders((k) => h[k])).toEqual(want);
  });
});
