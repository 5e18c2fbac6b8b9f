// MySQL classic protocol parser (port 3306): handshake, commands, OK/ERR/result sets, prepared statements.
import type { ProtocolParser } from '../types.js';
import { detect } from './detect.js';
import { newState, parse, type MysqlState } from './parse.js';
import { stitch } from './stitch.js';

export type { MysqlState } from './parse.js';

export const parser: ProtocolParser<MysqlState> = {
  name: 'MySQL',
  transports: ['tcp'],
  defaultPorts: [3306],
  detect,
  newState,
  parse,
  stitch: (requests, responses, _state, final) => stitch(requests, responses, final),
};
