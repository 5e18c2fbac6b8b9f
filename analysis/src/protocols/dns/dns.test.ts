// Unit tests of the DNS parser: every fixture over UDP and TCP, framing, detection, stitching and malformed input.
import { describe, expect, test } from 'vitest';
import type { L7Message } from '../types.js';
import { parser } from './index.js';
import { MAX_RESULT } from './message.js';
import { ctx, fx, tcpTwoQueries, withPrefix } from './test-support/fixtures.js';
import { decodeName } from './wire.js';

function parseOne(bytes: Buffer, transport: 'udp' | 'tcp' = 'udp'): L7Message {
  const r = parser.parse(0, bytes, parser.newState(), ctx(transport));
  expect(r.status).toBe('ok');
  expect(r.consumed).toBe(bytes.length);
  return r.message as L7Message;
}

type Expect = Partial<Pick<L7Message, 'type' | 'requestType' | 'requestDomain' | 'requestId' | 'responseCode' | 'responseStatus' | 'responseException' | 'responseResult'>>;

// Expectations follow the tshark decode noted above each fixture in test-support/fixtures.ts.
const cases: [keyof typeof fx, Expect][] = [
  ['queryA', { type: 'request', requestType: 'A', requestDomain: 'www.example.com', requestId: 0x1234 }],
  ['responseA', { type: 'response', requestType: 'A', requestDomain: 'www.example.com', requestId: 0x1234, responseCode: 0, responseStatus: 'ok',
    responseResult: 'CNAME e.example.net;A 93.184.216.34;A 93.184.216.35' }],
  ['queryAAAA', { type: 'request', requestType: 'AAAA', requestDomain: 'ipv6.example.org', requestId: 0xbeef }],
  ['responseAAAA', { type: 'response', requestType: 'AAAA', responseCode: 0, responseStatus: 'ok', responseResult: 'AAAA 2001:db8::1' }],
  ['responseNx', { type: 'response', requestDomain: 'nope.example.com', responseCode: 3, responseStatus: 'client_error', responseException: 'NXDomain', responseResult: undefined }],
  ['queryMX', { type: 'request', requestType: 'MX', requestDomain: 'example.com', requestId: 7 }],
  ['responseMX', { type: 'response', requestType: 'MX', responseStatus: 'ok', responseResult: 'MX 10 mx1.example.com;MX 20 mx2.example.com' }],
  ['querySRV', { type: 'request', requestType: 'SRV', requestDomain: '_sip._tcp.example.com' }],
  ['responseSRV', { type: 'response', responseResult: 'SRV 1 5 5060 sip.example.com', responseStatus: 'ok' }],
  ['responseTXT', { type: 'response', requestType: 'TXT', responseResult: 'TXT v=spf1 -all abc' }],
  ['queryHTTPS', { type: 'request', requestType: 'HTTPS', requestDomain: 'example.com', requestId: 10 }],
  ['responseServfail', { type: 'response', requestType: 'HTTPS', responseCode: 2, responseStatus: 'server_error', responseException: 'ServFail' }],
  ['responseRefused', { type: 'response', requestType: 'ANY', responseCode: 5, responseStatus: 'server_error', responseException: 'Refused' }],
  ['queryPtr', { type: 'request', requestType: 'PTR', requestDomain: '4.3.2.1.in-addr.arpa' }],
  ['responsePtr', { type: 'response', requestType: 'PTR', responseResult: 'PTR host.example.com' }],
  ['queryType999', { type: 'request', requestType: '999', requestDomain: 'odd.example', requestId: 13 }],
  ['mdnsResponse', { type: 'response', requestType: undefined, requestDomain: undefined, requestId: 0, responseStatus: 'ok', responseResult: 'A 192.168.1.9' }],
];

describe('DNS parse', () => {
  test.each(cases)('%s over UDP', (name, want) => {
    const m = parseOne(fx[name]);
    expect(m).toMatchObject(Object.fromEntries(Object.entries(want).filter(([, v]) => v !== undefined)));
    for (const [k, v] of Object.entries(want)) if (v === undefined) expect(m[k as keyof L7Message]).toBeUndefined();
    expect(m.length).toBe(fx[name].length);
    expect(m.tsUs).toBe(1_000);
    expect(m.tcpSeq).toBe(0);
    if (m.requestDomain !== undefined) {
      expect(m.requestResource).toBe(m.requestDomain);
      expect(m.endpoint).toBe(m.requestDomain);
    }
  });

  test.each(cases)('%s over TCP gives the same message', (name) => {
    const udp = parseOne(fx[name]);
    const tcp = parseOne(withPrefix(fx[name]), 'tcp');
    expect(tcp).toEqual({ ...udp, length: udp.length + 2, tcpSeq: 5000 });
  });

  test('two length-prefixed queries in one TCP segment (tshark: ids 0x1234,0xbeef)', () => {
    const state = parser.newState();
    const a = parser.parse(0, tcpTwoQueries, state, ctx('tcp'));
    expect(a).toMatchObject({ status: 'ok', consumed: 35, message: { requestId: 0x1234, requestType: 'A' } });
    const b = parser.parse(0, tcpTwoQueries.subarray(35), state, ctx('tcp'));
    expect(b).toMatchObject({ status: 'ok', consumed: 47, message: { requestId: 0xbeef, requestType: 'AAAA', requestDomain: 'ipv6.example.org' } });
  });

  test.each(['responseA', 'responseNx', 'queryAAAA'] as const)('%s split at every byte boundary over TCP', (name) => {
    const whole = withPrefix(fx[name]);
    const full = parseOne(whole, 'tcp');
    const state = parser.newState();
    for (let cut = 0; cut < whole.length; cut++) {
      expect(parser.parse(0, whole.subarray(0, cut), state, ctx('tcp'))).toEqual({ status: 'needs-more', consumed: 0 });
    }
    expect(parser.parse(0, whole, state, ctx('tcp')).message).toEqual(full);
  });

  test('responseResult is cut at MAX_RESULT characters', () => {
    const head = Buffer.from('0001818000010028000000000001000001000001', 'hex').subarray(0, 12);
    head.writeUInt16BE(1, 4);
    head.writeUInt16BE(40, 6);
    const q = Buffer.from('01610000010001', 'hex'); // a. A IN
    const rr = Buffer.from('c00c00010001000000010004ffffffff', 'hex'); // A 255.255.255.255
    const m = parseOne(Buffer.concat([head, q, ...Array<Buffer>(40).fill(rr)]));
    expect(m.responseResult?.length).toBe(MAX_RESULT);
    expect(m.responseResult?.endsWith('...')).toBe(true);
    expect(m.attributes?.answers).toBe(40);
  });
});

describe('DNS names', () => {
  test.each([
    ['plain', '03777777076578616d706c6500', 'www.example'],
    ['root', '00', '.'],
    ['UTF-8 label, as tshark shows it', '0ce5b08fe4bd9be5b088e6a99f00', '小佛專機'],
    ['dot and binary bytes escaped', '03612e6202000102636f00', 'a\\.b.\\000\\001.co'],
  ])('%s', (_what, wire, want) => {
    expect(decodeName(Buffer.from(wire, 'hex'), 0)?.name).toBe(want);
  });

  test.each([
    ['pointer to itself', 'c000'],
    ['forward pointer', 'c00200'],
    ['reserved label type 0x40', '4100'],
    ['label past the end', '05616200'],
    ['missing terminator', '0161'],
    ['longer than 255 bytes', '3f' + '61'.repeat(63) + '3f' + '61'.repeat(63) + '3f' + '61'.repeat(63) + '3f' + '61'.repeat(63) + '00'],
  ])('%s is refused', (_what, wire) => {
    expect(decodeName(Buffer.from(wire, 'hex'), 0)).toBeNull();
  });
});

describe('DNS malformed input', () => {
  test.each([
    ['empty datagram', Buffer.alloc(0), 'udp', 0],
    ['short datagram', Buffer.from('1234010000', 'hex'), 'udp', 5],
    ['query with a looping question name', Buffer.from('123401000001000000000000c00c00010001', 'hex'), 'udp', 18],
    ['TCP length below a header', Buffer.from('0004deadbeefffff', 'hex'), 'tcp', 6],
    ['TCP zero length', Buffer.from('0000', 'hex'), 'tcp', 2],
  ] as const)('%s is invalid', (_what, bytes, transport, consumed) => {
    const r = parser.parse(0, bytes, parser.newState(), ctx(transport));
    expect(r.status).toBe('invalid');
    expect(r.consumed).toBe(consumed);
    expect(r.error).toBeTruthy();
  });

  test('a response cut inside its answers keeps header, question and the answers before the cut', () => {
    const cut = fx.responseA.subarray(0, fx.responseA.length - 3);
    const m = parseOne(cut);
    expect(m).toMatchObject({ requestId: 0x1234, responseCode: 0, responseResult: 'CNAME e.example.net;A 93.184.216.34' });
    expect(m.attributes?.malformed).toBe('answer data past the end');
  });

  test('a response whose question is unreadable still reports id and rcode', () => {
    const bad = Buffer.from(fx.responseServfail);
    bad[12] = 0xc0; // pointer at itself
    bad[13] = 0x0c;
    const m = parseOne(bad);
    expect(m).toMatchObject({ type: 'response', requestId: 10, responseCode: 2, attributes: { malformed: 'bad question' } });
    expect(m.requestDomain).toBeUndefined();
  });
});

describe('DNS detect', () => {
  test.each([
    ['UDP query on another port', fx.queryA, 'udp', true],
    ['UDP query with EDNS', fx.queryAAAA, 'udp', true],
    ['UDP response', fx.responseA, 'udp', true],
    ['TCP query with prefix', withPrefix(fx.queryMX), 'tcp', true],
    ['TCP first segment cut inside the question (unsure: false)', withPrefix(fx.querySRV).subarray(0, 30), 'tcp', false],
    ['UDP query with trailing bytes', Buffer.concat([fx.queryA, Buffer.alloc(4)]), 'udp', false],
    ['TCP query without prefix', fx.queryA, 'tcp', false],
    ['HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'tcp', false],
    ['NetBIOS name query (type NB)', Buffer.from('a4150110000100000000000020434b4141414141414141414141414141414141414141414141414141414141410000200001', 'hex'), 'udp', false],
    ['root-only query', Buffer.from('000101000001000000000000000002000100', 'hex').subarray(0, 17), 'udp', false],
    ['mDNS response without question', fx.mdnsResponse, 'udp', false],
    ['short', Buffer.from('0102', 'hex'), 'udp', false],
    ['empty', Buffer.alloc(0), 'tcp', false],
  ] as const)('%s → %s', (_what, bytes, transport, want) => {
    expect(parser.detect(0, bytes, ctx(transport, 0, 9999))).toBe(want);
  });
});

function msg(type: 'request' | 'response', id: number, tsUs: number, status?: L7Message['responseStatus']): L7Message {
  return { type, tsUs, endTsUs: tsUs, tcpSeq: 0, length: 30, requestId: id, responseStatus: status };
}

describe('DNS stitch', () => {
  test('pairs by id whatever the order of the responses', () => {
    const state = parser.newState();
    const reqs = [msg('request', 1, 1), msg('request', 2, 2)];
    const resps = [msg('response', 2, 3, 'ok'), msg('response', 1, 4, 'client_error')];
    const r = parser.stitch(reqs, resps, state, false);
    expect(r.records.map((x) => [x.request?.requestId, x.response?.requestId, x.status])).toEqual([[2, 2, 'ok'], [1, 1, 'client_error']]);
    expect(reqs).toEqual([]);
    expect(resps).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  test('a second response to an answered id is a lone record, reported at once (dns-two-responses.pcap)', () => {
    const state = parser.newState();
    const reqs = [msg('request', 7, 1)];
    const resps = [msg('response', 7, 2, 'ok'), msg('response', 7, 3, 'ok')];
    const r = parser.stitch(reqs, resps, state, false);
    expect(r.records.map((x) => [x.request?.requestId, x.response?.tsUs, x.status])).toEqual([[7, 2, 'ok'], [undefined, 3, 'ok']]);
    expect(r.errors).toEqual(['duplicate response (id 7)']);
    expect(resps).toEqual([]);
  });

  test('a reused id with a new query pairs normally', () => {
    const state = parser.newState();
    parser.stitch([msg('request', 5, 1)], [msg('response', 5, 2, 'ok')], state, false);
    const r = parser.stitch([msg('request', 5, 10)], [msg('response', 5, 11, 'ok')], state, false);
    expect(r.records.map((x) => [x.request?.tsUs, x.response?.tsUs, x.status])).toEqual([[10, 11, 'ok']]);
    expect(r.errors).toEqual([]);
    expect(state.answeredIds).toEqual([5]);
  });

  test('unanswered queries wait, then time out at the end; lone responses keep their status', () => {
    const state = parser.newState();
    const reqs = [msg('request', 1, 1)];
    const resps = [msg('response', 9, 2, 'server_error')];
    expect(parser.stitch(reqs, resps, state, false).records).toEqual([]);
    const r = parser.stitch(reqs, resps, state, true);
    expect(r.records.map((x) => [x.request?.requestId, x.response?.requestId, x.status])).toEqual([[undefined, 9, 'server_error'], [1, undefined, 'timeout']]);
    expect(r.errors).toEqual(['response without request (id 9)']);
  });

  test('the answered-id memory is bounded', () => {
    const state = parser.newState();
    for (let id = 0; id < 500; id++) parser.stitch([msg('request', id, id)], [msg('response', id, id + 0.5, 'ok')], state, false);
    expect(state.answeredIds.length).toBe(64);
  });
});
