// Unit tests of the HTTP/2 + gRPC parser: fixtures checked against tshark, framing edge cases, HPACK, stitching.
import { describe, expect, test } from 'vitest';
import type { L7Message } from '../types.js';
import { decodeBlock, huffmanDecode, newDecoder } from './hpack.js';
import { detect } from './detect.js';
import { h2cAfterUpgrade, parser } from './index.js';
import { MAX_NOTES, MAX_STREAMS, PREFACE, T, grpcStatus } from './parse.js';
import { dynamicTable, grpcUnary, paddedContinuation, plainGet, serverPush } from './test-support/fixtures.js';
import { block, ctxAt, drive, frame, hasTshark, huffmanEncode, idx, lit, tsharkSegments } from './test-support/h2.js';
import type { Segment } from './test-support/h2.js';

const summary = (segments: Segment[]) =>
  drive(segments).records.map((r) => ({
    status: r.status,
    id: r.request?.requestId ?? r.response?.requestId,
    method: r.request?.requestType,
    resource: r.request?.requestResource,
    domain: r.request?.requestDomain,
    endpoint: r.request?.endpoint,
    code: r.response?.responseCode,
    exception: r.response?.responseException,
  }));

describe('fixtures (as tshark 4.0.17 decodes them with -d tcp.port==50051,http2)', () => {
  test.each([
    // tshark: c→s SETTINGS, HEADERS s1 flags 0x05 [:method GET, :scheme http, :path /index.html?x=1, :authority example.com,
    //   traceparent 00-0af7…-b7ad…-01, x-request-id req-42, x-forwarded-for "192.0.2.7, 10.0.0.1"];
    //   s→c SETTINGS, SETTINGS ACK, HEADERS s1 [:status 200, content-type text/plain], DATA s1 END_STREAM.
    ['plainGet', plainGet, [{ status: 'ok', id: 1, method: 'GET', resource: '/index.html?x=1', domain: 'example.com', endpoint: '/index.html', code: 200, exception: undefined }]],
    // tshark: as plainGet, then HEADERS s3 [:method GET, :scheme http, :path /index.html?x=1, :authority example.com]
    //   (dynamic indexes 63, 62) and HEADERS s3 flags 0x05 [:status 404].
    ['dynamicTable', dynamicTable, [
      { status: 'ok', id: 1, method: 'GET', resource: '/index.html?x=1', domain: 'example.com', endpoint: '/index.html', code: 200, exception: undefined },
      { status: 'client_error', id: 3, method: 'GET', resource: '/index.html?x=1', domain: 'example.com', endpoint: '/index.html', code: 404, exception: undefined },
    ]],
    // tshark: HEADERS s1 [:method POST, :scheme http, :path /helloworld.Greeter/SayHello, :authority localhost:50051,
    //   content-type application/grpc, te trailers, uber-trace-id 5af7…:6e0c…:0:1], DATA s1 END_STREAM;
    //   s→c HEADERS [:status 200, content-type application/grpc], DATA, HEADERS 0x05 [grpc-status 5, grpc-message user%20not%20found].
    ['grpcUnary', grpcUnary, [{ status: 'client_error', id: 1, method: 'POST', resource: '/helloworld.Greeter/SayHello', domain: 'localhost:50051', endpoint: '/helloworld.Greeter/SayHello', code: 5, exception: 'user not found' }]],
    // tshark: HEADERS s1 flags 0x28 (PADDED|PRIORITY, pad length 3) + CONTINUATION 0x04 [:method POST, :scheme https,
    //   :path /upload, :authority h2.example, content-length 10], DATA, PING, WINDOW_UPDATE, PRIORITY s3, HEADERS s3
    //   [GET http / h2.example], RST_STREAM s3 error 8 (CANCEL); s→c SETTINGS, HEADERS s1 [:status 503], GOAWAY.
    ['paddedContinuation', paddedContinuation, [
      { status: 'client_error', id: 3, method: 'GET', resource: '/', domain: 'h2.example', endpoint: '/', code: undefined, exception: 'RST_STREAM CANCEL' },
      { status: 'server_error', id: 1, method: 'POST', resource: '/upload', domain: 'h2.example', endpoint: '/upload', code: 503, exception: undefined },
    ]],
    // tshark: HEADERS s1 [GET http / push.example]; s→c PUSH_PROMISE s1 (promised 2) [GET http /style.css push.example],
    //   HEADERS s1 [:status 200], DATA s1 END_STREAM, HEADERS s2 [:status 200], DATA s2 END_STREAM.
    ['serverPush', serverPush, [
      { status: 'ok', id: 1, method: 'GET', resource: '/', domain: 'push.example', endpoint: '/', code: 200, exception: undefined },
      { status: 'ok', id: 2, method: 'GET', resource: '/style.css', domain: 'push.example', endpoint: '/style.css', code: 200, exception: undefined },
    ]],
  ])('%s', (_name, segments, expected) => {
    const d = drive(segments);
    expect(d.errors).toEqual([]);
    expect(summary(segments)).toEqual(expected);
  });

  const checkTshark = hasTshark() || process.env.CI === 'true';
  test.runIf(checkTshark).each([
    ['plainGet', plainGet, ':method,:scheme,:path,:authority,traceparent,x-request-id,x-forwarded-for', 'GET,http,/index.html?x=1,example.com,00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01,req-42,192.0.2.7, 10.0.0.1'],
    ['grpcUnary', grpcUnary, ':status,content-type,grpc-status,grpc-message', '200,application/grpc,5,user%20not%20found'],
    ['paddedContinuation', paddedContinuation, ':method,:scheme,:path,:authority,content-length,:method,:scheme,:path,:authority', 'POST,https,/upload,h2.example,10,GET,http,/,h2.example'],
  ])('tshark agrees on the header fields of %s', (_n, segments, names, values) => {
    const lines = tsharkSegments(segments, ['http2.header.name', 'http2.header.value']);
    expect(lines.some((l) => l === `${names}\t${values}`)).toBe(true);
  });

  test('fields of the gRPC request and response', () => {
    const [rec] = drive(grpcUnary).records;
    expect(rec.request?.attributes).toMatchObject({ l7_protocol: 'gRPC', grpc_service: 'helloworld.Greeter', grpc_method: 'SayHello' });
    expect(rec.request).toMatchObject({ version: '2', traceId: '5af7183fb1d4cf5f', spanId: '6e0c63257de34c92' });
    expect(rec.response?.attributes).toMatchObject({ l7_protocol: 'gRPC', http_status: 200 });
  });

  test('trace, x-request-id, x-forwarded-for and lengths of the plain GET', () => {
    const [rec] = drive(plainGet).records;
    expect(rec.request).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', xRequestId: 'req-42', httpRealClient: '192.0.2.7',
    });
    // Response length = every server frame of the stream: HEADERS (9 + 14) + DATA (9 + 5).
    expect(rec.response?.length).toBe(9 + 14 + 9 + 5);
  });
});

describe('chunking', () => {
  const canon = (ms: L7Message[]) => ms.map((m) => ({ ...m, tsUs: 0, endTsUs: 0 }));

  test.each([['plainGet', plainGet], ['grpcUnary', grpcUnary], ['paddedContinuation', paddedContinuation], ['serverPush', serverPush]])(
    '%s split at every byte boundary gives the same messages',
    (_n, segments) => {
      const whole = canon(drive(segments).messages);
      const all = Buffer.concat(segments.filter((s) => s.dir === 0).map((s) => s.data));
      const server = segments.filter((s) => s.dir === 1);
      for (let k = 1; k < all.length; k++) {
        const split: Segment[] = [{ dir: 0, data: all.subarray(0, k) }, { dir: 0, data: all.subarray(k) }, ...server];
        const d = drive(split);
        expect(d.errors).toEqual([]);
        expect(canon(d.messages.filter((m) => m.type === 'request'))).toEqual(whole.filter((m) => m.type === 'request'));
      }
    },
  );

  test('a HEADERS frame prefix needs more until complete, then parses identically', () => {
    const f = frame(T.HEADERS, 0x5, 1, block(idx(2), idx(6), lit(4, '/a'), lit(1, 'h')));
    for (let k = 0; k < f.length; k++) {
      expect(parser.parse(0, f.subarray(0, k), parser.newState(), ctxAt(1))).toEqual({ status: 'needs-more', consumed: 0 });
    }
    const r = parser.parse(0, f, parser.newState(), ctxAt(1));
    expect(r).toMatchObject({ status: 'ok', consumed: f.length, message: { requestResource: '/a', requestDomain: 'h' } });
  });

  test('a preface prefix needs more', () => {
    for (let k = 1; k < PREFACE.length; k++) {
      expect(parser.parse(0, PREFACE.subarray(0, k), parser.newState(), ctxAt(1)).status).toBe('needs-more');
    }
    expect(parser.parse(0, PREFACE, parser.newState(), ctxAt(1))).toEqual({ status: 'ignored', consumed: 24 });
  });

  test('a large DATA body is not waited for: the header ends the stream, the payload is skipped later', () => {
    const st = parser.newState();
    // Client SETTINGS_MAX_FRAME_SIZE = 1 MiB lets the server send big frames.
    parser.parse(0, frame(T.SETTINGS, 0, 0, Buffer.from([0, 5, 0, 0x10, 0, 0])), st, ctxAt(1));
    parser.parse(0, frame(T.HEADERS, 0x5, 1, block(idx(2), idx(6), idx(4), lit(1, 'h'))), st, ctxAt(1));
    parser.parse(1, frame(T.HEADERS, 0x4, 1, block(idx(8))), st, ctxAt(2));
    const big = frame(T.DATA, 0x1, 1, Buffer.alloc(200_000));
    const r1 = parser.parse(1, big.subarray(0, 1000), st, ctxAt(3));
    expect(r1).toMatchObject({ status: 'ok', consumed: 1000, message: { type: 'response', responseCode: 200, length: 10 + 200_009 } });
    const r2 = parser.parse(1, big.subarray(1000, 150_000), st, ctxAt(4));
    expect(r2).toEqual({ status: 'ignored', consumed: 149_000 });
    const r3 = parser.parse(1, Buffer.concat([big.subarray(150_000), frame(T.PING, 0, 0, Buffer.alloc(8))]), st, ctxAt(5));
    expect(r3).toEqual({ status: 'ignored', consumed: big.length - 150_000 });
  });

  test('responses in another order than the requests pair by stream id', () => {
    const segs: Segment[] = [
      { dir: 0, data: Buffer.concat([PREFACE, frame(T.HEADERS, 5, 1, block(idx(2), idx(6), lit(4, '/one'))), frame(T.HEADERS, 5, 3, block(idx(2), idx(6), lit(4, '/two')))]) },
      { dir: 1, data: Buffer.concat([frame(T.HEADERS, 5, 3, block(idx(14))), frame(T.HEADERS, 5, 1, block(idx(8)))]) },
    ];
    expect(summary(segs).map((r) => [r.id, r.resource, r.code, r.status])).toEqual([[3, '/two', 500, 'server_error'], [1, '/one', 200, 'ok']]);
  });
});

describe('malformed input', () => {
  // What tshark 4.0.17 shows for each (one frame after nothing, -d tcp.port==50051,http2): unknown type 66 on stream 1
  // (no complaint); SETTINGS on stream 1 (no complaint); PING of 7 bytes "Malformed Packet"; HEADERS on stream 0 (no
  // complaint, empty block); a lone CONTINUATION decoded as a header block [:method GET]; padding 9 > frame
  // "Malformed Packet"; the 16385-byte frame header alone (tshark only waits for its payload); ALTSVC type 10;
  // ASCII: no http2. We are stricter than tshark on RFC 9113 rules because we resynchronise byte by byte on garbage.
  test.each([
    ['unknown frame type', frame(0x42, 0, 1, Buffer.alloc(3)), 'invalid', 1, 'unknown frame type'],
    ['SETTINGS on a stream', frame(T.SETTINGS, 0, 1, Buffer.alloc(6)), 'invalid', 1, 'bad SETTINGS'],
    ['PING of 7 bytes', frame(T.PING, 0, 0, Buffer.alloc(7)), 'invalid', 1, 'bad PING'],
    ['HEADERS on stream 0', frame(T.HEADERS, 4, 0, Buffer.alloc(2)), 'invalid', 1, 'stream 0'],
    ['frame over the max frame size', Buffer.from([0x00, 0x40, 0x01, 0, 0, 0, 0, 0, 1]), 'invalid', 1, 'max frame size'],
    ['CONTINUATION without HEADERS', frame(T.CONTINUATION, 4, 1, Buffer.from([0x82])), 'invalid', 10, 'CONTINUATION without'],
    ['padding longer than the frame', frame(T.HEADERS, 0x0c, 1, Buffer.from([9, 0x82])), 'invalid', 11, 'padding'],
    ['ASCII garbage', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'invalid', 1, ''],
    ['ALTSVC extension frame', frame(0x0a, 0, 0, Buffer.from([0, 0])), 'ignored', 11, ''],
  ])('%s', (_n, bytes, status, consumed, error) => {
    const r = parser.parse(0, bytes, parser.newState(), ctxAt(1));
    expect(r.status).toBe(status);
    expect(r.consumed).toBe(consumed);
    expect(r.error ?? '').toContain(error);
  });

  test('a corrupt header block still yields the request, with a violation', () => {
    // Index 0 is never valid (RFC 7541 §6.1); tshark: HEADERS s1 [:method GET] and nothing after the bad index.
    const d = drive([{ dir: 0, data: frame(T.HEADERS, 5, 1, block(idx(2), lit(4, '/x'), Buffer.from([0x80]))) }]);
    expect(d.records[0]).toMatchObject({ status: 'timeout', request: { requestType: 'GET', requestResource: '/x' } });
    expect(d.errors.join()).toContain('hpack: index 0');
  });

  test('a dynamic-table miss (capture started mid-connection) is a violation, not a loss', () => {
    const d = drive([
      { dir: 0, data: frame(T.HEADERS, 5, 5, block(idx(3), idx(70), lit(4, '/svc/M'), lit(80, 'v'))) },
      { dir: 1, data: frame(T.HEADERS, 5, 5, block(idx(8), idx(90))) },
    ]);
    expect(d.records).toMatchObject([{ status: 'ok', request: { requestType: 'POST', requestResource: '/svc/M' }, response: { responseCode: 200 } }]);
    expect(d.errors.filter((e) => e.includes('dynamic table')).length).toBe(2);
  });

  test('an oversized non-DATA frame is skipped, not held', () => {
    const st = parser.newState();
    parser.parse(0, frame(T.SETTINGS, 0, 0, Buffer.from([0, 5, 0, 0x10, 0, 0])), st, ctxAt(1));
    const big = frame(T.HEADERS, 4, 1, Buffer.alloc(100_000));
    expect(parser.parse(1, big, st, ctxAt(2))).toMatchObject({ status: 'invalid', consumed: 9 });
    expect(parser.parse(1, big.subarray(9), st, ctxAt(2))).toEqual({ status: 'ignored', consumed: 100_000 });
  });

  test('a frame interrupting a header block drops the block with a violation', () => {
    const d = drive([{ dir: 0, data: Buffer.concat([frame(T.HEADERS, 0, 1, block(idx(2))), frame(T.PING, 0, 0, Buffer.alloc(8)), frame(T.CONTINUATION, 4, 1, block(idx(4)))]) }]);
    expect(d.records).toEqual([]);
    expect(d.errors.join()).toContain('interrupted');
  });
});

describe('HPACK', () => {
  test.each([
    // RFC 7541 C.4.1: "www.example.com"
    ['f1e3c2e5f23a6ba0ab90f4ff', 'www.example.com'],
    // RFC 7541 C.4.2: "no-cache"
    ['a8eb10649cbf', 'no-cache'],
    // RFC 7541 C.6.1: "Mon, 21 Oct 2013 20:13:21 GMT"
    ['d07abe941054d444a8200595040b8166e082a62d1bff', 'Mon, 21 Oct 2013 20:13:21 GMT'],
  ])('Huffman %s', (hex, text) => {
    const b = Buffer.from(hex, 'hex');
    expect(huffmanDecode(b, 0, b.length)).toBe(text);
    expect(huffmanEncode(text).toString('hex')).toBe(hex);
  });

  test.each([
    ['EOS padding of 8 bits', 'f1e3c2e5f23a6ba0ab90f4ffff'],
    ['padding not all ones', '00'],
    ['EOS inside', 'fffffffc'],
  ])('Huffman rejects %s', (_n, hex) => {
    const b = Buffer.from(hex, 'hex');
    expect(huffmanDecode(b, 0, b.length)).toBeUndefined();
  });

  test('RFC 7541 C.3: three requests sharing the dynamic table', () => {
    const d = newDecoder();
    const r1 = decodeBlock(d, Buffer.from('828684410f7777772e6578616d706c652e636f6d', 'hex'));
    const r2 = decodeBlock(d, Buffer.from('828684be58086e6f2d6361636865', 'hex'));
    const r3 = decodeBlock(d, Buffer.from('828785bf400a637573746f6d2d6b65790c637573746f6d2d76616c7565', 'hex'));
    expect(r1.headers).toEqual([[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']]);
    expect(r2.headers.at(-1)).toEqual(['cache-control', 'no-cache']);
    expect(r3.headers).toEqual([[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']]);
    expect(d.size).toBe(164);
  });

  test('a size update evicts and caps the table', () => {
    const d = newDecoder();
    decodeBlock(d, Buffer.from('410f7777772e6578616d706c652e636f6d', 'hex'));
    expect(d.entries.length).toBe(1);
    expect(decodeBlock(d, Buffer.from([0x20])).error).toBeUndefined();
    expect(d.entries.length).toBe(0);
    decodeBlock(d, Buffer.from([0x3f, 0xe1, 0xff, 0x7f])); // 31 + 2097120: capped
    expect(d.maxSize).toBe(65536);
  });
});

describe('detect', () => {
  test.each([
    ['client preface', 0, PREFACE, true],
    ['client preface prefix', 0, PREFACE.subarray(0, 6), true],
    ['preface from the server', 1, PREFACE, false],
    ['server SETTINGS', 1, Buffer.concat([frame(T.SETTINGS, 0, 0, Buffer.alloc(6)), frame(T.SETTINGS, 1, 0)]), true],
    ['client HEADERS without preface (mid-connection)', 0, frame(T.HEADERS, 4, 1, block(idx(2))), true],
    ['client HEADERS on an even stream', 0, frame(T.HEADERS, 4, 2, block(idx(2))), false],
    ['HTTP/1 request', 0, Buffer.from('GET / HTTP/1.1\r\n\r\n'), false],
    ['SETTINGS followed by garbage', 1, Buffer.concat([frame(T.SETTINGS, 0, 0), Buffer.from('garbage!!!')]), false],
    ['short', 0, Buffer.from([0, 0, 0]), false],
  ])('%s', (_n, dir, bytes, want) => {
    expect(detect(dir as 0 | 1, bytes)).toBe(want);
  });
});

describe('stitching and statuses', () => {
  test('a lone request at final is a timeout; a response without request is reported', () => {
    const d = drive([
      { dir: 0, data: frame(T.HEADERS, 5, 1, block(idx(2), idx(6), idx(4))) },
      { dir: 1, data: Buffer.concat([frame(T.HEADERS, 4, 7, block(idx(8))), frame(T.DATA, 1, 7, Buffer.from('x'))]) },
    ]);
    expect(d.records.map((r) => [r.status, r.request?.requestId, r.response?.requestId])).toEqual([['ok', undefined, 7], ['timeout', 1, undefined]]);
    expect(d.errors).toEqual(['response without request (id 7)']);
  });

  test('open streams are bounded: the oldest is forgotten, with a bounded number of notes', () => {
    const segs: Segment[] = [];
    for (let i = 0; i < 1100; i++) segs.push({ dir: 0, data: frame(T.HEADERS, 5, 2 * i + 1, block(idx(2), idx(6), idx(4))) });
    const st = parser.newState();
    for (const s of segs) parser.parse(0, s.data, st, ctxAt(1));
    expect(st.streams.size).toBe(MAX_STREAMS);
    expect(st.notes.length).toBe(MAX_NOTES);
    expect(st.streams.has(1)).toBe(false);
    const d = drive(segs);
    expect(d.records.length).toBe(1100);
    expect(d.records.every((r) => r.status === 'timeout')).toBe(true);
  });

  test('non-final stitch keeps unmatched messages', () => {
    const req = parser.parse(0, frame(T.HEADERS, 5, 1, block(idx(2))), parser.newState(), ctxAt(1)).message as L7Message;
    const reqs = [req];
    const res = parser.stitch(reqs, [], parser.newState(), false);
    expect(res.records).toEqual([]);
    expect(reqs.length).toBe(1);
  });

  test('h2cAfterUpgrade: the server answers stream 1 without a client HEADERS', () => {
    const st = parser.newState();
    h2cAfterUpgrade(st);
    const d = drive([{ dir: 1, data: Buffer.concat([frame(T.SETTINGS, 0, 0), frame(T.HEADERS, 4, 1, block(idx(8))), frame(T.DATA, 1, 1, Buffer.from('hi'))]) }], st);
    expect(d.messages).toMatchObject([{ type: 'response', requestId: 1, responseCode: 200, responseStatus: 'ok' }]);
  });

  test.each([
    [0, 'ok'], [1, 'client_error'], [2, 'server_error'], [3, 'client_error'], [4, 'server_error'], [5, 'client_error'],
    [6, 'client_error'], [7, 'client_error'], [8, 'server_error'], [9, 'client_error'], [10, 'server_error'],
    [11, 'client_error'], [12, 'server_error'], [13, 'server_error'], [14, 'server_error'], [15, 'server_error'], [16, 'client_error'],
  ])('grpc-status %i is %s', (code, want) => {
    expect(grpcStatus(code)).toBe(want);
  });

  test('a trailers-only gRPC error (UNAVAILABLE)', () => {
    const d = drive([
      { dir: 0, data: frame(T.HEADERS, 4, 1, block(idx(3), idx(6), lit(4, '/a.B/C'), lit(31, 'application/grpc'))) },
      { dir: 1, data: frame(T.HEADERS, 5, 1, block(idx(8), lit(31, 'application/grpc'), lit('grpc-status', '14'), lit('grpc-message', 'no backend'))) },
    ]);
    expect(d.records).toMatchObject([{ status: 'server_error', response: { responseCode: 14, responseException: 'no backend' } }]);
  });
});
