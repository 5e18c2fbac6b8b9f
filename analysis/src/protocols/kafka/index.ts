// Kafka protocol parser (l7_protocol 'Kafka'): requests with topics, responses decoded via the request's api key.
import type { ProtocolParser } from '../types.js';
import { detect } from './detect.js';
import { KAFKA_PORTS, newState, parse, type KafkaState } from './parse.js';
import { stitch } from './stitch.js';

export type { KafkaState } from './parse.js';

export const parser: ProtocolParser<KafkaState> = {
  name: 'Kafka',
  transports: ['tcp'],
  defaultPorts: KAFKA_PORTS,
  detect,
  newState,
  parse,
  stitch,
};
