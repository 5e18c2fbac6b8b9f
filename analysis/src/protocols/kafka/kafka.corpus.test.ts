// Oracle test: Kafka messages the pipeline extracts from the public corpus match what tshark decodes, per capture.
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { corpusCaptures, corpusUnavailableReason, isCI, runTshark } from '../../test-support/corpus.js';
import type { L7Message } from '../types.js';
import { parser } from './index.js';
import { apiName } from './tables.js';

interface Side {
  /** 'Q <corr> <api> v<version>' for requests, 'R <corr>' for responses. */
  keys: string[];
  /** 'corr api' → first topic tshark names in the request. */
  topics: Map<string, string>;
  /** corr → first non-zero error code tshark shows in the response (0 if all zero). */
  codes: Map<string, number>;
}

/**
 * tshark's view. It decodes only the versions its dissector knows (e.g. no Fetch v12+, Produce v9+): for those it
 * still gives the header (key, version, correlation id) but no topics or errors, so topics and codes are compared
 * only where tshark shows them. Responses without their request ("Request Missing") give the correlation id only.
 */
function tsharkSide(file: string, decodeAs: string[]): Side {
  const args = ['-r', file, '-n', ...decodeAs.flatMap((d) => ['-d', d]), '-Y', 'kafka', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,',
    '-e', 'kafka.request_key', '-e', 'kafka.api_version', '-e', 'kafka.correlation_id', '-e', 'kafka.topic_name', '-e', 'kafka.error'];
  const side: Side = { keys: [], topics: new Map(), codes: new Map() };
  for (const line of runTshark(args).split('\n')) {
    if (!line) continue;
    const [key, version, corr, topics, errors] = line.split('\t');
    if (key) {
      side.keys.push(`Q ${corr} ${apiName(Number(key))} v${version}`);
      const first = topics ? topics.split(',')[0] : '';
      if (first && first !== '[ Null ]') side.topics.set(`${corr} ${apiName(Number(key))}`, first);
    } else {
      side.keys.push(`R ${corr}`);
      if (errors) side.codes.set(corr, errors.split(',').map(Number).find((c) => c !== 0) ?? 0);
    }
  }
  side.keys.sort();
  return side;
}

function oursKey(m: L7Message): string {
  return m.type === 'request' ? `Q ${m.requestId} ${m.requestType} v${m.version}` : `R ${m.requestId}`;
}

/**
 * The INDEX's decode-as hint is wrong-sided for two deepflow snippets: it names 30120, the client's port, so tshark
 * decodes the request as a response and vice versa; tshark gets the broker's port (36333) instead. Our flow table
 * also takes 30120 as the server (lower port, no handshake) and is given the hint's port: the parser notices the
 * request arriving from the "server" and swaps roles.
 */
const PORT_FIX: Record<string, string[]> = {
  'deepflow/agent/resources/test/flow_generator/kafka/11-join-group-v7.pcap': ['tcp.port==36333,kafka'],
  'deepflow/agent/resources/test/flow_generator/kafka/14-sync-group-v5.pcap': ['tcp.port==36333,kafka'],
};

const reason = corpusUnavailableReason();
const files = reason === null ? corpusCaptures().filter((e) => /kafka/.test(e.protocols) || /kafka/.test(e.notes)) : [];

describe('Kafka corpus oracle (tshark)', () => {
  test('corpus and tshark are available', () => {
    if (reason !== null) {
      if (isCI) throw new Error(`Kafka oracle cannot run in CI: ${reason}`);
      console.warn(`Kafka oracle skipped: ${reason}`);
    }
    expect(reason === null ? files.length : 1).toBeGreaterThan(0);
  });

  test.each(files.map((f) => [f.file, f] as const))('%s', (_name, entry) => {
    const expected = tsharkSide(entry.abs, PORT_FIX[entry.file] ?? entry.decodeAs);
    const ports = entry.decodeAs.map((d) => Number(/==(\d+),/.exec(d)?.[1]));
    const { records, violations } = extractL7Messages(entry.abs, parser, { ports });
    const msgs: L7Message[] = [];
    for (const r of records) {
      if (r.request) msgs.push(r.request);
      if (r.response) msgs.push(r.response);
    }
    expect(msgs.map(oursKey).sort()).toEqual(expected.keys);
    for (const m of msgs) {
      if (m.type === 'request') {
        const topic = expected.topics.get(`${m.requestId} ${m.requestType}`);
        if (topic !== undefined) expect(m.requestDomain, `topic of ${oursKey(m)}`).toBe(topic);
      } else {
        const code = expected.codes.get(String(m.requestId));
        if (code !== undefined) expect(m.responseCode, `error of ${oursKey(m)}`).toBe(code);
      }
    }
    // Our own violations are only the capture's: mid-stream responses without request and lost segments.
    expect(violations.filter((v) => !/response without request|l7-gap/.test(v))).toEqual([]);
  });
});
