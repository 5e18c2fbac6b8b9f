// Redis (RESP2/RESP3) protocol parser: registers detection, parsing and stitching under the name 'Redis'.
import type { ProtocolParser } from '../types.js';
import { detect } from './detect.js';
import { newState, parse } from './parse.js';
import type { RedisState } from './parse.js';
import { stitchRedis } from './stitch.js';

export type { RedisState } from './parse.js';

export const parser: ProtocolParser<RedisState> = {
  name: 'Redis',
  transports: ['tcp'],
  defaultPorts: [6379, 6380, 26379],
  detect: (dir, bytes) => detect(dir, bytes),
  newState,
  parse,
  stitch: (requests, responses, _state, final) => stitchRedis(requests, responses, final),
};
