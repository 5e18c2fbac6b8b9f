// MQTT packet type names and the mapping of return / reason codes to DeepFlow response statuses.
import type { ResponseStatus } from '../types.js';

export const PACKET_TYPES = [
  'RESERVED',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
] as const;

export type PacketTypeName = (typeof PACKET_TYPES)[number];

/**
 * CONNACK return codes of MQTT 3.1 / 3.1.1: 0 accepted; 1 unacceptable protocol version, 2 identifier rejected,
 * 4 bad user name or password, 5 not authorized are the client's fault; 3 server unavailable is the server's.
 * Codes 6..255 are reserved: 'unknown'.
 */
export function connackV3Status(code: number): ResponseStatus {
  if (code === 0) return 'ok';
  if (code === 1 || code === 2 || code === 4 || code === 5) return 'client_error';
  if (code === 3) return 'server_error';
  return 'unknown';
}

/**
 * MQTT 5 reason codes (CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH): below 0x80
 * is success; 0x80 unspecified error, 0x83 implementation specific error, 0x88 server unavailable and 0x89 server
 * busy blame the server; every other code >= 0x80 (malformed packet, protocol error, bad credentials, not
 * authorized, client id / topic invalid, banned, quota and size limits...) blames the client.
 */
export function reasonV5Status(code: number): ResponseStatus {
  if (code < 0x80) return 'ok';
  if (code === 0x80 || code === 0x83 || code === 0x88 || code === 0x89) return 'server_error';
  return 'client_error';
}

/**
 * SUBACK return codes of 3.1.1: 0, 1, 2 granted QoS; 0x80 failure, which brokers send when the filter is refused
 * (ACL, invalid filter): client_error. In MQTT 5 the per-filter codes are reason codes (reasonV5Status).
 */
export function subackStatus(code: number, v5: boolean): ResponseStatus {
  if (v5) return reasonV5Status(code);
  if (code <= 2) return 'ok';
  return 'client_error';
}
