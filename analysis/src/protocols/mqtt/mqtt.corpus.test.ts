// Corpus oracle: MQTT records from the real pipeline (extractL7Messages) against tshark 4.0.17 on every MQTT capture.
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { corpusCaptures, corpusUnavailableReason, isCI, runTshark } from '../../test-support/corpus.js';
import type { L7Message } from '../types.js';
import { parser } from './index.js';
import { PACKET_TYPES } from './codes.js';

const reason = corpusUnavailableReason();

/** Counts packet type names, plus PUBLISH topics and CONNACK codes, as "key=count" sorted lines. */
function summarize(types: string[], topics: string[], connack: string[]): { types: string; topics: string; connack: string } {
  const count = (xs: string[]): string => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return [...m].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join(' ');
  };
  return { types: count(types), topics: count(topics), connack: count(connack) };
}

function fromTshark(file: string, decodeAs: string[]): ReturnType<typeof summarize> {
  const args = ['-r', file, '-Y', 'mqtt', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'mqtt.msgtype', '-e', 'mqtt.hdrflags', '-e', 'mqtt.topic', '-e', 'mqtt.conack.val', '-e', 'mqtt.connack.reason_code'];
  for (const d of decodeAs) args.push('-d', d);
  const types: string[] = [];
  const topics: string[] = [];
  const connack: string[] = [];
  for (const line of runTshark(args).split('\n').filter(Boolean)) {
    const [t, _flags, topic, ca, rc] = line.split('\t');
    for (const x of t.split('|').filter(Boolean)) types.push(PACKET_TYPES[Number(x)]);
    for (const x of topic.split('|').filter(Boolean)) topics.push(x);
    for (const x of [...ca.split('|'), ...(rc ?? '').split('|')].filter(Boolean)) connack.push(x);
  }
  return summarize(types, topics, connack);
}

function fromRecords(file: string, ports: number[]): ReturnType<typeof summarize> & { stitched: string; violations: string[] } {
  const { records, violations } = extractL7Messages(file, parser, { ports });
  const msgs: L7Message[] = [];
  const pairs = new Map<string, number>();
  for (const r of records) {
    const k = `${r.request?.requestType ?? '-'}/${r.response?.requestType ?? '-'}:${r.status}`;
    pairs.set(k, (pairs.get(k) ?? 0) + 1);
    if (r.request) msgs.push(r.request);
    if (r.response) msgs.push(r.response);
  }
  const s = summarize(
    msgs.map((m) => m.requestType ?? '?'),
    // tshark's mqtt.topic holds PUBLISH topics and (UN)SUBSCRIBE filters, one per filter; ours are comma-joined.
    msgs.filter((m) => ['PUBLISH', 'SUBSCRIBE', 'UNSUBSCRIBE'].includes(m.requestType ?? '')).flatMap((m) => (m.requestResource ?? '').split(',')),
    msgs.filter((m) => m.requestType === 'CONNACK').map((m) => String(m.responseCode)),
  );
  const stitched = [...pairs].map(([k, v]) => `${k}=${v}`).sort().join(' ');
  return { ...s, stitched, violations };
}

/**
 * Stitched records per file (request/response:status=count), checked by hand against tshark's msgid pairing.
 * QoS 0 PUBLISH and DISCONNECT are lone 'ok' records (no answer exists). nDPI mqtt.pcap: the second CONNECT's
 * connection ends before its CONNACK (timeout). coap_mqtt.pcap: 4 QoS 1 PUBLISHes are never acked in the capture.
 */
const RECORDS: Record<string, string> = {
  'zeek/testing/btest/Traces/mqtt.pcap': 'CONNECT/CONNACK:ok=2 DISCONNECT/-:ok=1 PINGREQ/PINGRESP:ok=5 PUBLISH/-:ok=3 SUBSCRIBE/SUBACK:ok=1',
  'deepflow/agent/resources/test/flow_generator/mqtt/mqtt_connect.pcap': 'CONNECT/CONNACK:ok=1',
  // One TCP segment to port 53 that tshark does not decode as MQTT either: no records.
  'deepflow/agent/resources/test/flow_generator/mqtt/mqtt_error.pcap': '',
  'deepflow/agent/resources/test/flow_generator/mqtt/mqtt_one_packet_multi_publish.pcap': 'PUBLISH/PUBACK:ok=10',
  'deepflow/agent/resources/test/flow_generator/mqtt/mqtt_pub.pcap': 'CONNECT/CONNACK:ok=1 PUBLISH/PUBACK:ok=2',
  // Segments are missing (tshark: prev_seg_lost=6) but every gap falls between whole packets.
  'deepflow/agent/resources/test/flow_generator/mqtt/mqtt_roundtrip.pcap':
    'CONNECT/CONNACK:ok=1 DISCONNECT/-:ok=1 PINGREQ/PINGRESP:ok=1 PUBLISH/-:ok=1 PUBLISH/PUBACK:ok=1 PUBLISH/PUBREC:ok=1 PUBREL/PUBCOMP:ok=1 SUBSCRIBE/SUBACK:ok=2 UNSUBSCRIBE/UNSUBACK:ok=1',
  'deepflow/agent/resources/test/flow_generator/mqtt/mqtt_sub.pcap': 'SUBSCRIBE/SUBACK:ok=1',
  'nDPI/tests/cfgs/default/pcap/mqtt.pcap': 'CONNECT/-:timeout=1 CONNECT/CONNACK:ok=1 DISCONNECT/-:ok=1 PUBLISH/-:ok=2 SUBSCRIBE/SUBACK:ok=1',
  'nDPI/tests/cfgs/default/pcap/coap_mqtt.pcap': 'CONNECT/CONNACK:ok=1 PINGREQ/PINGRESP:ok=2 PUBLISH/-:ok=1 PUBLISH/-:timeout=4 PUBLISH/PUBACK:ok=70 SUBSCRIBE/SUBACK:ok=1',
  'arkime/tests/pcap/mqtt_big.pcap':
    'CONNECT/CONNACK:ok=1 DISCONNECT/-:ok=1 PINGREQ/PINGRESP:ok=1 PUBLISH/-:ok=4 PUBLISH/PUBACK:ok=3 PUBLISH/PUBREC:ok=1 PUBREL/PUBCOMP:ok=1 SUBSCRIBE/SUBACK:ok=1 UNSUBSCRIBE/UNSUBACK:ok=1',
};

const files = reason === null ? corpusCaptures().filter((e) => /mqtt/i.test(e.protocols) || /mqtt/i.test(e.file)) : [];

describe('MQTT corpus vs tshark', () => {
  if (reason !== null) {
    test('corpus and tshark available', () => {
      if (isCI) throw new Error(reason);
      console.log(`MQTT corpus oracle skipped: ${reason}`);
    });
    return;
  }
  test.each(files.map((e) => [e.file, e] as const))('%s', (_f, e) => {
    const ports = e.decodeAs.filter((d) => d.endsWith(',mqtt')).map((d) => Number(/==(\d+)/.exec(d)?.[1]));
    const want = fromTshark(e.abs, e.decodeAs);
    const got = fromRecords(e.abs, ports);
    expect(got.types).toBe(want.types);
    expect(got.topics).toBe(want.topics);
    expect(got.connack).toBe(want.connack);
    if (e.file in RECORDS) expect(got.stitched).toBe(RECORDS[e.file]);
    // Only gap notices, never an invalid MQTT packet or an unmatched response.
    expect(got.violations.filter((v) => !v.startsWith('l7-gap'))).toEqual([]);
  });
});
