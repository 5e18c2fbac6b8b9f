// Unit tests of the HTTP/1.x parser: fixtures (checked against tshark), splits, pipelining, stitching, malformed input.
import { describe, expect, test } from 'vitest';
import { tsharkAvailable, isCI } from '../../test-support/corpus.js';
import type { L7Message, L7Record, ParseContext } from '../types.js';
import { parser } from './index.js';
import { conversations } from './test-support/fixtures.js';
import type { Segment } from './test-support/conversation.js';
import { tsharkHttp } from './test-support/conversation.js';
import { drive } from './test-support/drive.js';
import { MAX_PENDING_METHODS } from './types.js';

// tcpSeq 0 = unknown: the parser does not look for capture gaps.
const ctx: ParseContext = { tsUs: 1, tcpSeq: 0, transport: 'tcp', serverPort: 80 };
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const conv = (name: string): Segment[] => {
  const found = conversations.find((c) => c.name === name);
  if (!found) throw new Error(name);
  return found.segments;
};

/** The record fields a row of l7_flow_log shows, for compact expectations. */
function row(r: L7Record): Record<string, unknown> {
  const q = r.request;
  const p = r.response;
  return {
    method: q?.requestType, resource: q?.requestResource, endpoint: q?.endpoint, domain: q?.requestDomain,
    version: q?.version ?? p?.version, code: p?.responseCode, status: r.status, exception: p?.responseException,
    reqLen: q?.length, resLen: p?.length,
  };
}

describe('fixtures (what tshark decodes is noted above each conversation in test-support/fixtures.ts)', () => {
  test.each<[string, Record<string, unknown>[]]>([
    ['get-200', [{ method: 'GET', resource: '/api/v1/users?id=7&x=y', endpoint: '/api/v1', domain: 'shop.example:8080', version: '1.1', code: 200, status: 'ok', exception: undefined, reqLen: 233, resLen: 121 }]],
    ['post-404-503', [
      { method: 'POST', resource: '/orders', endpoint: '/orders', domain: 'api', version: '1.1', code: 404, status: 'client_error', exception: 'Not Found', reqLen: 111, resLen: 45 },
      { method: 'DELETE', resource: '/orders/9', endpoint: '/orders/9', domain: 'api', version: '1.1', code: 503, status: 'server_error', exception: 'Service Unavailable', reqLen: 97, resLen: 60 },
    ]],
    // Chunked lengths grow while the chunks are skipped: header + every chunk + trailers.
    ['chunked-both-ways', [{ method: 'PUT', resource: '/upload', endpoint: '/upload', domain: 'files', version: '1.1', code: 201, status: 'ok', exception: undefined, reqLen: 112, resLen: 91 }]],
    // HEAD: the response's Content-Length announces no body here (tshark waits for 100000 bytes instead).
    ['pipelined-head-204-304', [
      { method: 'HEAD', resource: '/big', endpoint: '/big', domain: 'h', version: '1.1', code: 200, status: 'ok', exception: undefined, reqLen: 31, resLen: 43 },
      { method: 'GET', resource: '/empty', endpoint: '/empty', domain: 'h', version: '1.1', code: 204, status: 'ok', exception: undefined, reqLen: 32, resLen: 27 },
      { method: 'GET', resource: '/cached', endpoint: '/cached', domain: 'h', version: '1.1', code: 304, status: 'ok', exception: undefined, reqLen: 53, resLen: 40 },
    ]],
    // The interim 100 Continue is not the answer: the POST pairs with the 200.
    ['100-continue', [{ method: 'POST', resource: '/submit', endpoint: '/submit', domain: 'h', version: '1.1', code: 200, status: 'ok', exception: undefined, reqLen: 79, resLen: 40 }]],
    ['websocket-upgrade', [{ method: 'GET', resource: '/chat', endpoint: '/chat', domain: 'ws.example', version: '1.1', code: 101, status: 'ok', exception: undefined, reqLen: 153, resLen: 129 }]],
    // Absolute-form target: endpoint is the path, domain the authority (no Host header); body until close.
    ['http10-close-delimited', [{ method: 'GET', resource: 'http://proxy.example/p/q?r=1', endpoint: '/p/q', domain: 'proxy.example', version: '1.0', code: 200, status: 'ok', exception: undefined, reqLen: 68, resLen: 58 }]],
    ['lf-only-and-sw8', [{ method: 'GET', resource: '/lf', endpoint: '/lf', domain: 'lf.example', version: '1.1', code: 500, status: 'server_error', exception: 'Internal Server Error', reqLen: 102, resLen: 54 }]],
    ['connect-tunnel', [{ method: 'CONNECT', resource: 'example.com:443', endpoint: 'example.com:443', domain: 'example.com:443', version: '1.1', code: 200, status: 'ok', exception: undefined, reqLen: 113, resLen: 39 }]],
  ])('%s', (name, rows) => {
    const d = drive(conv(name));
    expect(d.records.map(row)).toEqual(rows);
    expect(d.errors).toEqual([]);
    expect(d.leftover).toEqual([0, 0]);
  });

  test('trace ids, request id, real client, attributes', () => {
    const [get] = drive(conv('get-200')).records;
    expect(get.request).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', xRequestId: 'req-42',
      httpRealClient: '203.0.113.9', attributes: { 'user-agent': 'curl/8.5.0' }, tsUs: expect.any(Number), tcpSeq: 1001,
    });
    expect(get.response).toMatchObject({ xRequestId: 'req-42', attributes: { 'content-type': 'application/json' }, tcpSeq: 5001 });
    expect(drive(conv('post-404-503')).records[1].request).toMatchObject({ traceId: '80f198ee56343ba864fe8b2a57d3eff7', spanId: 'e457b5a2e4d86bd1' });
    expect(drive(conv('lf-only-and-sw8')).records[0].request).toMatchObject({ traceId: 'abcdef123', spanId: 'segment-3' });
    expect(drive(conv('connect-tunnel')).records[0].request).toMatchObject({ traceId: '5af7183fb1d4cf5f', spanId: '6bdbf0a3a9a3c0e1' });
  });

  test('101 records the upgrade and stops parsing both directions', () => {
    const d = drive(conv('websocket-upgrade'));
    expect(d.records[0].response?.attributes).toEqual({ upgrade: 'websocket' });
    expect(d.state.upgraded).toBe(true);
    expect(d.statuses).toEqual(['ok', 'ok', 'ignored', 'ignored']);
  });

  test('the interim 100 Continue is ignored, not a message', () => {
    const d = drive(conv('100-continue'));
    expect(d.statuses).toEqual(['ok', 'ignored', 'ignored', 'ok']);
    expect(d.messages.map((m) => m.responseCode)).toEqual([undefined, 200]);
  });
});

describe('tshark agrees on the fixtures', () => {
  // Requests tshark does not pair or show as responses: see the notes in test-support/fixtures.ts.
  const tsharkMissesResponses = new Set(['pipelined-head-204-304', 'http10-close-delimited']);
  test.each(conversations.map((c) => [c.name, c.segments] as const))('%s', (name, segments) => {
    if (!tsharkAvailable()) {
      if (isCI) throw new Error('tshark is required in CI');
      console.warn('tshark not installed: cross-check skipped');
      return;
    }
    const lines = tsharkHttp([...segments], ['http.request.method', 'http.request.uri', 'http.response.code']);
    const methods: string[] = [];
    const uris: string[] = [];
    const codes: number[] = [];
    for (const l of lines) {
      const [m, u, c] = l.split('\t');
      if (m) methods.push(...m.split(','));
      if (u) uris.push(...u.split(','));
      if (c) codes.push(...c.split(',').map(Number).filter((x) => x >= 200 || x === 101));
    }
    const d = drive([...segments]);
    expect(d.records.map((r) => r.request?.requestType)).toEqual(methods);
    expect(d.records.map((r) => r.request?.requestResource)).toEqual(uris);
    const ours = d.records.map((r) => r.response?.responseCode);
    expect(tsharkMissesResponses.has(name) ? [] : ours).toEqual(codes);
  });
});

describe('splits', () => {
  const strip = (recs: L7Record[]): string => JSON.stringify(recs);
  // Every byte boundary of every segment: the records are identical (timestamps are held constant).
  test.each(conversations.map((c) => [c.name, c.segments] as const))('%s split at every byte', (_name, segments) => {
    const whole = strip(drive([...segments], 0).records);
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      for (let k = 1; k < seg.data.length; k++) {
        const split: Segment[] = [...segments.slice(0, i), { dir: seg.dir, data: seg.data.subarray(0, k) }, { dir: seg.dir, data: seg.data.subarray(k) }, ...segments.slice(i + 1)];
        const d = drive(split, 0);
        expect(strip(d.records), `segment ${i} at ${k}`).toBe(whole);
        expect(d.errors).toEqual([]);
      }
    }
  });

  test('prefixes of a header need more; the complete header gives the same message', () => {
    const msg = bytes('GET /p?q=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    const headerLen = msg.length - 3;
    let full: L7Message | undefined;
    for (let k = 1; k <= msg.length; k++) {
      const state = parser.newState();
      const r = parser.parse(0, msg.subarray(0, k), state, ctx);
      if (k < headerLen) {
        expect(r, `prefix ${k}`).toEqual({ status: 'needs-more', consumed: 0 });
        continue;
      }
      expect(r.status).toBe('ok');
      expect(r.consumed).toBe(k);
      full ??= r.message;
      expect(r.message).toEqual(full);
      // The rest of the body is skipped on the next call.
      const rest = parser.parse(0, msg.subarray(k), state, ctx);
      expect(rest).toEqual(k === msg.length ? { status: 'needs-more', consumed: 0 } : { status: 'ignored', consumed: msg.length - k });
    }
    expect(full?.length).toBe(msg.length);
  });
});

describe('several messages in one buffer', () => {
  test('pipelined requests are parsed one per call', () => {
    const buf = bytes('GET /a HTTP/1.1\r\n\r\nPOST /b HTTP/1.1\r\nContent-Length: 2\r\n\r\nxyGET /c HTTP/1.0\r\n\r\n');
    const state = parser.newState();
    const out: string[] = [];
    let off = 0;
    while (off < buf.length) {
      const r = parser.parse(0, buf.subarray(off), state, ctx);
      expect(r.status).toBe('ok');
      out.push(`${r.message?.requestType} ${r.message?.requestResource} ${r.consumed}`);
      off += r.consumed;
    }
    expect(out).toEqual(['GET /a 19', 'POST /b 41', 'GET /c 19']);
    expect(state.pendingMethods).toEqual(['GET', 'POST', 'GET']);
  });
});

describe('header fields', () => {
  const c = (t: string): Segment => ({ dir: 0, data: bytes(t) });
  const s = (t: string): Segment => ({ dir: 1, data: bytes(t) });
  test('names match case-insensitively and only as whole names; the first occurrence wins', () => {
    const req = 'GET /a HTTP/1.1\r\nhOsT: one\r\nHost: two\r\nHostname: three\r\nX-Request-IDs: no\r\nx-REQUEST-id: r1\r\n'
        + 'Content-Type-Options: nosniff\r\nUSER-AGENT: ua/1\r\nUser-Agent-X: no\r\nX-Forwarded-For: 10.0.0.1, 10.0.0.2\r\n'
        + 'Content-Length: 3\r\nContent-Length : 5\r\n\r\nabc';
    const d = drive([
      c(req),
      s('HTTP/1.1 200 OK\r\nCONTENT-TYPE: Text/HTML; charset=utf-8\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n'),
    ]);
    expect(d.errors).toEqual([]);
    expect(d.records).toHaveLength(1);
    const [r] = d.records;
    expect(r.request?.requestDomain).toBe('one');
    expect(r.request?.xRequestId).toBe('r1');
    expect(r.request?.httpRealClient).toBe('10.0.0.1');
    expect(r.request?.attributes).toEqual({ 'user-agent': 'ua/1' });
    // 'Content-Length : 5' (space before the colon) is not a Content-Length field: the body is 3 bytes.
    expect(r.request?.length).toBe(req.length);
    expect(d.leftover).toEqual([0, 0]);
    expect(r.response?.attributes).toEqual({ 'content-type': 'text/html' });
  });

  test('each response keeps its own X-Request-ID, echoed or not, also when pipelined', () => {
    const d = drive([
      c('GET /1 HTTP/1.1\r\nX-Request-ID: aaa\r\n\r\nGET /2 HTTP/1.1\r\nX-Request-ID: bbb\r\n\r\nGET /3 HTTP/1.1\r\n\r\nGET /4 HTTP/1.1\r\nX-Request-ID: ddd\r\n\r\n'),
      s('HTTP/1.1 200 OK\r\nX-Request-ID: aaa\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nX-Request-ID:  zzz \r\nContent-Length: 0\r\n\r\n'
        + 'HTTP/1.1 200 OK\r\nX-Request-ID: ccc\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'),
    ]);
    expect(d.records.map((r) => [r.request?.requestResource, r.request?.xRequestId, r.response?.xRequestId])).toEqual([
      ['/1', 'aaa', 'aaa'], ['/2', 'bbb', 'zzz'], ['/3', undefined, 'ccc'], ['/4', 'ddd', undefined],
    ]);
    expect(d.state.pendingXRequestIds).toEqual([]);
  });
});

describe('capture gaps (the stage drops held bytes and goes on after the hole; tcpSeq shows the jump)', () => {
  const c = (t: string, lostBefore?: number): Segment => ({ dir: 0, data: bytes(t), lostBefore });
  const s = (t: string, lostBefore?: number): Segment => ({ dir: 1, data: bytes(t), lostBefore });
  test('a gap inside a Content-Length body keeps the framing', () => {
    const d = drive([
      c('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'),
      s(`HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n${'x'.repeat(30)}`),
      s(`${'x'.repeat(30)}HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n`, 40),
    ]);
    expect(d.records.map((r) => [r.request?.requestResource, r.response?.responseCode])).toEqual([['/a', 200], ['/b', 404]]);
    expect(d.errors).toEqual([]);
    expect(d.statuses).not.toContain('invalid');
  });
  test('a gap that loses the boundary: bytes are skipped until the next message, without violations', () => {
    const d = drive([
      c('GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n'),
      s('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789'),
      s('ab\r\nzzzz\r\nmore body bytes without framing', 10),
      s('tail of the body HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n'),
    ]);
    expect(d.records.map((r) => [r.request?.requestResource, r.response?.responseCode])).toEqual([['/a', 200], ['/b', 503]]);
    expect(d.statuses).not.toContain('invalid');
    expect(d.state.hunting).toEqual([false, false]);
  });
  test('a gap that swallowed a whole response: the next one is parsed at once', () => {
    const lost = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
    const d = drive([
      c('GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n'),
      s('HTTP/1.1 204 No Content\r\n\r\n'),
      s('HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n', lost.length),
    ]);
    expect(d.messages.map((m) => m.responseCode ?? m.requestResource)).toEqual(['/1', '/2', 204, 500]);
    expect(d.statuses).toEqual(['ok', 'ok', 'ok', 'ok']);
  });
});

describe('HTTP/2 after HTTP/1', () => {
  // tshark 4.0.17 decodes the preface as HTTP2 "Magic", not as an HTTP request.
  test('the h2c connection preface ends HTTP/1 parsing', () => {
    const state = parser.newState();
    const r = parser.parse(0, bytes('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00'), state, ctx);
    expect(r).toEqual({ status: 'ignored', consumed: 29 });
    expect(state.upgraded).toBe(true);
  });
  test('Upgrade: h2c answered by 101', () => {
    const d = drive([
      { dir: 0, data: bytes('GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n') },
      { dir: 1, data: bytes('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00') },
      { dir: 0, data: bytes('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n') },
    ]);
    expect(d.records.map((r) => [r.request?.attributes?.upgrade, r.response?.responseCode, r.response?.attributes?.upgrade])).toEqual([['h2c', 101, 'h2c']]);
    expect(d.statuses).toEqual(['ok', 'ok', 'ignored', 'ignored']);
  });
});

describe('stitching', () => {
  const msg = (type: 'request' | 'response', tsUs: number, code?: number): L7Message => ({
    type, tsUs, endTsUs: tsUs, tcpSeq: 0, length: 1, responseCode: code,
    responseStatus: code === undefined ? undefined : code >= 500 ? 'server_error' : code >= 400 ? 'client_error' : 'ok',
  });
  test('in order; lone requests wait until final, then time out', () => {
    const state = parser.newState();
    const reqs = [msg('request', 1), msg('request', 2), msg('request', 3)];
    const resps = [msg('response', 4, 200), msg('response', 5, 404)];
    const a = parser.stitch(reqs, resps, state, false);
    expect(a.records.map((r) => [r.request?.tsUs, r.response?.tsUs, r.status])).toEqual([[1, 4, 'ok'], [2, 5, 'client_error']]);
    expect(reqs.length).toBe(1);
    const b = parser.stitch(reqs, resps, state, true);
    expect(b.records.map((r) => [r.request?.tsUs, r.status])).toEqual([[3, 'timeout']]);
    expect(reqs.length + resps.length).toBe(0);
  });
  test('a response before any request is a lone response with an error', () => {
    const r = parser.stitch([], [msg('response', 1, 500)], parser.newState(), true);
    expect(r.records.map((x) => x.status)).toEqual(['server_error']);
    expect(r.errors).toEqual(['response without request']);
  });
});

describe('detect', () => {
  test.each<[string, string, boolean]>([
    ['GET request', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', true],
    ['POST partial line', 'POST /upload/v', true],
    ['WebDAV', 'PROPFIND /dav/ HTTP/1.1\r\n', true],
    ['CONNECT authority', 'CONNECT a.b:443 HTTP/1.1\r\n', true],
    ['status line', 'HTTP/1.1 200 OK\r\n', true],
    ['HTTP/1.0 status', 'HTTP/1.0 404 Not Found\r\n', true],
    ['unknown method', 'FOO / HTTP/1.1\r\n', false],
    ['lower-case method', 'get / HTTP/1.1\r\n', false],
    ['no version on full line', 'GET / FTP\r\n', false],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', false],
    ['SSH banner', 'SSH-2.0-OpenSSH_8.9\r\n', false],
    ['TLS', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', false],
    ['too short', 'GET /', false],
    ['RTSP', 'RTSP/1.0 200 OK\r\n', false],
  ])('%s', (_n, text, want) => {
    expect(parser.detect(0, bytes(text), ctx)).toBe(want);
  });
});

describe('malformed input', () => {
  test.each<[string, string, string, number]>([
    ['binary garbage', '\x00\x01\x02\x03\xff\xfe', 'not an HTTP/1 start line', 6],
    ['garbage then a request: resumes at the request', 'xx yy\x01\r\nGET / HTTP/1.1\r\n\r\n', 'malformed request line', 8],
    ['bad status code', 'HTTP/1.1 2x0 OK\r\n\r\n', 'malformed status code', 19],
    ['bad version', 'HTTP/x.1 200 OK\r\n\r\n', 'malformed status line', 19],
    ['unknown method without version', 'FOO /\r\n\r\n', 'malformed request line', 9],
    ['method glued to the target', 'GET/ HTTP/1.1\r\n\r\n', 'malformed request line', 17],
  ])('%s', (_n, text, error, consumed) => {
    const r = parser.parse(0, bytes(text), parser.newState(), ctx);
    expect(r).toEqual({ status: 'invalid', consumed, error });
  });

  test('a header that never ends is refused past 64 KiB', () => {
    const buf = Buffer.concat([bytes('GET / HTTP/1.1\r\n'), Buffer.alloc(70_000, 0x61)]);
    const r = parser.parse(0, buf, parser.newState(), ctx);
    expect(r.status).toBe('invalid');
    expect(r.error).toBe('header too long');
    expect(r.consumed).toBe(buf.length);
  });

  test.each<[string, string]>([
    // tshark 4.0.17 on zeek's variant-01-chunk_2pow64_overflow: "[Malformed Packet: HTTP]" for the same size.
    ['chunk size 2^64', '10000000000000000\r\nx\r\n0\r\n\r\n'],
    ['chunk size not hex', 'zz\r\nx\r\n0\r\n\r\n'],
  ])('chunked body: %s', (_n, chunkBody) => {
    const state = parser.newState();
    const head = bytes('POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n');
    const buf = Buffer.concat([head, bytes(chunkBody)]);
    const r1 = parser.parse(0, buf, state, ctx);
    expect(r1.status).toBe('ok');
    expect(r1.consumed).toBe(head.length);
    const r2 = parser.parse(0, buf.subarray(r1.consumed), state, ctx);
    expect(r2.status).toBe('invalid');
    expect(r2.consumed).toBeGreaterThan(0);
    expect(state.body[0].mode).toBe(0);
  });

  test('bytes after an Upgrade request that are not HTTP are tunnel data, not violations', () => {
    const state = parser.newState();
    parser.parse(0, bytes('POST /attach HTTP/1.1\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n'), state, ctx);
    expect(parser.parse(0, bytes('\x01\x00\x00\x00raw'), state, ctx)).toEqual({ status: 'ignored', consumed: 7 });
  });

  // tshark 4.0.17 (zeek methods.pcap): 'GET / HTTP/1.' → GET '/', 'GET /HTTP/1.1' → GET '/HTTP/1.1', 'OPTIONS' → OPTIONS ''.
  test.each<[string, string, string, string | undefined]>([
    ['GET / HTTP/1.\r\n\r\n', 'GET', '/', undefined],
    ['GET /HTTP/1.1\r\n\r\n', 'GET', '/HTTP/1.1', undefined],
    ['OPTIONS HTTP/1.1\r\n\r\n', 'OPTIONS', 'HTTP/1.1', undefined],
    ['OPTIONS\r\n\r\n', 'OPTIONS', '', undefined],
    ['GET /a b HTTP/1.1\r\n\r\n', 'GET', '/a b', '1.1'],
  ])('lenient request line %j', (text, method, resource, version) => {
    const r = parser.parse(0, bytes(text), parser.newState(), ctx);
    expect(r.status).toBe('ok');
    expect(r.message).toMatchObject({ requestType: method, requestResource: resource, version });
  });

  test('pending methods stay bounded', () => {
    const state = parser.newState();
    const req = bytes('GET / HTTP/1.1\r\n\r\n');
    for (let i = 0; i < MAX_PENDING_METHODS + 50; i++) parser.parse(0, req, state, ctx);
    expect(state.pendingMethods.length).toBe(MAX_PENDING_METHODS);
  });
});
