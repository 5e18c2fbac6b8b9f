// MQTT stitching: acks by (packet type pair, packet id, opposite sender), CONNECT/PINGREQ answers in order.
import { newRecord } from '../common/message.js';
import { loneRequest, loneResponse } from '../common/stitch.js';
import type { L7Message, L7Record, StitchResult } from '../types.js';

/** Which request type each response type answers. */
const ANSWERS: Readonly<Record<string, string>> = {
  CONNACK: 'CONNECT',
  PUBACK: 'PUBLISH',
  PUBREC: 'PUBLISH',
  PUBCOMP: 'PUBREL',
  SUBACK: 'SUBSCRIBE',
  UNSUBACK: 'UNSUBSCRIBE',
  PINGRESP: 'PINGREQ',
};

/** QoS of the PUBLISH each publish ack answers: PUBACK ends QoS 1, PUBREC is the first step of QoS 2. */
const ACK_QOS: Readonly<Record<string, number>> = { PUBACK: 1, PUBREC: 2 };

function matches(req: L7Message, res: L7Message): boolean {
  const want = res.requestType === undefined ? undefined : ANSWERS[res.requestType];
  if (want === undefined || req.requestType !== want) return false;
  // The answer comes from the other side: a broker's PUBLISH is acked by the client and vice versa.
  if (req.attributes?.sender === res.attributes?.sender) return false;
  if (req.tsUs > res.tsUs) return false;
  if (want === 'CONNECT' || want === 'PINGREQ') return true;
  if (req.requestId !== res.requestId) return false;
  const qos = res.requestType === undefined ? undefined : ACK_QOS[res.requestType];
  return qos === undefined || req.attributes?.qos === undefined || req.attributes.qos === qos;
}

/**
 * Pairs MQTT requests and responses. Requests that expect no answer (QoS 0 PUBLISH, DISCONNECT, AUTH: parse sets
 * their responseStatus) become lone records at once with their own status, not 'timeout'.
 */
export function stitchMqtt(requests: L7Message[], responses: L7Message[], final: boolean): StitchResult {
  const records: L7Record[] = [];
  const errors: string[] = [];
  for (let i = 0; i < requests.length; ) {
    if (requests[i].responseStatus !== undefined) {
      records.push(loneRequest(requests[i]));
      requests.splice(i, 1);
    } else {
      i++;
    }
  }
  for (let q = 0; q < responses.length; ) {
    const res = responses[q];
    const i = requests.findIndex((req) => matches(req, res));
    if (i >= 0) {
      records.push(newRecord(requests[i], res, res.responseStatus ?? 'unknown'));
      requests.splice(i, 1);
      responses.splice(q, 1);
    } else if (final) {
      records.push(loneResponse(res));
      errors.push(`${res.requestType ?? 'response'} without request${res.requestId === undefined ? '' : ` (id ${res.requestId})`}`);
      responses.splice(q, 1);
    } else {
      q++;
    }
  }
  if (final) {
    for (const req of requests) records.push(loneRequest(req));
    requests.length = 0;
  }
  return { records, errors };
}
