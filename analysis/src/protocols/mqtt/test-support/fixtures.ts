// Test support: MQTT byte fixtures per version; each comment says what tshark 4.0.17 decodes from the same bytes.
import type { FlowDirection } from '../../../flows/types.js';
import { hex } from './frames.js';

export interface Fixture {
  name: string;
  dir: FlowDirection;
  bytes: Buffer;
}

const f = (name: string, dir: FlowDirection, h: string): Fixture => ({ name, dir, bytes: hex(h) });

/** MQTT 3.1.1 session (one TCP connection, in this order). */
export const V311: Fixture[] = [
  // tshark: Connect Command, mqtt.ver 4, mqtt.clientid cid1, keep alive 60, clean session
  f('CONNECT', 0, '10 10 00 04 4d 51 54 54 04 02 00 3c 00 04 63 69 64 31'),
  // tshark: Connect Ack, mqtt.conack.val 0 (Connection Accepted)
  f('CONNACK', 1, '20 02 00 00'),
  // tshark: Publish Message [a/b], mqtt.qos 0, no msgid
  f('PUBLISH qos0', 0, '30 07 00 03 61 2f 62 68 69'),
  // tshark: Publish Message (id=10) [a/b], mqtt.qos 1
  f('PUBLISH qos1', 0, '32 09 00 03 61 2f 62 00 0a 68 69'),
  // tshark: Publish Ack (id=10)
  f('PUBACK', 1, '40 02 00 0a'),
  // tshark: Publish Message (id=11) [a/b], mqtt.qos 2
  f('PUBLISH qos2', 0, '34 09 00 03 61 2f 62 00 0b 68 69'),
  // tshark: Publish Received (id=11)
  f('PUBREC', 1, '50 02 00 0b'),
  // tshark: Publish Release (id=11)
  f('PUBREL', 0, '62 02 00 0b'),
  // tshark: Publish Complete (id=11)
  f('PUBCOMP', 1, '70 02 00 0b'),
  // tshark: Subscribe Request (id=1) [a/#] [b], requested QoS 1 and 0
  f('SUBSCRIBE', 0, '82 0c 00 01 00 03 61 2f 23 01 00 01 62 00'),
  // tshark: Subscribe Ack (id=1), mqtt.suback.qos 1 and 128 (failure)
  f('SUBACK', 1, '90 04 00 01 01 80'),
  // tshark: Publish Message (id=7) [a/c], mqtt.qos 1 (broker to subscriber)
  f('PUBLISH server qos1', 1, '32 09 00 03 61 2f 63 00 07 79 6f'),
  // tshark: Publish Ack (id=7)
  f('PUBACK client', 0, '40 02 00 07'),
  // tshark: Unsubscribe Request (id=2), topic a/#
  f('UNSUBSCRIBE', 0, 'a2 07 00 02 00 03 61 2f 23'),
  // tshark: Unsubscribe Ack (id=2)
  f('UNSUBACK', 1, 'b0 02 00 02'),
  // tshark: Ping Request
  f('PINGREQ', 0, 'c0 00'),
  // tshark: Ping Response
  f('PINGRESP', 1, 'd0 00'),
  // tshark: Disconnect Req
  f('DISCONNECT', 0, 'e0 00'),
];

/** MQTT 3.1 session refused for bad credentials. */
export const V31: Fixture[] = [
  // tshark: Connect Command, mqtt.protoname MQIsdp, mqtt.ver 3, mqtt.clientid cid1
  f('CONNECT', 0, '10 12 00 06 4d 51 49 73 64 70 03 02 00 3c 00 04 63 69 64 31'),
  // tshark: Connect Ack, mqtt.conack.val 4 (Connection Refused: bad user name or password)
  f('CONNACK', 1, '20 02 00 04'),
];

/** MQTT 5 session. */
export const V5: Fixture[] = [
  // tshark: Connect Command, mqtt.ver 5, mqtt.clientid cid5, mqtt.username user, empty properties
  f('CONNECT', 0, '10 17 00 04 4d 51 54 54 05 82 00 3c 00 00 04 63 69 64 35 00 04 75 73 65 72'),
  // tshark: Authentication Exchange, mqtt.auth.reason_code 24 (continue), property authentication method SCRA
  f('AUTH', 1, 'f0 09 18 07 15 00 04 53 43 52 41'),
  // tshark: Connect Ack, mqtt.connack.reason_code 0, empty properties
  f('CONNACK', 1, '20 03 00 00 00'),
  // tshark: Publish Message (id=12) [a/b], mqtt.qos 1, empty properties
  f('PUBLISH qos1', 0, '32 0a 00 03 61 2f 62 00 0c 00 68 69'),
  // tshark: Publish Ack (id=12), mqtt.puback.reason_code 16 (no matching subscribers)
  f('PUBACK', 1, '40 03 00 0c 10'),
  // tshark: Subscribe Request (id=2) [a/], subscription options QoS 1
  f('SUBSCRIBE', 0, '82 08 00 02 00 00 02 61 2f 01'),
  // tshark: Subscribe Ack (id=2), mqtt.suback.reason_code 135 (not authorized)
  f('SUBACK', 1, '90 04 00 02 00 87'),
  // tshark: Disconnect Req, mqtt.disconnect.reason_code 142 (session taken over), sent by the server
  f('DISCONNECT', 1, 'e0 02 8e 00'),
];

/** MQTT 5 CONNECT refused: not authorized (0x87) with reason string "bad". */
export const V5_REFUSED: Fixture[] = [
  // tshark: Connect Command, mqtt.ver 5, mqtt.clientid cid5, mqtt.username user, empty properties
  f('CONNECT', 0, '10 17 00 04 4d 51 54 54 05 82 00 3c 00 00 04 63 69 64 35 00 04 75 73 65 72'),
  // tshark: Connect Ack, mqtt.connack.reason_code 135 (not authorized), reason string property 'bad'
  f('CONNACK', 1, '20 09 00 87 06 1f 00 03 62 61 64'),
];

export const ALL: Fixture[][] = [V311, V31, V5, V5_REFUSED];
