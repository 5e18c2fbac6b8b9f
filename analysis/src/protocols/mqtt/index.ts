// MQTT 3.1 / 3.1.1 / 5 parser entry point (port 1883; 8883 is TLS and belongs to the TLS parser).
import type { ProtocolParser } from '../types.js';
import { detectMqtt } from './detect.js';
import { type MqttState, newState, parseMqtt } from './parse.js';
import { stitchMqtt } from './stitch.js';

export type { MqttState } from './parse.js';

export const parser: ProtocolParser<MqttState> = {
  name: 'MQTT',
  transports: ['tcp'],
  defaultPorts: [1883],
  detect: detectMqtt,
  newState,
  parse: parseMqtt,
  stitch: (requests, responses, _state, final) => stitchMqtt(requests, responses, final),
};
