// MQTT parser tests: every packet type per version, framing (pipelining, splits, large PUBLISH), stitching, bad input.
import { describe, expect, test } from 'vitest';
import type { FlowDirection } from '../../flows/types.js';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import type { MqttState } from './parse.js';
import { hex } from './test-support/frames.js';
import { type Fixture, V31, V311, V5, V5_REFUSED } from './test-support/fixtures.js';

const ctx = (tsUs = 1): ParseContext => ({ tsUs, tcpSeq: 7, transport: 'tcp', serverPort: 1883 });

/** Parses a session in order with one state; each fixture must be exactly one message. */
function runSession(fx: Fixture[]): { msgs: L7Message[]; state: MqttState } {
  const state = parser.newState();
  const msgs = fx.map((x, i) => {
    const r = parser.parse(x.dir, x.bytes, state, ctx(i + 1));
    expect(r.status, x.name).toBe('ok');
    expect(r.consumed, x.name).toBe(x.bytes.length);
    return r.message as L7Message;
  });
  return { msgs, state };
}

type Row = [string, string, 'request' | 'response', string | undefined, number | undefined, number | undefined, string | undefined];

describe('MQTT 3.1.1 packets', () => {
  const { msgs } = runSession(V311);
  // name, requestType, type, requestResource, requestId, responseCode, responseStatus
  const rows: Row[] = [
    ['CONNECT', 'CONNECT', 'request', undefined, undefined, undefined, undefined],
    ['CONNACK', 'CONNACK', 'response', undefined, undefined, 0, 'ok'],
    ['PUBLISH qos0', 'PUBLISH', 'request', 'a/b', undefined, undefined, 'ok'],
    ['PUBLISH qos1', 'PUBLISH', 'request', 'a/b', 10, undefined, undefined],
    ['PUBACK', 'PUBACK', 'response', undefined, 10, undefined, 'ok'],
    ['PUBLISH qos2', 'PUBLISH', 'request', 'a/b', 11, undefined, undefined],
    ['PUBREC', 'PUBREC', 'response', undefined, 11, undefined, 'ok'],
    ['PUBREL', 'PUBREL', 'request', undefined, 11, undefined, undefined],
    ['PUBCOMP', 'PUBCOMP', 'response', undefined, 11, undefined, 'ok'],
    ['SUBSCRIBE', 'SUBSCRIBE', 'request', 'a/#,b', 1, undefined, undefined],
    ['SUBACK', 'SUBACK', 'response', undefined, 1, 0x80, 'client_error'],
    ['PUBLISH server qos1', 'PUBLISH', 'request', 'a/c', 7, undefined, undefined],
    ['PUBACK client', 'PUBACK', 'response', undefined, 7, undefined, 'ok'],
    ['UNSUBSCRIBE', 'UNSUBSCRIBE', 'request', 'a/#', 2, undefined, undefined],
    ['UNSUBACK', 'UNSUBACK', 'response', undefined, 2, undefined, 'ok'],
    ['PINGREQ', 'PINGREQ', 'request', undefined, undefined, undefined, undefined],
    ['PINGRESP', 'PINGRESP', 'response', undefined, undefined, undefined, 'ok'],
    ['DISCONNECT', 'DISCONNECT', 'request', undefined, undefined, undefined, 'ok'],
  ];
  test.each(rows.map((r, i) => [i, ...r] as const))('#%i %s', (i, _name, requestType, type, resource, id, code, status) => {
    const m = msgs[i];
    expect(m.requestType).toBe(requestType);
    expect(m.type).toBe(type);
    expect(m.requestResource).toBe(resource);
    expect(m.requestId).toBe(id);
    expect(m.responseCode).toBe(code);
    expect(m.responseStatus).toBe(status);
    expect(m.version).toBe('3.1.1');
    expect(m.requestDomain).toBe('cid1');
    expect(m.length).toBe(V311[i].bytes.length);
    expect(m.tsUs).toBe(i + 1);
    expect(m.tcpSeq).toBe(7);
  });
  test('attributes', () => {
    expect(msgs[0].attributes).toMatchObject({ client_id: 'cid1', keep_alive: 60, clean_session: 1, sender: 'client' });
    expect(msgs[3].attributes).toMatchObject({ qos: 1, retain: 0, dup: 0 });
    expect(msgs[3].endpoint).toBe('a/b');
    expect(msgs[9].attributes).toMatchObject({ filters: 2, qos: '1,0' });
    expect(msgs[10].attributes).toMatchObject({ return_codes: '1,128' });
    expect(msgs[11].attributes?.sender).toBe('server');
  });
});

describe('MQTT 3.1 and 5 packets', () => {
  test('3.1 CONNECT / refused CONNACK', () => {
    const { msgs, state } = runSession(V31);
    expect(state.level).toBe(3);
    expect(msgs[0]).toMatchObject({ requestType: 'CONNECT', version: '3.1', attributes: { client_id: 'cid1' } });
    expect(msgs[1]).toMatchObject({ responseCode: 4, responseStatus: 'client_error', responseException: 'bad user name or password' });
  });
  // type, responseCode, responseStatus, extra
  const rows: [number, string, number | undefined, string | undefined, Partial<L7Message>][] = [
    [0, 'CONNECT', undefined, undefined, { version: '5', attributes: { client_id: 'cid5', username: 'user', keep_alive: 60, clean_session: 1, sender: 'client' } }],
    [1, 'AUTH', 0x18, 'ok', { type: 'request' }],
    [2, 'CONNACK', 0, 'ok', { type: 'response' }],
    [3, 'PUBLISH', undefined, undefined, { requestId: 12, requestResource: 'a/b' }],
    [4, 'PUBACK', 0x10, 'ok', { requestId: 12 }],
    [5, 'SUBSCRIBE', undefined, undefined, { requestId: 2, requestResource: 'a/' }],
    [6, 'SUBACK', 0x87, 'client_error', { requestId: 2 }],
    [7, 'DISCONNECT', 0x8e, 'client_error', { type: 'request' }],
  ];
  const v5 = runSession(V5).msgs;
  test.each(rows)('v5 #%i %s', (i, type, code, status, extra) => {
    expect(v5[i]).toMatchObject({ requestType: type, version: '5', requestDomain: 'cid5', ...extra });
    expect(v5[i].responseCode).toBe(code);
    expect(v5[i].responseStatus).toBe(status);
  });
  test('v5 CONNACK reason string', () => {
    const { msgs } = runSession(V5_REFUSED);
    expect(msgs[1]).toMatchObject({ responseCode: 0x87, responseStatus: 'client_error', responseException: 'bad' });
  });
});

describe('CONNACK return code mapping', () => {
  test.each([
    [0, 'ok'], [1, 'client_error'], [2, 'client_error'], [3, 'server_error'], [4, 'client_error'], [5, 'client_error'], [9, 'unknown'],
  ])('3.1.1 code %i → %s', (code, status) => {
    const st = parser.newState();
    parser.parse(0, V311[0].bytes, st, ctx());
    const r = parser.parse(1, Buffer.from([0x20, 2, 0, code]), st, ctx());
    expect(r.message?.responseStatus).toBe(status);
  });
  test.each([
    [0x00, 'ok'], [0x80, 'server_error'], [0x84, 'client_error'], [0x86, 'client_error'], [0x87, 'client_error'], [0x88, 'server_error'], [0x89, 'server_error'], [0x8a, 'client_error'],
  ])('5 code %i → %s', (code, status) => {
    const st = parser.newState();
    parser.parse(0, V5[0].bytes, st, ctx());
    const r = parser.parse(1, Buffer.from([0x20, 3, 0, code, 0]), st, ctx());
    expect(r.message?.responseStatus).toBe(status);
  });
});

describe('framing', () => {
  test('several messages in one buffer (pipelining)', () => {
    const st = parser.newState();
    const client = V311.filter((x) => x.dir === 0);
    const buf = Buffer.concat(client.map((x) => x.bytes));
    const types: string[] = [];
    let off = 0;
    for (let n = 0; n < 100 && off < buf.length; n++) {
      const r = parser.parse(0, buf.subarray(off), st, ctx());
      expect(r.status).toBe('ok');
      types.push(r.message?.requestType ?? '');
      off += r.consumed;
    }
    expect(types).toEqual(client.map((x) => x.name.split(' ')[0]));
  });

  const all = [...V311, ...V31, ...V5].map((x) => [x.name, x] as const);
  test.each(all)('split at every byte: %s', (_n, x) => {
    const st = parser.newState();
    if (x.name !== 'CONNECT') parser.parse(0, (x.bytes[0] === 0xf0 || V5.includes(x) ? V5 : V311)[0].bytes, st, ctx());
    const before = JSON.stringify(st);
    for (let i = 0; i < x.bytes.length; i++) {
      expect(parser.parse(x.dir, x.bytes.subarray(0, i), st, ctx())).toEqual({ status: 'needs-more', consumed: 0 });
    }
    expect(JSON.stringify(st)).toBe(before);
    const full = parser.parse(x.dir, x.bytes, st, ctx());
    const fresh = parser.newState();
    Object.assign(fresh, JSON.parse(before));
    expect(full).toEqual(parser.parse(x.dir, x.bytes, fresh, ctx()));
    expect(full.status).toBe('ok');
  });

  test('large PUBLISH: reported from its header, body skipped on later calls', () => {
    const st = parser.newState();
    const body = Buffer.alloc(200_000, 0x41);
    // remaining length 2+3+200000 = 200005 → varint c5 9a 0c
    const head = Buffer.concat([hex('30 c5 9a 0c 00 03 61 2f 62'), body.subarray(0, 1000)]);
    const r = parser.parse(0, head, st, ctx());
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(head.length);
    expect(r.message).toMatchObject({ requestType: 'PUBLISH', requestResource: 'a/b', length: 200_009 });
    expect(parser.parse(0, body.subarray(0, 150_000), st, ctx())).toEqual({ status: 'ignored', consumed: 150_000 });
    const tail = Buffer.concat([body.subarray(0, 49_000), hex('c0 00')]);
    expect(parser.parse(0, tail, st, ctx())).toEqual({ status: 'ignored', consumed: 49_000 });
    expect(parser.parse(0, hex('c0 00'), st, ctx()).message?.requestType).toBe('PINGREQ');
  });

  test('large SUBSCRIBE waits at most 64 KiB then reports the prefix', () => {
    const st = parser.newState();
    const filter = Buffer.alloc(60_000, 0x62);
    const one = Buffer.concat([Buffer.from([0xea, 0x60]), filter, Buffer.from([0])]);
    const pkt = Buffer.concat([hex('82 ab fe 0a 00 05'), one, one, one]);
    expect(parser.parse(0, pkt.subarray(0, 60_000), st, ctx()).status).toBe('needs-more');
    const r = parser.parse(0, pkt.subarray(0, 70_000), st, ctx());
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(70_000);
    expect(r.message?.requestId).toBe(5);
    expect(st.skip[0]).toBe(pkt.length - 70_000);
  });
});

describe('malformed input', () => {
  test.each([
    ['reserved type 0', '00 00'],
    ['remaining length of 5 bytes', '30 ff ff ff ff 01'],
    ['SUBSCRIBE with flags 0', '80 06 00 01 00 01 61 00'],
    ['PUBLISH QoS 3', '36 07 00 03 61 2f 62 68 69'],
    ['CONNECT of another protocol', '10 0c 00 04 41 42 43 44 04 02 00 3c 00 00'],
    ['CONNECT truncated inside', '10 06 00 04 4d 51 54 54'],
    ['SUBSCRIBE without filters', '82 02 00 01'],
    ['PUBLISH topic past the end', '30 03 00 09 61'],
  ])('%s → invalid', (_n, h) => {
    const b = hex(h);
    const r = parser.parse(0, b, parser.newState(), ctx());
    expect(r.status).toBe('invalid');
    expect(r.consumed).toBeGreaterThanOrEqual(1);
    expect(r.consumed).toBeLessThanOrEqual(b.length);
    expect(r.error).toBeTruthy();
  });
  test('AUTH after a 3.1.1 CONNECT is invalid', () => {
    const st = parser.newState();
    parser.parse(0, V311[0].bytes, st, ctx());
    expect(parser.parse(1, hex('f0 00'), st, ctx()).status).toBe('invalid');
  });
  test('packets without a CONNECT are read as 3.1.1 without version', () => {
    const r = parser.parse(0, V311[3].bytes, parser.newState(), ctx());
    expect(r.message).toMatchObject({ requestType: 'PUBLISH', requestId: 10, version: undefined });
  });
});

describe('detect', () => {
  test.each([
    ['3.1.1 CONNECT', 0, V311[0].bytes, true],
    ['3.1 CONNECT', 0, V31[0].bytes, true],
    ['5 CONNECT', 0, V5[0].bytes, true],
    ['CONNECT prefix', 0, V311[0].bytes.subarray(0, 9), true],
    ['CONNECT cut before level', 0, V311[0].bytes.subarray(0, 8), false],
    ['CONNECT from the server side', 1, V311[0].bytes, false],
    ['MQTT level 3', 0, hex('10 10 00 04 4d 51 54 54 03 02 00 3c 00 04 63 69 64 31'), false],
    ['PUBLISH', 0, V311[2].bytes, false],
    ['HTTP', 0, Buffer.from('GET / HTTP/1.1\r\n\r\n'), false],
    ['empty', 0, Buffer.alloc(0), false],
  ] as [string, FlowDirection, Buffer, boolean][])('%s → %s', (_n, dir, b, want) => {
    expect(parser.detect(dir, b, ctx())).toBe(want);
  });
});

describe('stitch', () => {
  function split(msgs: L7Message[]): [L7Message[], L7Message[]] {
    return [msgs.filter((m) => m.type === 'request'), msgs.filter((m) => m.type === 'response')];
  }
  test('3.1.1 session pairs by type and packet id', () => {
    const [req, res] = split(runSession(V311).msgs);
    const { records, errors } = parser.stitch(req, res, parser.newState(), true);
    expect(errors).toEqual([]);
    const summary = records.map((r) => `${r.request?.requestType ?? '-'}/${r.response?.requestType ?? '-'}:${r.status}`).sort();
    expect(summary).toEqual([
      'CONNECT/CONNACK:ok', 'DISCONNECT/-:ok', 'PINGREQ/PINGRESP:ok', 'PUBLISH/-:ok', 'PUBLISH/PUBACK:ok', 'PUBLISH/PUBACK:ok',
      'PUBLISH/PUBREC:ok', 'PUBREL/PUBCOMP:ok', 'SUBSCRIBE/SUBACK:client_error', 'UNSUBSCRIBE/UNSUBACK:ok',
    ]);
    const srv = records.find((r) => r.request?.requestId === 7);
    expect(srv?.request?.attributes?.sender).toBe('server');
    expect(srv?.response?.attributes?.sender).toBe('client');
  });
  test('v5 session: AUTH and DISCONNECT are lone records with their own status', () => {
    const [req, res] = split(runSession(V5).msgs);
    const { records } = parser.stitch(req, res, parser.newState(), true);
    expect(records.map((r) => `${r.request?.requestType ?? '-'}/${r.response?.requestType ?? '-'}:${r.status}`).sort()).toEqual([
      'AUTH/-:ok', 'CONNECT/CONNACK:ok', 'DISCONNECT/-:client_error', 'PUBLISH/PUBACK:ok', 'SUBSCRIBE/SUBACK:client_error',
    ]);
  });
  test('an ack from the same side or with another id does not match; lone requests time out at final', () => {
    const st = parser.newState();
    const pub = parser.parse(0, V311[3].bytes, st, ctx(1)).message as L7Message; // PUBLISH id 10 from client
    const sameSide = parser.parse(0, hex('40 02 00 0a'), st, ctx(2)).message as L7Message;
    const otherId = parser.parse(1, hex('40 02 00 0b'), st, ctx(3)).message as L7Message;
    const req = [pub];
    const res = [sameSide, otherId];
    const mid = parser.stitch(req, res, st, false);
    expect(mid.records).toEqual([]);
    expect(req.length).toBe(1);
    expect(res.length).toBe(2);
    const end = parser.stitch(req, res, st, true);
    expect(end.records.map((r) => r.status).sort()).toEqual(['ok', 'ok', 'timeout']);
    expect(end.errors.length).toBe(2);
    expect(req.length + res.length).toBe(0);
  });
  test('QoS 0 PUBLISH is emitted at once, before final', () => {
    const st = parser.newState();
    const pub = parser.parse(0, V311[2].bytes, st, ctx(1)).message as L7Message;
    const { records } = parser.stitch([pub], [], st, false);
    expect(records).toEqual([{ request: pub, status: 'ok' }]);
  });
  test('PUBACK does not answer a QoS 2 PUBLISH', () => {
    const st = parser.newState();
    const pub = parser.parse(0, V311[5].bytes, st, ctx(1)).message as L7Message; // QoS 2, id 11
    const ack = parser.parse(1, hex('40 02 00 0b'), st, ctx(2)).message as L7Message;
    expect(parser.stitch([pub], [ack], st, true).records.length).toBe(2);
  });
});
