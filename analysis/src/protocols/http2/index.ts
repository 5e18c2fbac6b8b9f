// HTTP/2 (h2c) and gRPC parser: the ProtocolParser registered as 'HTTP2'; gRPC records carry attributes.l7_protocol 'gRPC'.
//
// Messages: a request per client HEADERS block opening a stream (or PUSH_PROMISE, attributes.push_promise = 1),
// emitted when the block is complete; a response per stream, emitted by the frame that ends it (server END_STREAM
// or RST_STREAM from either side). requestId = stream id, version '2'. Request length = its HEADERS/CONTINUATION
// frames + content-length when announced; response length = every server frame of the stream (headers, DATA, trailers).
// responseCode = :status, or grpc-status for gRPC (attributes.http_status / grpc_status keep both); responseException =
// grpc-message (percent-decoded) or 'RST_STREAM <error>'. HPACK misses and dropped blocks are notes, returned as stitch
// errors (l7 violations), never a lost message.
import type { ProtocolParser } from '../types.js';
import { detect } from './detect.js';
import { h2cAfterUpgrade, newState, parse } from './parse.js';
import type { Http2State } from './parse.js';
import { stitch } from './stitch.js';

export type { Http2State };
export { h2cAfterUpgrade };

export const parser: ProtocolParser<Http2State> = {
  name: 'HTTP2',
  transports: ['tcp'],
  // 443 is TLS (ALPN h2), not ours; h2c on 80/8080 is found by detect (HTTP/1 owns those ports).
  defaultPorts: [50051],
  detect: (dir, bytes) => detect(dir, bytes),
  newState,
  parse,
  stitch,
  // After `HTTP/1.1 101 Switching Protocols` with `Upgrade: h2c`, the stage hands the connection to this parser.
  upgradeTokens: ['h2c'],
  startAfterUpgrade: h2cAfterUpgrade,
};
