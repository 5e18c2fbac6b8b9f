// Corpus oracle: the Redis parser run through the real pipeline over public captures, compared with tshark's RESP dissector.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { corpusDir, corpusUnavailableReason, isCI } from '../../test-support/corpus.js';
import { parser } from './index.js';
import { tsharkResp } from './test-support/tshark-resp.js';

const reason = corpusUnavailableReason();
if (reason !== null && !isCI) console.log(`redis corpus oracle skipped: ${reason}`);

interface Case {
  file: string;
  ports?: number[];
  decodeAs?: string[];
  /** Our reply count where it differs from tshark's on purpose, and why. */
  replies?: number;
  why?: string;
}
const cases: Case[] = [
  { file: 'zeek/testing/btest/Traces/redis/pipelining-example.pcap' },
  { file: 'zeek/testing/btest/Traces/redis/pipeline-with-commands.pcap' },
  { file: 'zeek/testing/btest/Traces/redis/pubsub.pcap', replies: 7, why: 'tshark counts the 3 published messages (pushes, not replies)' },
  { file: 'zeek/testing/btest/Traces/redis/pubsub-resp3.pcap', replies: 10, why: 'tshark 4.0 knows no RESP3 types and splits the HELLO/COMMAND DOCS maps into thousands of values' },
  { file: 'zeek/testing/btest/Traces/redis/stream.pcap' },
  { file: 'zeek/testing/btest/Traces/redis/django-cloud.pcapng', ports: [10625], decodeAs: ['tcp.port==10625,resp'] },
  { file: 'zeek/testing/btest/Traces/redis/bulk-loading.pcap' },
  { file: 'zeek/testing/btest/Traces/redis/large-requests-responses.pcap', replies: 5, why: 'tshark does not reassemble the 48 KB COMMAND DOCS array and dissects each segment anew' },
  { file: 'zeek/testing/btest/Traces/redis/set.pcap' },
  { file: 'zeek/testing/btest/Traces/redis/auth.pcap' },
  { file: 'zeek/testing/btest/Traces/redis/attr.pcap', replies: 2, why: 'RESP3 attribute (|) replies: tshark 4.0 splits them into 12 values' },
  { file: 'zeek/testing/btest/Traces/redis/reply-off-on.pcap' },
  { file: 'deepflow/agent/resources/test/flow_generator/redis/redis.pcap', replies: 10, why: 'tshark leaves the 490 KB bulk reply (capture ends mid-body) as a continuation; we report it from its header' },
  { file: 'deepflow/agent/resources/test/flow_generator/redis/redis-error.pcap' },
  { file: 'deepflow/agent/resources/test/flow_generator/redis/redis-debug.pcap' },
  { file: 'nDPI/tests/cfgs/default/pcap/resp.pcap', replies: 4, why: 'tshark does not reassemble the COMMAND reply array and dissects each segment anew' },
  { file: 'tcpdump/tests/resp_1_benchmark.pcap' },
  { file: 'tcpdump/tests/resp_2_inline.pcap' },
];

describe('Redis corpus oracle (tshark 4.0 resp)', () => {
  test('corpus and tshark are available under CI', () => {
    if (isCI) expect(reason).toBeNull();
  });
  test.skipIf(reason !== null).each(cases)('$file', ({ file, ports, decodeAs, replies }) => {
    const abs = path.join(corpusDir, file);
    const { records, violations } = extractL7Messages(abs, parser, { ports });
    const ts = tsharkResp(abs, [6379, 6380, 26379, ...(ports ?? [])], decodeAs ?? []);
    const reqs = records.filter((r) => r.request).map((r) => r.request!);
    const resps = records.filter((r) => r.response).map((r) => r.response!);
    const mine = {
      requests: reqs.length,
      replies: resps.length,
      commands: reqs.map((r) => r.requestType),
      errors: resps.filter((r) => r.responseStatus === 'server_error').map((r) => r.responseException),
    };
    expect(violations).toEqual([]);
    // tshark shows inline commands as resp.fragment: counted as requests, but without a command name.
    expect(mine.requests).toBe(ts.requests);
    expect(mine.replies).toBe(replies ?? ts.replies);
    const arrayCommands = reqs.filter((r) => r.attributes?.inline !== 1).map((r) => r.requestType);
    expect([...arrayCommands].sort()).toEqual([...ts.commands].sort());
    expect([...mine.errors].sort()).toEqual([...ts.errors].sort());
    // Every reply has a request, except in the pub/sub captures' lone publisher flows (none here).
    expect(records.filter((r) => r.request === undefined)).toEqual([]);
  });
});

describe('Redis corpus: DeepFlow fields on chosen captures', () => {
  const rows = (file: string, ports?: number[]) =>
    extractL7Messages(path.join(corpusDir, file), parser, { ports }).records.map((r) => [
      r.request?.requestResource,
      r.status,
      r.response?.responseResult ?? r.response?.responseException,
    ]);
  test.skipIf(reason !== null)('reply-off-on: requests sent with replies off have no reply and do not shift pairing', () => {
    expect(rows('zeek/testing/btest/Traces/redis/reply-off-on.pcap')).toEqual([
      ['CLIENT REPLY OFF', 'unknown', undefined],
      ['PING', 'unknown', undefined],
      ['CLIENT REPLY SKIP', 'unknown', undefined],
      ['PING', 'unknown', undefined],
      ['PING', 'ok', 'PONG'],
      ['CLIENT REPLY ON', 'ok', 'OK'],
      ['PING', 'ok', 'PONG'],
      ['PING', 'ok', 'PONG'],
    ]);
  });
  test.skipIf(reason !== null)('pubsub: published messages are pushes, replies stay paired', () => {
    expect(rows('zeek/testing/btest/Traces/redis/pubsub.pcap')).toEqual(
      expect.arrayContaining([
        ['SUBSCRIBE Foo', 'ok', 'subscribe Foo'],
        ['PSUBSCRIBE F*', 'ok', 'psubscribe F*'],
        ['RESET', 'ok', 'RESET'],
        ['GET sanity_check', 'ok', 'bulk 12 bytes'],
      ]),
    );
  });
  test.skipIf(reason !== null)('auth: credentials are never stored; WRONGPASS is a server error', () => {
    expect(rows('zeek/testing/btest/Traces/redis/auth.pcap')).toEqual([
      ['AUTH <redacted> <redacted>', 'server_error', 'WRONGPASS invalid username-password pair or user is disabled.'],
      ['AUTH <redacted> <redacted>', 'ok', 'OK'],
      ['AUTH <redacted> <redacted>', 'server_error', 'WRONGPASS invalid username-password pair or user is disabled.'],
    ]);
  });
  test.skipIf(reason !== null)('large values are summarised, not stored', () => {
    expect(rows('zeek/testing/btest/Traces/redis/large-requests-responses.pcap').slice(1)).toEqual([
      ['SET FIVE_HUNDRED_X <500 bytes>', 'ok', 'OK'],
      ['SET THOUSAND_X <1000 bytes>', 'ok', 'OK'],
      ['GET FIVE_HUNDRED_X', 'ok', 'bulk 500 bytes'],
      ['GET THOUSAND_X', 'ok', 'bulk 1000 bytes'],
    ]);
  });
});
