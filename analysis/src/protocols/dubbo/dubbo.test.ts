// Unit tests: Dubbo 2 header and hessian2 request fields, splitting, pipelining, large bodies, stitching, garbage.
import { describe, expect, test } from 'vitest';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { readHString } from './parse.js';
import { hstr } from './test-support/hessian.js';
import { HEARTBEAT_REQ, HEARTBEAT_RES, REQ, REQ_BIG, REQ_KRYO, REQ_ONEWAY, REQ_SW8, RES_ERR, RES_OK } from './test-support/fixtures.js';

const ctx: ParseContext = { tsUs: 1000, tcpSeq: 55, transport: 'tcp', serverPort: 20880 };

function one(dir: 0 | 1, b: Buffer): L7Message {
  const r = parser.parse(dir, b, parser.newState(), ctx);
  expect(r.status).toBe('ok');
  expect(r.consumed).toBe(b.length);
  return r.message!;
}

describe('Dubbo parse', () => {
  test.each([
    ['two-way request with traceparent', 0, REQ, { type: 'request', requestId: 7, version: '2.0.2', requestType: 'login', requestResource: 'demo.UserService', requestDomain: 'demo.UserService', endpoint: 'demo.UserService/login', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', xRequestId: 'req-42', responseStatus: undefined }],
    ['request with sw8', 0, REQ_SW8, { type: 'request', requestId: 8, requestType: 'findItem', traceId: 'c8164cae90e54fe68493c106ea95f1ee.66.16667985488510067', spanId: 'c8164cae90e54fe68493c106ea95f1ee.66.16667985488510066-3' }],
    ['one-way request is ok by itself', 0, REQ_ONEWAY, { type: 'request', requestId: 9, requestType: 'log', responseStatus: 'ok' }],
    ['response OK', 1, RES_OK, { type: 'response', requestId: 7, responseCode: 20, responseStatus: 'ok', responseException: undefined }],
    ['response SERVICE_ERROR with message', 1, RES_ERR, { type: 'response', requestId: 8, responseCode: 70, responseStatus: 'server_error', responseException: 'SERVICE_ERROR: java.lang.IllegalStateException: boom' }],
    ['heartbeat request', 0, HEARTBEAT_REQ, { type: 'other', requestId: 10, requestType: undefined }],
    ['heartbeat response', 1, HEARTBEAT_RES, { type: 'other', requestId: 10, responseCode: 20 }],
    ['kryo request: header only', 0, REQ_KRYO, { type: 'request', requestId: 11, requestType: undefined, version: undefined, attributes: { serialization_id: 8 } }],
  ] as const)('%s', (_n, dir, bytes, want) => {
    const m = one(dir, bytes);
    expect(m).toMatchObject({ tsUs: 1000, endTsUs: 1000, tcpSeq: 55, length: bytes.length });
    for (const [k, v] of Object.entries(want)) expect(m[k as keyof L7Message], k).toEqual(v);
  });

  test('sw8 spanId per common helper', () => {
    // Only check the trace id here; the span id format belongs to common/trace-context.
    expect(one(0, REQ_SW8).traceId).toBeTruthy();
  });

  test.each([
    [30, 'client_error', 'CLIENT_TIMEOUT'],
    [31, 'server_error', 'SERVER_TIMEOUT'],
    [40, 'client_error', 'BAD_REQUEST'],
    [50, 'server_error', 'BAD_RESPONSE'],
    [60, 'server_error', 'SERVICE_NOT_FOUND'],
    [80, 'server_error', 'SERVER_ERROR'],
    [90, 'client_error', 'CLIENT_ERROR'],
    [100, 'server_error', 'SERVER_THREADPOOL_EXHAUSTED_ERROR'],
    [77, 'unknown', 'status 77'],
  ] as const)('status %i → %s', (code, status, name) => {
    const b = Buffer.from(RES_OK);
    b[3] = code;
    const m = one(1, b);
    expect(m.responseStatus).toBe(status);
    expect(m.responseException?.startsWith(name)).toBe(true);
  });

  test.each([REQ, RES_OK, RES_ERR, REQ_SW8, HEARTBEAT_REQ])('split at every byte boundary (%#)', (bytes) => {
    const whole = one(bytes[2] & 0x80 ? 0 : 1, bytes);
    for (let i = 0; i < bytes.length; i++) {
      const r = parser.parse(0, bytes.subarray(0, i), parser.newState(), ctx);
      expect(r.status).toBe('needs-more');
      expect(r.consumed).toBe(0);
    }
    expect(one(bytes[2] & 0x80 ? 0 : 1, Buffer.from(bytes))).toEqual(whole);
  });

  test('pipelined messages in one buffer', () => {
    const buf = Buffer.concat([REQ, REQ_SW8, REQ_ONEWAY]);
    const st = parser.newState();
    const ids: number[] = [];
    let off = 0;
    while (off < buf.length) {
      const r = parser.parse(0, buf.subarray(off), st, ctx);
      expect(r.status).toBe('ok');
      ids.push(r.message!.requestId!);
      off += r.consumed;
    }
    expect(ids).toEqual([7, 8, 9]);
  });

  test('large body: message after 64 KiB, rest skipped through state', () => {
    expect(REQ_BIG.length).toBeGreaterThan(16 + 65536);
    const st = parser.newState();
    const head = REQ_BIG.subarray(0, 16 + 65536);
    const r = parser.parse(0, head, st, ctx);
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(head.length);
    expect(r.message).toMatchObject({ requestType: 'put', requestResource: 'demo.BlobService', length: REQ_BIG.length });
    const rest = Buffer.concat([REQ_BIG.subarray(head.length), REQ]);
    const s = parser.parse(0, rest, st, ctx);
    expect(s).toEqual({ status: 'ignored', consumed: REQ_BIG.length - head.length });
    expect(parser.parse(0, rest.subarray(s.consumed), st, ctx).message?.requestId).toBe(7);
    expect(parser.parse(0, REQ_BIG.subarray(0, 16 + 1000), parser.newState(), ctx).status).toBe('needs-more');
  });

  test('request id above 2^53 kept exact in attributes', () => {
    const b = Buffer.from(REQ);
    b.writeBigUInt64BE(0xffff_ffff_ffff_fff0n, 4);
    const m = one(0, b);
    expect(m.attributes?.request_id).toBe('18446744073709551600');
  });

  test.each([
    ['bad magic', Buffer.from('GET / HTTP/1.1\r\n\r\n'), 'invalid'],
    ['garbage before magic', Buffer.concat([Buffer.from([1, 2, 3]), REQ]), 'invalid'],
    ['lone 0xda', Buffer.from([0xda]), 'needs-more'],
  ] as const)('malformed: %s', (_n, b, status) => {
    const r = parser.parse(0, b, parser.newState(), ctx);
    expect(r.status).toBe(status);
    if (status === 'invalid') {
      expect(r.consumed).toBeGreaterThanOrEqual(1);
      expect(r.error).toBeTruthy();
    }
  });

  test('resync consumes up to the next magic', () => {
    expect(parser.parse(0, Buffer.concat([Buffer.from([1, 2, 3]), REQ]), parser.newState(), ctx).consumed).toBe(3);
  });

  test('truncated hessian fields leave fields unset, never throw', () => {
    const b = Buffer.from(REQ);
    b[16 + 6] = 0x1f; // service path length 31 runs into the following bytes
    const m = one(0, b);
    expect(m.type).toBe('request');
  });
});

describe('hessian2 strings', () => {
  test.each([
    ['short', hstr('abc'), 'abc'],
    ['two-byte length', hstr('x'.repeat(300)), 'x'.repeat(300)],
    ['S chunk', hstr('y'.repeat(2000)), 'y'.repeat(2000)],
    ['R + S chunks', Buffer.concat([Buffer.from([0x52, 0, 2]), Buffer.from('ab'), Buffer.from([0x01]), Buffer.from('c')]), 'abc'],
    ['null', Buffer.from('N'), null],
    ['utf-8', hstr('héllo€'), 'héllo€'],
  ] as const)('%s', (_n, b, want) => {
    expect(readHString(b, 0, b.length)?.value).toBe(want);
    expect(readHString(b, 0, b.length - 1)).toBeUndefined();
  });
});

describe('Dubbo detect + stitch', () => {
  test.each([
    [REQ, true],
    [RES_OK, true],
    [REQ.subarray(0, 10), false],
    [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false],
  ] as const)('detect %#', (b, want) => {
    expect(parser.detect(0, b, ctx)).toBe(want);
  });

  test('by id, out of order; lone requests at final', () => {
    const st = parser.newState();
    const reqs = [one(0, REQ), one(0, REQ_SW8), one(0, REQ_ONEWAY)];
    const ress = [one(1, RES_ERR), one(1, RES_OK)];
    const r1 = parser.stitch(reqs, ress, st, false);
    expect(r1.records.map((r) => [r.request?.requestId, r.status])).toEqual([[8, 'server_error'], [7, 'ok']]);
    expect(reqs.length).toBe(1);
    const r2 = parser.stitch(reqs, ress, st, true);
    expect(r2.records).toEqual([{ request: expect.objectContaining({ requestId: 9 }), status: 'ok' }]);
    const r3 = parser.stitch([one(0, REQ)], [], st, true);
    expect(r3.records[0].status).toBe('timeout');
  });
});
