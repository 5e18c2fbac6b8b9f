// Apache Dubbo 2 protocol parser entry point (port 20880; hessian2 bodies decoded, other serializations header-only).
import { stitchById } from '../common/stitch.js';
import type { ProtocolParser } from '../types.js';
import { detectDubbo } from './detect.js';
import { type DubboState, newState, parseDubbo } from './parse.js';

export type { DubboState } from './parse.js';

export const parser: ProtocolParser<DubboState> = {
  name: 'Dubbo',
  transports: ['tcp'],
  defaultPorts: [20880],
  detect: detectDubbo,
  newState,
  parse: parseDubbo,
  stitch: (requests, responses, _state, final) => stitchById(requests, responses, final),
};
