// Kafka parser tests: fixtures (checked against tshark), split messages, pipelining, large bodies, stitching, malformed input.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { isCI, tsharkAvailable } from '../../test-support/corpus.js';
import type { L7Message, ParseContext, ParseResult } from '../types.js';
import { parser } from './index.js';
import { MAX_HOLD, type KafkaState } from './parse.js';
import { request, response } from './test-support/encode.js';
import { PAIRS, largeProduce, type Pair } from './test-support/fixtures.js';
import { buildPcap } from './test-support/pcap.js';

const ctx: ParseContext = { tsUs: 1000, tcpSeq: 1, transport: 'tcp', serverPort: 9092 };

function parseOne(dir: 0 | 1, bytes: Buffer, state: KafkaState): ParseResult {
  return parser.parse(dir, bytes, state, { ...ctx });
}

/** Parses a whole buffer like the L7 stage does; returns the messages and statuses seen. */
function parseAll(dir: 0 | 1, bytes: Buffer, state: KafkaState): { msgs: L7Message[]; statuses: string[]; rest: number } {
  const msgs: L7Message[] = [];
  const statuses: string[] = [];
  let off = 0;
  for (let n = 0; n < 10_000 && off < bytes.length; n++) {
    const r = parseOne(dir, bytes.subarray(off), state);
    statuses.push(r.status);
    if (r.message) msgs.push(r.message);
    if (r.status === 'needs-more' || r.consumed === 0) break;
    off += r.consumed;
  }
  return { msgs, statuses, rest: bytes.length - off };
}

interface Want {
  req: Partial<L7Message> & { clientId?: string };
  res?: Partial<L7Message>;
}

/** What we decode from each fixture pair (same order as PAIRS; tshark's view is in the comments in fixtures.ts). */
const WANT: Record<string, Want> = {
  'produce-v2 (deepflow 00-produce-v2.pcap)': {
    req: { requestType: 'Produce', version: '2', requestId: 1, requestDomain: 'topic2', endpoint: 'topic2', requestResource: 'topic2[0]', clientId: 'console-producer', length: 121 },
    res: { requestId: 1, responseCode: 0, responseStatus: 'ok', length: 50 },
  },
  'produce-v9 (deepflow 00-produce-v9.pcap)': {
    req: { requestType: 'Produce', version: '9', requestId: 47, requestDomain: 'zqy-test', requestResource: 'zqy-test[0]', clientId: 'console-producer' },
    res: { requestId: 47, responseCode: 0, responseStatus: 'ok' },
  },
  'produce-v7 with sw8 record header (deepflow 00-produce-v7-sw8.pcap)': {
    req: {
      requestType: 'Produce', version: '7', requestId: 1, requestDomain: 'quickstart-events', requestResource: 'quickstart-events[0]',
      clientId: 'kafka-python-producer-1', traceId: 'bb79fa34-d03f-4bc2-8fa9-979af7877426', spanId: '0d8ce61a-ef2a-4e23-b8f4-2c59e3f44d48-0',
    },
    res: { requestId: 1, responseCode: 0, responseStatus: 'ok' },
  },
  'fetch-v12 (deepflow 01-fetch-v12-ok.pcap)': {
    req: { requestType: 'Fetch', version: '12', requestId: 15603, requestDomain: 'zqy-test', requestResource: 'zqy-test[0]', clientId: 'consumer-console-consumer-8919-1' },
    res: { requestId: 15603, responseCode: 0, responseStatus: 'ok' },
  },
  'offset-commit-v8 (deepflow mixed-with-unsupported.pcap)': {
    req: { requestType: 'OffsetCommit', version: '8', requestId: 15551977, requestDomain: 'orders', requestResource: 'orders[0]' },
    res: { responseCode: 0, responseStatus: 'ok' },
  },
  'leave-group-v4 (deepflow 13-leave-group-v4.pcap)': {
    req: { requestType: 'LeaveGroup', version: '4', requestId: 201, requestDomain: undefined },
    res: { responseCode: 0, responseStatus: 'ok' },
  },
  'join-group-v7 error (deepflow 11-join-group-v7.pcap)': {
    req: { requestType: 'JoinGroup', version: '7', requestId: 120 },
    res: { responseCode: -1, responseStatus: 'server_error', responseException: 'UNKNOWN_SERVER_ERROR' },
  },
  'api-versions-v0 (nDPI kafka.pcapng)': {
    req: { requestType: 'ApiVersions', version: '0', requestId: 129, clientId: 'rdkafka' },
    res: { requestType: 'ApiVersions', responseCode: 0, responseStatus: 'ok' },
  },
  'metadata-v2 (nDPI kafka.pcapng)': {
    req: { requestType: 'Metadata', version: '2', requestId: 130, requestDomain: 'LB_MAIN_LOG_INPUT', requestResource: 'LB_MAIN_LOG_INPUT' },
  },
  'produce-v3 partition error (synthetic)': {
    req: { requestType: 'Produce', requestResource: 'orders[0,1]', traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' },
    res: { responseCode: 6, responseStatus: 'server_error', responseException: 'NOT_LEADER_OR_FOLLOWER' },
  },
  'fetch-v4 partition error (synthetic)': {
    req: { requestType: 'Fetch', version: '4', requestId: 8, requestResource: 'logs[2]' },
    res: { responseCode: 1, responseStatus: 'server_error', responseException: 'OFFSET_OUT_OF_RANGE' },
  },
  'find-coordinator-v1 error (synthetic)': {
    req: { requestType: 'FindCoordinator', version: '1', requestId: 9 },
    res: { responseCode: 15, responseStatus: 'server_error', responseException: 'COORDINATOR_NOT_AVAILABLE' },
  },
  'metadata-v1 all topics, unknown topic (synthetic)': {
    req: { requestType: 'Metadata', version: '1', requestId: 11, requestDomain: undefined, requestResource: undefined },
    res: { responseCode: 3, responseStatus: 'server_error', responseException: 'UNKNOWN_TOPIC_OR_PARTITION' },
  },
  'fetch-v13 topic id, flexible (synthetic)': {
    req: { requestType: 'Fetch', version: '13', requestId: 14, requestDomain: undefined, endpoint: undefined, requestResource: '5e0c6b2a-9d1f-4e3b-8c7a-000000000001[3]' },
    res: { responseCode: 3, responseStatus: 'server_error', responseException: 'UNKNOWN_TOPIC_OR_PARTITION' },
  },
  'offset-fetch-v3 top-level error (synthetic)': {
    req: { requestType: 'OffsetFetch', version: '3', requestId: 15, requestDomain: 'orders', requestResource: 'orders[0,1]' },
    res: { responseCode: 16, responseStatus: 'server_error', responseException: 'NOT_COORDINATOR' },
  },
  'produce-v3 acks=0 (synthetic)': {
    req: { requestType: 'Produce', requestId: 12, requestResource: 'fire[0]', responseStatus: 'ok' },
  },
  'unknown api key 99 (synthetic)': {
    req: { requestType: '99', version: '0', requestId: 13 },
  },
};

/** tshark 4.0.17 on each pair: 'key ver corr topics partitions errors' per message (fields of -T fields). */
const TSHARK: Record<string, string[]> = {
  'produce-v2 (deepflow 00-produce-v2.pcap)': ['0 2 1 topic2 0 -', '- - 1 topic2 0 0'],
  'produce-v9 (deepflow 00-produce-v9.pcap)': ['0 9 47 - - -', '- - 47 - - -'],
  'produce-v7 with sw8 record header (deepflow 00-produce-v7-sw8.pcap)': ['0 7 1 quickstart-events 0 -', '- - 1 quickstart-events 0 0'],
  'fetch-v12 (deepflow 01-fetch-v12-ok.pcap)': ['1 12 15603 - - -', '- - 15603 - - -'],
  'offset-commit-v8 (deepflow mixed-with-unsupported.pcap)': ['8 8 15551977 orders 0 -', '- - 15551977 orders 0 0'],
  'leave-group-v4 (deepflow 13-leave-group-v4.pcap)': ['13 4 201 - - -', '- - 201 - - 0,0'],
  'join-group-v7 error (deepflow 11-join-group-v7.pcap)': ['11 7 120 - - -', '- - 120 - - -1'],
  'api-versions-v0 (nDPI kafka.pcapng)': ['18 0 129 - - -', '- - 129 - - 0'],
  'metadata-v2 (nDPI kafka.pcapng)': ['3 2 130 LB_MAIN_LOG_INPUT - -'],
  'produce-v3 partition error (synthetic)': ['0 3 7 orders 0,1 -', '- - 7 orders 0,1 0,6'],
  'fetch-v4 partition error (synthetic)': ['1 4 8 logs 2 -', '- - 8 logs 2 1'],
  'find-coordinator-v1 error (synthetic)': ['10 1 9 - - -', '- - 9 - - 15'],
  'metadata-v1 all topics, unknown topic (synthetic)': ['3 1 11 - - -', '- - 11 t1 - 3'],
  'fetch-v13 topic id, flexible (synthetic)': ['1 13 14 - - -', '- - 14 - - -'],
  'offset-fetch-v3 top-level error (synthetic)': ['9 3 15 orders 0,1 -', '- - 15 orders 0,1 0,0,16'],
  'produce-v3 acks=0 (synthetic)': ['0 3 12 fire 0 -'],
  'unknown api key 99 (synthetic)': ['99 0 13 - - -'],
};

function segments(p: Pair): { dir: 0 | 1; payload: Buffer }[] {
  return [{ dir: 0, payload: p.request }, ...(p.response ? [{ dir: 1 as const, payload: p.response }] : [])];
}

const table = PAIRS.map((p) => [p.name, p] as const);

describe('fixtures', () => {
  test('every fixture has expectations', () => {
    expect(Object.keys(WANT).sort()).toEqual(PAIRS.map((p) => p.name).sort());
    expect(Object.keys(TSHARK).sort()).toEqual(PAIRS.map((p) => p.name).sort());
  });

  test.each(table)('tshark decodes %s as the comment says', (name, p) => {
    if (!tsharkAvailable()) {
      if (isCI) throw new Error('tshark missing in CI');
      console.warn('tshark not installed: fixture check skipped');
      return;
    }
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kafka-')), 'f.pcap');
    writeFileSync(file, buildPcap(segments(p)));
    const out = execFileSync('tshark', ['-r', file, '-T', 'fields', '-e', 'kafka.request_key', '-e', 'kafka.api_version', '-e', 'kafka.correlation_id',
      '-e', 'kafka.topic_name', '-e', 'kafka.partition_id', '-e', 'kafka.error'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = out.split('\n').filter(Boolean).map((l) => l.split('\t').map((f) => f || '-').join(' '));
    expect(lines).toEqual(TSHARK[name]);
  });

  test.each(table)('parses %s', (name, p) => {
    const want = WANT[name];
    const state = parser.newState();
    const r = parseOne(0, p.request, state);
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(p.request.length);
    const { clientId, ...reqWant } = want.req;
    const defined = Object.fromEntries(Object.entries(reqWant).filter(([, v]) => v !== undefined));
    expect(r.message).toMatchObject({ type: 'request', tsUs: 1000, endTsUs: 1000, tcpSeq: 1, length: p.request.length, ...defined });
    for (const [k, v] of Object.entries(reqWant)) if (v === undefined) expect(r.message?.[k as keyof L7Message], k).toBeUndefined();
    if (clientId !== undefined) expect(r.message?.attributes?.client_id).toBe(clientId);
    expect(r.message?.attributes?.body).toBeUndefined(); // decoded to its end
    if (p.response && want.res) {
      const s = parseOne(1, p.response, state);
      expect(s.status).toBe('ok');
      expect(s.consumed).toBe(p.response.length);
      expect(s.message).toMatchObject({ type: 'response', requestId: r.message?.requestId, requestType: r.message?.requestType, version: r.message?.version, ...want.res });
      const st = parser.stitch([r.message as L7Message], [s.message as L7Message], state, true);
      expect(st.records).toHaveLength(1);
      expect(st.records[0].status).toBe(want.res.responseStatus);
    }
  });

  test.each(table)('%s split at every byte boundary', (_name, p) => {
    const whole = parseOne(0, p.request, parser.newState());
    for (const [dir, msg] of [[0, p.request], [1, p.response]] as const) {
      if (!msg) continue;
      const reference = parser.newState();
      if (dir === 1) parseOne(0, p.request, reference);
      const expected = parseOne(dir, msg, reference);
      for (let cut = 0; cut < msg.length; cut++) {
        const state = parser.newState();
        if (dir === 1) parseOne(0, p.request, state);
        expect(parseOne(dir, msg.subarray(0, cut), state)).toEqual({ status: 'needs-more', consumed: 0 });
        expect(parseOne(dir, msg, state)).toEqual(expected);
      }
    }
    expect(whole.status).toBe('ok');
  });
});

describe('streams', () => {
  test('pipelined requests and responses in one buffer each, stitched by correlation id', () => {
    const state = parser.newState();
    const withResponse = PAIRS.filter((p) => p.response);
    const reqs = parseAll(0, Buffer.concat(PAIRS.map((p) => p.request)), state);
    expect(reqs.rest).toBe(0);
    expect(reqs.msgs).toHaveLength(PAIRS.length);
    // Responses in reverse order: pairing is by id, not position.
    const res = parseAll(1, Buffer.concat(withResponse.map((p) => p.response as Buffer).reverse()), state);
    expect(res.msgs).toHaveLength(withResponse.length);
    const requests = [...reqs.msgs];
    const responses = [...res.msgs];
    const out = parser.stitch(requests, responses, state, false);
    expect(out.records).toHaveLength(withResponse.length + 1);
    expect(out.errors).toEqual([]);
    for (const rec of out.records) if (rec.response) expect(rec.request?.requestId).toBe(rec.response.requestId);
    // The acks=0 produce is released at once (no response will come); metadata-v2 and api key 99 wait.
    expect(out.records.filter((r) => !r.response).map((r) => `${r.request?.requestType} ${r.status}`)).toEqual(['Produce ok']);
    expect(requests).toHaveLength(2);
    const fin = parser.stitch(requests, responses, state, true);
    expect(fin.records.map((r) => `${r.request?.requestType} ${r.status}`).sort()).toEqual(['99 timeout', 'Metadata timeout']);
    expect(state.pending.size).toBe(2); // metadata-v2 and key 99 are still awaited (bounded map)
  });

  test('response without request: correlation id only, unknown status, reported at final', () => {
    const state = parser.newState();
    const r = parseOne(1, response(77).i16(0).message(), state);
    expect(r.message).toMatchObject({ type: 'response', requestId: 77 });
    expect(r.message?.responseStatus).toBeUndefined();
    expect(r.message?.requestType).toBeUndefined();
    const responses = [r.message as L7Message];
    expect(parser.stitch([], responses, state, false).records).toEqual([]);
    const fin = parser.stitch([], responses, state, true);
    expect(fin.records[0].status).toBe('unknown');
    expect(fin.errors).toHaveLength(1);
  });

  test('large produce: returned at MAX_HOLD bytes, body skipped, next message parsed', () => {
    const state = parser.newState();
    const big = largeProduce(5, 200_000);
    const next = request(12, 0, 6).str('g').i32(1).str('m').message();
    const stream = Buffer.concat([big, next]);
    expect(parseOne(0, stream.subarray(0, MAX_HOLD - 1), state).status).toBe('needs-more');
    const head = parseOne(0, stream.subarray(0, MAX_HOLD), state);
    expect(head).toMatchObject({ status: 'ok', consumed: MAX_HOLD, message: { requestType: 'Produce', requestId: 5, length: big.length, requestResource: 'big[7]' } });
    expect(head.message?.attributes?.body).toBeUndefined(); // a cut-off body is expected, not malformed
    const rest = parseAll(0, stream.subarray(MAX_HOLD), state);
    expect(rest.statuses.filter((s) => s === 'ignored').length).toBeGreaterThan(0);
    expect(rest.msgs.map((m) => m.requestType)).toEqual(['Heartbeat']);
    expect(rest.rest).toBe(0);
  });

  test('large fetch response: error of the first partition read from the head, records skipped', () => {
    const state = parser.newState();
    parseOne(0, request(1, 4, 3).i32(-1).i32(500).i32(1).i32(1 << 20).i8(0).i32(1).str('t').i32(1).i32(0).i64(0).i32(1 << 20).message(), state);
    const records = Buffer.alloc(300_000, 1);
    const res = response(3).i32(0).i32(1).str('t').i32(1).i32(0).i16(9).i64(1).i64(1).i64(0).i32(-1).i32(records.length).raw(records).message();
    const head = parseOne(1, res.subarray(0, 70_000), state);
    expect(head).toMatchObject({ status: 'ok', consumed: 70_000, message: { responseCode: 9, responseException: 'REPLICA_NOT_AVAILABLE', length: res.length } });
    expect(parseAll(1, res.subarray(70_000), state).rest).toBe(0);
    expect(state.skip).toEqual([0, 0]);
  });

  test('roles swap when the first request arrives as direction 1 (sides guessed wrong), except on Kafka ports', () => {
    const p = PAIRS[0];
    const state = parser.newState();
    const other = { ...ctx, serverPort: 30120 };
    expect(parser.parse(1, p.request, state, other).message?.type).toBe('request');
    expect(parser.parse(0, p.response as Buffer, state, other).message).toMatchObject({ type: 'response', responseStatus: 'ok' });
    // Large messages keep being skipped in the direction they came from.
    const big = largeProduce(9, 100_000);
    const head = parser.parse(1, big.subarray(0, MAX_HOLD), state, other);
    expect(head.message).toMatchObject({ type: 'request', requestId: 9 });
    expect(state.skip).toEqual([0, big.length - MAX_HOLD]);
    // A Produce v2 response looks like a request (key 0, version 1, corr 1, client id 'topic2'): on 9092 it stays a response.
    const onPort = parser.newState();
    expect(parseOne(1, p.response as Buffer, onPort).message?.type).toBe('response');
  });

  test('requests waiting for a response are bounded: the oldest leave as timeouts', () => {
    const state = parser.newState();
    const requests: L7Message[] = [];
    for (let i = 0; i < 1500; i++) requests.push(parseOne(0, request(18, 0, i).message(), state).message as L7Message);
    const out = parser.stitch(requests, [], state, false);
    expect(requests).toHaveLength(1024);
    expect(out.records).toHaveLength(476);
    expect(out.records.every((r) => r.status === 'timeout' && (r.request?.requestId ?? 9999) < 476)).toBe(true);
  });

  test('pending map is bounded', () => {
    const state = parser.newState();
    for (let i = 0; i < 5000; i++) parseOne(0, request(18, 0, i).message(), state);
    expect(state.pending.size).toBe(1024);
  });
});

describe('malformed and detection', () => {
  test.each([
    ['negative size', Buffer.from('ffffffff00000000', 'hex'), 'invalid'],
    ['size too small for a request header', Buffer.from('0000000400120000', 'hex'), 'invalid'],
    ['size beyond 256 MiB', Buffer.from('7fffffff00120000', 'hex'), 'invalid'],
    ['negative api key', Buffer.from('00000008ffff000000000001', 'hex'), 'invalid'],
    ['client id longer than the message', Buffer.from('0000000a00120000000000010064', 'hex'), 'invalid'],
    ['only the size', Buffer.from('00000020', 'hex'), 'needs-more'],
  ])('%s', (_name, bytes, status) => {
    const r = parseOne(0, bytes, parser.newState());
    expect(r.status).toBe(status);
    if (status === 'invalid') expect(r.consumed).toBeGreaterThanOrEqual(1);
    expect(r.consumed).toBeLessThanOrEqual(bytes.length);
  });

  test('an invalid message with a plausible size is dropped whole and the next one parsed', () => {
    const state = parser.newState();
    const bad = Buffer.from('0000000a00120000000000010064', 'hex'); // client id length 100 in a 14-byte message
    const out = parseAll(0, Buffer.concat([bad, PAIRS[7].request]), state);
    expect(out.statuses).toEqual(['invalid', 'ok']);
    expect(out.msgs[0].requestType).toBe('ApiVersions');
  });

  test('truncated body inside a complete message is flagged, not fatal', () => {
    const bad = request(0, 3, 1).str(null).i16(1).i32(1).i32(1).str('x').i32(5).message();
    const r = parseOne(0, bad, parser.newState());
    expect(r).toMatchObject({ status: 'ok', message: { requestDomain: 'x', attributes: { body: 'malformed' } } });
  });

  test.each([
    ['ApiVersions v0 request', PAIRS[7].request, true],
    ['Produce v2 request', PAIRS[0].request, true],
    ['Fetch v12 request', PAIRS[3].request, true],
    ['HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false],
    ['TLS client hello', Buffer.from('160301020001000200030300000000000000', 'hex'), false],
    ['ApiVersions v0 response', PAIRS[7].response as Buffer, false],
    ['too short', Buffer.from('0000000a0012', 'hex'), false],
    ['binary client id', Buffer.from('0000000e001200000000000100020001', 'hex'), false],
  ])('detect %s → %s', (_name, bytes, want) => {
    expect(parser.detect(0, bytes, ctx)).toBe(want);
  });
});
