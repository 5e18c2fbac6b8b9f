// Checks the byte fixtures against tshark: the same bytes in a pcap decode to the same packet types, ids and topics.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isCI, runTshark, tsharkAvailable } from '../../test-support/corpus.js';
import { PACKET_TYPES } from './codes.js';
import { parser } from './index.js';
import { ALL } from './test-support/fixtures.js';
import { conversationPcap } from './test-support/frames.js';

const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-fx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fixtures decode the same in tshark', () => {
  if (!tsharkAvailable()) {
    test('tshark available', () => {
      if (isCI) throw new Error('tshark is not installed');
      console.log('MQTT fixture check skipped: tshark is not installed');
    });
    return;
  }
  test.each(ALL.map((s, i) => [i, s] as const))('session %i', (i, session) => {
    const file = path.join(dir, `s${i}.pcap`);
    writeFileSync(file, conversationPcap(session.map((x) => ({ dir: x.dir, bytes: x.bytes }))));
    const out = runTshark(['-r', file, '-Y', 'mqtt', '-T', 'fields', '-E', 'occurrence=f', '-e', 'mqtt.msgtype', '-e', 'mqtt.msgid', '-e', 'mqtt.topic']);
    const theirs = out.split('\n').filter(Boolean).map((l) => {
      const [t, id, topic] = l.split('\t');
      return `${PACKET_TYPES[Number(t)]} ${id} ${topic}`;
    });
    const st = parser.newState();
    const ours = session.map((x) => {
      const m = parser.parse(x.dir, x.bytes, st, { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: 1883 }).message;
      return `${m?.requestType} ${m?.requestId ?? ''} ${(m?.requestResource ?? '').split(',')[0]}`;
    });
    expect(ours).toEqual(theirs);
  });
});
