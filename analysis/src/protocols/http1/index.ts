// The HTTP/1.x protocol parser: detection, per-message parsing with incremental body skipping, in-order stitching.
import { stitchInOrder } from '../common/stitch.js';
import type { ProtocolParser } from '../types.js';
import { detectHttp1 } from './detect.js';
import { parseHttp1 } from './parse.js';
import { newHttp1State } from './types.js';
import type { Http1State } from './types.js';

export type { Http1State } from './types.js';

export const parser: ProtocolParser<Http1State> = {
  name: 'HTTP',
  transports: ['tcp'],
  defaultPorts: [80, 8080, 8000, 8008, 8888, 3128],
  detect: detectHttp1,
  newState: newHttp1State,
  parse: parseHttp1,
  // HTTP/1 answers in request order (pipelining included): pair the oldest request with the oldest response.
  stitch: (requests, responses, _state, final) => stitchInOrder(requests, responses, final),
};
