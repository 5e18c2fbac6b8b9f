// Test-only: HTTP/2 and gRPC conversations used by the unit, fuzz and tshark-check tests.
import { PREFACE, T } from '../parse.js';
import { block, frame, idx, lit } from './h2.js';
import type { Segment } from './h2.js';

const EH = 0x4; // END_HEADERS
const ES = 0x1; // END_STREAM

const clientSettings = frame(T.SETTINGS, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100, 0, 4, 0, 0, 0xff, 0xff]));
const serverSettings = frame(T.SETTINGS, 0, 0, Buffer.from([0, 5, 0, 0, 0x40, 0]));
const settingsAck = frame(T.SETTINGS, 1, 0);

/** GET with query, trace headers, Huffman-coded literals; 200 + DATA. */
export const plainGet: Segment[] = [
  {
    dir: 0,
    data: Buffer.concat([
      PREFACE,
      clientSettings,
      frame(T.HEADERS, EH | ES, 1, block(
        idx(2), // :method GET
        idx(6), // :scheme http
        lit(4, '/index.html?x=1', { index: true, huffman: true }), // :path
        lit(1, 'example.com', { index: true, huffman: true }), // :authority
        lit('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'),
        lit('x-request-id', 'req-42', { huffman: true }),
        lit('x-forwarded-for', '192.0.2.7, 10.0.0.1'),
      )),
    ]),
  },
  {
    dir: 1,
    data: Buffer.concat([
      serverSettings,
      settingsAck,
      frame(T.HEADERS, EH, 1, block(idx(8), lit(31, 'text/plain'))), // :status 200, content-type
      frame(T.DATA, ES, 1, Buffer.from('hello')),
    ]),
  },
  { dir: 0, data: settingsAck },
];

/** Second request on the same connection reuses the dynamic table (indexes 62, 63); server answers 404. */
export const dynamicTable: Segment[] = [
  ...plainGet,
  {
    dir: 0,
    data: frame(T.HEADERS, EH | ES, 3, block(idx(2), idx(6), idx(63), idx(62))),
  },
  { dir: 1, data: frame(T.HEADERS, EH | ES, 3, block(idx(13))) }, // :status 404
];

const grpcRequestHeaders = block(
  idx(3), // :method POST
  idx(6),
  lit(4, '/helloworld.Greeter/SayHello', { index: true }),
  lit(1, 'localhost:50051', { index: true }),
  lit(31, 'application/grpc', { index: true }),
  lit('te', 'trailers', { index: true }),
  lit('uber-trace-id', '5af7183fb1d4cf5f:6e0c63257de34c92:0:1'),
);
const grpcMessage = Buffer.from([0, 0, 0, 0, 7, 0x0a, 0x05, 0x77, 0x6f, 0x72, 0x6c, 0x64]);

/** gRPC unary call answered with trailers grpc-status 5 (NOT_FOUND) and a percent-encoded grpc-message. */
export const grpcUnary: Segment[] = [
  {
    dir: 0,
    data: Buffer.concat([PREFACE, clientSettings, frame(T.HEADERS, EH, 1, grpcRequestHeaders), frame(T.DATA, ES, 1, grpcMessage)]),
  },
  {
    dir: 1,
    data: Buffer.concat([
      serverSettings,
      frame(T.HEADERS, EH, 1, block(idx(8), lit(31, 'application/grpc'))),
      frame(T.DATA, 0, 1, grpcMessage),
      frame(T.HEADERS, EH | ES, 1, block(lit('grpc-status', '5'), lit('grpc-message', 'user%20not%20found'))),
    ]),
  },
];

/**
 * HEADERS with PADDED + PRIORITY split over a CONTINUATION; a PING, WINDOW_UPDATE, PRIORITY in between streams;
 * a second stream the client cancels (RST_STREAM CANCEL); a 503 on stream 1; GOAWAY.
 */
export const paddedContinuation: Segment[] = (() => {
  const hb = block(idx(3), idx(7), lit(4, '/upload', { huffman: true }), lit(1, 'h2.example', { huffman: true }), lit('content-length', '10'));
  const first = hb.subarray(0, 5);
  const rest = hb.subarray(5);
  const padded = Buffer.concat([Buffer.from([3]), Buffer.from([0, 0, 0, 0, 16]), first, Buffer.alloc(3)]);
  return [
    {
      dir: 0,
      data: Buffer.concat([
        PREFACE,
        clientSettings,
        frame(T.HEADERS, 0x8 | 0x20, 1, padded),
        frame(T.CONTINUATION, EH, 1, rest),
        frame(T.DATA, ES, 1, Buffer.from('0123456789')),
        frame(T.PING, 0, 0, Buffer.alloc(8)),
        frame(T.WINDOW_UPDATE, 0, 0, Buffer.from([0, 1, 0, 0])),
        frame(T.PRIORITY, 0, 3, Buffer.from([0, 0, 0, 0, 16])),
        frame(T.HEADERS, EH, 3, block(idx(2), idx(6), idx(4), lit(1, 'h2.example'))),
        frame(T.RST_STREAM, 0, 3, Buffer.from([0, 0, 0, 8])),
      ]),
    },
    {
      dir: 1,
      data: Buffer.concat([
        serverSettings,
        frame(T.HEADERS, EH | ES, 1, block(lit(8, '503'))), // :status 503 (literal, static name)
        frame(T.GOAWAY, 0, 0, Buffer.from([0, 0, 0, 3, 0, 0, 0, 0])),
      ]),
    },
  ];
})();

/** Server push: PUSH_PROMISE for stream 2 on stream 1, then both responses. */
export const serverPush: Segment[] = [
  { dir: 0, data: Buffer.concat([PREFACE, clientSettings, frame(T.HEADERS, EH | ES, 1, block(idx(2), idx(6), idx(4), lit(1, 'push.example')))]) },
  {
    dir: 1,
    data: Buffer.concat([
      serverSettings,
      frame(T.PUSH_PROMISE, EH, 1, Buffer.concat([Buffer.from([0, 0, 0, 2]), block(idx(2), idx(6), lit(4, '/style.css'), lit(1, 'push.example'))])),
      frame(T.HEADERS, EH, 1, block(idx(8))),
      frame(T.DATA, ES, 1, Buffer.from('<html/>')),
      frame(T.HEADERS, EH, 2, block(idx(8))),
      frame(T.DATA, ES, 2, Buffer.from('body{}')),
    ]),
  },
];

/** All valid fixtures (the fuzz test mutates these). */
export const allFixtures: Segment[][] = [plainGet, dynamicTable, grpcUnary, paddedContinuation, serverPush];
