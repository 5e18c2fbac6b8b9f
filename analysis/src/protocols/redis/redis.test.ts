// Unit tests for the Redis parser: every RESP2/RESP3 type, inline commands, pipelining, split input, big values, stitching.
import { describe, expect, test } from 'vitest';
import type { FlowDirection } from '../../flows/types.js';
import type { L7Message, ParseResult } from '../types.js';
import { detect } from './detect.js';
import { fixtures } from './test-support/fixtures.js';
import { parser } from './index.js';
import type { RedisState } from './index.js';
import { b, ctx } from './test-support/pcap.js';

const fx = (name: string): Buffer => fixtures.find((f) => f.name === name)!.bytes;

/** Feeds `bytes` like the L7 stage does: parse until needs-more or empty, collecting messages. */
function drive(dir: FlowDirection, bytes: Buffer, state: RedisState, tsUs = 1000): { messages: L7Message[]; results: ParseResult[]; rest: number } {
  const messages: L7Message[] = [];
  const results: ParseResult[] = [];
  let off = 0;
  for (let i = 0; i < 10_000 && off < bytes.length; i++) {
    const r = parser.parse(dir, bytes.subarray(off), state, ctx(tsUs + i, off + 1));
    results.push(r);
    if (r.status === 'needs-more') break;
    if (r.message) messages.push(r.message);
    off += r.consumed;
  }
  return { messages, results, rest: bytes.length - off };
}

// The comment on each row is tshark 4.0.17's Info column for the same bytes (built into a pcap by conversationPcap,
// client 40000 → server 6379). tshark's RESP dissector predates RESP3: it shows RESP3 values and inline commands
// as "[fragment]".
const cases: { name: string; want: Partial<L7Message> }[] = [
  // tshark: "Request: SET key hello world!" (array 3; bulk lengths 3,3,12)
  { name: 'set', want: { type: 'request', requestType: 'SET', endpoint: 'SET', requestResource: 'SET key <12 bytes>', length: 41 } },
  // tshark: "Request: GET key"
  { name: 'get', want: { type: 'request', requestType: 'GET', requestResource: 'GET key', length: 22 } },
  // tshark: "Request: [fragment]" (inline command)
  { name: 'inline-ping', want: { type: 'request', requestType: 'PING', requestResource: 'PING', length: 6 } },
  // tshark: "Request: [fragment]" (inline command)
  { name: 'inline-quoted', want: { type: 'request', requestType: 'SET', requestResource: 'SET k <3 bytes>', length: 13 } },
  // tshark: "Request: CONFIG GET maxclients"
  { name: 'config-get', want: { type: 'request', requestType: 'CONFIG', requestResource: 'CONFIG GET maxclients', attributes: { argc: 3, subcommand: 'GET' } } },
  // tshark: "Request: AUTH secret" (we never store the password)
  { name: 'auth', want: { type: 'request', requestType: 'AUTH', requestResource: 'AUTH <redacted>' } },
  // tshark: "Request: SUBSCRIBE foo bar"
  { name: 'subscribe', want: { type: 'request', requestType: 'SUBSCRIBE', requestResource: 'SUBSCRIBE foo bar' } },
  // tshark: "Response: OK"
  { name: 'simple', want: { type: 'response', responseStatus: 'ok', responseResult: 'OK', length: 5 } },
  // tshark: "Response: Error: ERR unknown command 'FOO'" (resp.error)
  { name: 'error', want: { type: 'response', responseStatus: 'server_error', responseException: "ERR unknown command 'FOO'", attributes: { errorCode: 'ERR' } } },
  // tshark: "Response: 5" (resp.integer 5)
  { name: 'integer', want: { type: 'response', responseStatus: 'ok', responseResult: '(integer) 5' } },
  // tshark: "Response: hello world!" (bulk length 12)
  { name: 'bulk', want: { type: 'response', responseResult: 'bulk 12 bytes', length: 19 } },
  // tshark: "Response:" (bulk length -1)
  { name: 'nil-bulk', want: { type: 'response', responseResult: '(nil)' } },
  // tshark: "Response: Array(2)" (bulk 'a', integer 1)
  { name: 'array', want: { type: 'response', responseResult: 'array 2' } },
  // tshark: "Response:" (array length -1)
  { name: 'nil-array', want: { type: 'response', responseResult: '(nil)' } },
  // tshark: "Response: [fragment]"
  { name: 'resp3-null', want: { type: 'response', responseResult: '(nil)', version: 'RESP3' } },
  // tshark: "Response: [fragment]"
  { name: 'resp3-double', want: { type: 'response', responseResult: '(double) 3.14' } },
  // tshark: "Response: [fragment]"
  { name: 'resp3-boolean', want: { type: 'response', responseResult: '(boolean) true' } },
  // tshark: "Response: [fragment]"
  { name: 'resp3-big-number', want: { type: 'response', responseResult: '(big number) 12345678901234567890' } },
  // tshark: "Response: [fragment] [fragment]"
  { name: 'resp3-blob-error', want: { type: 'response', responseStatus: 'server_error', responseException: 'SYNTAX invalid syntax' } },
  // tshark: "Response: [fragment] [fragment]"
  { name: 'resp3-verbatim', want: { type: 'response', responseResult: 'verbatim 15 bytes' } },
  // tshark: "Response: [fragment] key 1"
  { name: 'resp3-map', want: { type: 'response', responseResult: 'map 1' } },
  // tshark: "Response: [fragment] a b"
  { name: 'resp3-set', want: { type: 'response', responseResult: 'set 2' } },
  // tshark: "Response: [fragment] message foo bar"
  { name: 'resp3-push', want: { type: 'push', responseResult: 'message foo' } },
  // tshark: "Response: [fragment] ttl 3600 hi"
  { name: 'resp3-attribute', want: { type: 'response', responseResult: 'bulk 2 bytes', attributes: { attributes: 1 }, length: 25 } },
  // tshark: "Response: Array(3)" (a reply like any other until the connection subscribed)
  { name: 'resp2-message', want: { type: 'response', responseResult: 'array 3' } },
  // tshark: "Response: Array(2)" (integers 1,2; bulk length 3)
  { name: 'nested', want: { type: 'response', responseResult: 'array 2', length: 25 } },
];

describe('parse: one message per fixture', () => {
  test.each(cases)('$name', ({ name, want }) => {
    const f = fixtures.find((x) => x.name === name)!;
    const r = parser.parse(f.dir, f.bytes, parser.newState(), ctx(42, 7));
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(f.bytes.length);
    expect(r.message).toMatchObject({ tsUs: 42, endTsUs: 42, tcpSeq: 7, ...want });
  });

  test('every fixture has a case', () => {
    expect(cases.map((c) => c.name).sort()).toEqual(fixtures.map((f) => f.name).sort());
  });
});

describe('split at every byte boundary', () => {
  test.each(fixtures.map((f) => [f.name, f] as const))('%s', (_n, f) => {
    const whole = parser.parse(f.dir, f.bytes, parser.newState(), ctx());
    for (let cut = 1; cut < f.bytes.length; cut++) {
      const r = parser.parse(f.dir, f.bytes.subarray(0, cut), parser.newState(), ctx());
      expect(r, `cut at ${cut}`).toEqual({ status: 'needs-more', consumed: 0 });
    }
    expect(parser.parse(f.dir, Buffer.from(f.bytes), parser.newState(), ctx())).toEqual(whole);
  });
});

describe('pipelining and connection state', () => {
  test('several requests in one buffer', () => {
    const buf = Buffer.concat([fx('set'), fx('inline-ping'), fx('get'), b('\r\n'), fx('config-get')]);
    const { messages, rest } = drive(0, buf, parser.newState());
    expect(rest).toBe(0);
    expect(messages.map((m) => m.requestType)).toEqual(['SET', 'PING', 'GET', 'CONFIG']);
    expect(messages.map((m) => m.tcpSeq)).toEqual([1, 42, 48, 72]);
  });

  test('a value longer than 8 KiB is returned from its header and skipped without being held', () => {
    const value = Buffer.alloc(100_000, 0x78);
    const req = Buffer.concat([b('*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$100000\r\n'), value, b('\r\n'), fx('get')]);
    const state = parser.newState();
    const first = parser.parse(0, req.subarray(0, 1500), state, ctx());
    expect(first.status).toBe('ok');
    expect(first.consumed).toBe(1500);
    expect(first.message).toMatchObject({ requestType: 'SET', requestResource: 'SET big <100000 bytes>', length: req.length - fx('get').length });
    const { messages, results } = drive(0, req.subarray(1500), state);
    expect(results[0]).toEqual({ status: 'ignored', consumed: req.length - 1500 - fx('get').length });
    expect(messages.map((m) => m.requestType)).toEqual(['GET']);
  });

  test('a huge array of small elements is returned after 32 KiB and the rest walked element by element', () => {
    const n = 20_000;
    const reply = Buffer.concat([b(`*${n}\r\n`), ...Array.from({ length: n }, () => b('$3\r\nabc\r\n')), fx('simple')]);
    const state = parser.newState();
    const first = parser.parse(1, reply.subarray(0, 40_000), state, ctx());
    expect(first.status).toBe('ok');
    expect(first.message?.responseResult).toBe(`array ${n}`);
    const { messages } = drive(1, reply.subarray(first.consumed), state);
    expect(messages.map((m) => m.responseResult)).toEqual(['OK']);
  });

  test('CLIENT REPLY OFF / SKIP / ON mark requests that get no reply', () => {
    const state = parser.newState();
    const { messages } = drive(0, b('CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY ON\r\nCLIENT REPLY SKIP\r\nPING\r\nPING\r\n'), state);
    expect(messages.map((m) => m.attributes?.noReply ?? 0)).toEqual([1, 1, 0, 1, 1, 0]);
  });

  test('RESET leaves pub/sub mode and turns replies back on', () => {
    const state = parser.newState();
    drive(0, b('SUBSCRIBE a\r\nCLIENT REPLY OFF\r\n'), state);
    expect(state.subscribed).toBe(true);
    const { messages } = drive(0, b('RESET\r\n'), state);
    expect(messages[0].attributes?.noReply).toBeUndefined();
    expect([state.subscribed, state.replyOff]).toEqual([false, false]);
  });

  test('HELLO 3 switches the version to RESP3', () => {
    const state = parser.newState();
    drive(0, b('*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n'), state);
    expect(drive(1, fx('simple'), state).messages[0].version).toBe('RESP3');
  });
});

describe('stitch', () => {
  function run(client: Buffer, server: Buffer, final: boolean) {
    const state = parser.newState();
    const reqs = drive(0, client, state, 1000).messages.filter((m) => m.type === 'request');
    const all = drive(1, server, state, 2000).messages;
    const resps = all.filter((m) => m.type === 'response');
    return { out: parser.stitch(reqs, resps, state, final), pushes: all.filter((m) => m.type === 'push'), reqs, resps };
  }

  test('pipelined requests pair in order', () => {
    const { out, reqs, resps } = run(Buffer.concat([fx('get'), fx('set')]), Buffer.concat([fx('bulk'), fx('error')]), false);
    expect(out.records.map((r) => [r.request?.requestType, r.response?.responseResult ?? r.response?.responseException, r.status])).toEqual([
      ['GET', 'bulk 12 bytes', 'ok'],
      ['SET', "ERR unknown command 'FOO'", 'server_error'],
    ]);
    expect([reqs.length, resps.length, out.errors]).toEqual([0, 0, []]);
  });

  test('SUBSCRIBE to 2 channels: the first confirmation answers it, the second and the messages are pushes', () => {
    const confirm = (ch: string, n: number) => b(`*3\r\n$9\r\nsubscribe\r\n$3\r\n${ch}\r\n:${n}\r\n`);
    const { out, pushes } = run(Buffer.concat([fx('subscribe'), fx('inline-ping')]), Buffer.concat([confirm('foo', 1), confirm('bar', 2), fx('resp2-message'), b('*2\r\n$4\r\npong\r\n$0\r\n\r\n')]), true);
    expect(pushes.map((p) => p.responseResult)).toEqual(['subscribe bar', 'message foo']);
    expect(out.records.map((r) => [r.request?.requestType, r.response?.responseResult])).toEqual([
      ['SUBSCRIBE', 'subscribe foo'],
      ['PING', 'array 2'],
    ]);
  });

  test('requests without reply do not take later replies; lone requests time out at the end', () => {
    const { out } = run(b('CLIENT REPLY SKIP\r\nPING\r\nGET a\r\nGET b\r\n'), b('$-1\r\n'), true);
    expect(out.records.map((r) => [r.request?.requestResource, r.status])).toEqual([
      ['CLIENT REPLY SKIP', 'unknown'],
      ['PING', 'unknown'],
      ['GET a', 'ok'],
      ['GET b', 'timeout'],
    ]);
  });

  test('a reply without request is reported at the end', () => {
    const { out } = run(b(''), fx('simple'), true);
    expect(out.records).toHaveLength(1);
    expect(out.errors).toEqual(['response without request']);
  });
});

describe('malformed input', () => {
  const bad: [string, FlowDirection, string, string][] = [
    ['bad bulk length', 1, '$abc\r\nxx\r\n', 'bad RESP $ length'],
    ['bulk without CRLF', 0, '*2\r\n$3\r\nGETX\r\n$1\r\na\r\n', 'RESP bulk string not followed by CRLF'],
    ['unknown type byte', 1, '@foo\r\n', 'unknown RESP type byte 0x40'],
    ['binary on the client side', 0, '\x16\x03\x01\x00\x05hello\n', 'not a RESP request or inline command'],
    ['bad integer', 1, ':12a\r\n', 'bad RESP integer'],
    ['negative count', 1, '*-2\r\n', 'bad RESP * count'],
    ['bare CR', 1, '+O\rK\r\n', 'bare CR in a RESP line'],
    ['request not of strings', 0, '*1\r\n:1\r\n', 'RESP request is not an array of strings'],
    ['too deep', 1, '*1\r\n'.repeat(40) + ':1\r\n', 'RESP nesting deeper than 32'],
  ];
  test.each(bad)('%s', (_n, dir, text, error) => {
    const bytes = b(text);
    const r = parser.parse(dir, bytes, parser.newState(), ctx());
    expect(r.status).toBe('invalid');
    expect(r.error).toBe(error);
    expect(r.consumed).toBeGreaterThanOrEqual(1);
    expect(r.consumed).toBeLessThanOrEqual(bytes.length);
  });

  test('a long error keeps 256 characters of its text', () => {
    const r = parser.parse(1, b(`-ERR ${'x'.repeat(400)}\r\n`), parser.newState(), ctx());
    expect(r.message?.responseException).toHaveLength(256);
  });

  test('a line longer than 64 KiB is refused rather than held', () => {
    const r = parser.parse(1, Buffer.concat([b('+'), Buffer.alloc(70_000, 0x61)]), parser.newState(), ctx());
    expect(r.status).toBe('invalid');
  });
});

describe('detect', () => {
  test.each([
    [0, '*2\r\n$3\r\nGET\r\n$1\r\na\r\n', true],
    [0, 'PING\r\n', true],
    [0, 'set k v\r\n', true],
    [0, 'GET / HTTP/1.1\r\n', false],
    [0, 'GET /\r\n', true],
    [0, 'HELO example.com\r\n', false],
    [0, '*2\r\n:1\r\n', false],
    [0, '\x00\x01\x02\x03', false],
    [1, '+OK\r\n', false],
  ] as const)('dir %d %j → %s', (dir, text, want) => {
    expect(detect(dir, b(text))).toBe(want);
  });
});
