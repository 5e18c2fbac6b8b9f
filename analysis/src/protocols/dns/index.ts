// DNS parser entry: UDP and TCP on 53, mDNS (5353) and LLMNR (5355) by port, a header heuristic elsewhere.
import type { ProtocolParser } from '../types.js';
import { detectDns } from './detect.js';
import { parseDns } from './parse.js';
import { stitchDns } from './stitch.js';
import { newDnsState } from './types.js';
import type { DnsState } from './types.js';

export const parser: ProtocolParser<DnsState> = {
  name: 'DNS',
  transports: ['udp', 'tcp'],
  defaultPorts: [53, 5353, 5355],
  detect: detectDns,
  newState: newDnsState,
  parse: parseDns,
  stitch: stitchDns,
};
