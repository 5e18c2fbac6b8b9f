// Test-only: HTTP/1 conversations used by the unit, tshark cross-check and fuzz tests.
import type { Segment } from './conversation.js';

const c = (text: string): Segment => ({ dir: 0, data: Buffer.from(text, 'latin1') });
const s = (text: string): Segment => ({ dir: 1, data: Buffer.from(text, 'latin1') });

export interface Conversation {
  name: string;
  segments: Segment[];
}

export const conversations: Conversation[] = [
  // tshark 4.0.17: GET /api/v1/users?id=7&x=y, Host shop.example:8080, HTTP/1.1; response 200 OK HTTP/1.1.
  {
    name: 'get-200',
    segments: [
      c('GET /api/v1/users?id=7&x=y HTTP/1.1\r\nHost: shop.example:8080\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n' +
        'X-Request-ID: req-42\r\nX-Forwarded-For: 203.0.113.9, 10.0.0.7\r\n' +
        'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n\r\n'),
      s('HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: 13\r\nX-Request-ID: req-42\r\n\r\n{"name":"a"}\n'),
    ],
  },
  // tshark: POST /orders (Host api) → 404 Not Found; DELETE /orders/9 → 503 Service Unavailable.
  {
    name: 'post-404-503',
    segments: [
      c('POST /orders HTTP/1.1\r\nHost: api\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2'),
      s('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'),
      c('DELETE /orders/9 HTTP/1.1\r\nHost: api\r\nb3: 80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1\r\n\r\n'),
      s('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nbusy\n'),
    ],
  },
  // tshark: PUT /upload (Host files) → 201 Created; both bodies chunked (the response's last chunk in a later segment).
  {
    name: 'chunked-both-ways',
    segments: [
      c('PUT /upload HTTP/1.1\r\nHost: files\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n'),
      s('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n3\r\nok\n\r\n'),
      s('0\r\n\r\n'),
    ],
  },
  // tshark: one PDU line with HEAD,GET,GET /big,/empty,/cached and NO response: it takes Content-Length 100000 of the
  // HEAD response as a body and waits for it. We know the request was HEAD: 200, 204, 304 (see the unit test).
  {
    name: 'pipelined-head-204-304',
    segments: [
      c('HEAD /big HTTP/1.1\r\nHost: h\r\n\r\nGET /empty HTTP/1.1\r\nHost: h\r\n\r\nGET /cached HTTP/1.1\r\nHost: h\r\nIf-None-Match: "x"\r\n\r\n'),
      s('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n'),
    ],
  },
  // tshark: 100 Continue, POST /submit, 200 OK (the POST is listed after the 100: tshark shows it in the frame that
  // completes its 4-byte body).
  {
    name: '100-continue',
    segments: [
      c('POST /submit HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n'),
      s('HTTP/1.1 100 Continue\r\n\r\n'),
      c('data'),
      s('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'),
    ],
  },
  // tshark: GET /chat (Host ws.example) → 101 Switching Protocols; the frames after it are WebSocket, not HTTP.
  {
    name: 'websocket-upgrade',
    segments: [
      c('GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'),
      s('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\x81\x05hello'),
      c('\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58'),
    ],
  },
  // tshark: GET http://proxy.example/p/q?r=1 HTTP/1.0 and no response line: the body runs until a FIN that never comes.
  {
    name: 'http10-close-delimited',
    segments: [
      c('GET http://proxy.example/p/q?r=1 HTTP/1.0\r\nUser-Agent: Wget/1.21\r\n\r\n'),
      s('HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<html>'),
      s('</html>\n'),
    ],
  },
  // tshark: GET /lf (Host lf.example) → 500 Internal Server Error, lines ended by bare LF.
  {
    name: 'lf-only-and-sw8',
    segments: [
      c('GET /lf HTTP/1.1\nHost: lf.example\nsw8: 1-YWJjZGVmMTIz-c2VnbWVudA==-3-c2Vydg==-aW5zdA==-L2xm-aG9zdA==\n\n'),
      s('HTTP/1.1 500 Internal Server Error\nContent-Length: 0\n\n'),
    ],
  },
  // tshark: CONNECT example.com:443 → 200 Connection established; the tunnelled bytes are not HTTP.
  {
    name: 'connect-tunnel',
    segments: [
      c('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nuber-trace-id: 5af7183fb1d4cf5f:6bdbf0a3a9a3c0e1:0:1\r\n\r\n'),
      s('HTTP/1.1 200 Connection established\r\n\r\n'),
      c('\x16\x03\x01\x00\x05hello'),
      s('\x16\x03\x03\x00\x02hi'),
    ],
  },
];
