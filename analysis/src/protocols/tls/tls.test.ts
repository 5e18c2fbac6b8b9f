// TLS parser unit tests: fixtures (see test-support/fixtures.ts for what tshark decodes), sessions, splits, errors.
import { describe, expect, test } from 'vitest';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { MAX_HANDSHAKE, newState } from './parse.js';
import {
  ALERT_HS_FAILURE, CH12, CH13, HRR, SESSION_12, SESSION_13, SESSION_ALERT, SESSION_HRR, SESSION_UNKNOWN_CA, SH12, SH13,
  appData, ccs, clientHello, hs, record,
} from './test-support/fixtures.js';
import { drive } from './test-support/drive.js';
import { hex } from '../../decode/test-support/frames.js';

const ctx: ParseContext = { tsUs: 5, tcpSeq: 77, transport: 'tcp', serverPort: 443 };

describe('single messages', () => {
  test.each([
    ['CH12', 0, CH12, { type: 'request', requestType: 'ClientHello', version: '1.2', requestDomain: 'example.com', endpoint: 'example.com', attributes: { cipher_suites: 3, extensions: 2, alpn: 'h2,http/1.1', sni: 'example.com' } }],
    ['CH13 (GREASE skipped, supported_versions wins)', 0, CH13, { requestType: 'ClientHello', version: '1.3', requestDomain: 'a.test', attributes: { cipher_suites: 3, extensions: 2, sni: 'a.test' } }],
    ['SH12 (+Certificate in the same record)', 1, SH12, { type: 'response', requestType: 'ServerHello', version: '1.2', responseStatus: 'ok', attributes: { cipher: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', cipher_id: '0xc02f', alpn: 'h2' } }],
    ['SH13', 1, SH13, { requestType: 'ServerHello', version: '1.3', attributes: { cipher: 'TLS_AES_128_GCM_SHA256', cipher_id: '0x1301' } }],
    ['HRR', 1, HRR, { requestType: 'HelloRetryRequest', version: '1.3', attributes: { cipher: 'TLS_AES_256_GCM_SHA384', cipher_id: '0x1302' } }],
    // tshark: SSLv2 Record Layer: Client Hello, Version TLS 1.0 (0x0301), Cipher Specs (1 specs): TLS_RSA_WITH_RC4_128_SHA.
    ['SSLv2-compatible ClientHello', 0, hex('801c 01 0301 0003 0000 0010 000005 1111111111111111 1111111111111111'), { requestType: 'ClientHello', version: '1.0', attributes: { cipher_suites: 1, sslv2_record: 1 } }],
  ] as const)('%s', (_n, dir, bytes, want) => {
    const r = parser.parse(dir, bytes, newState(), ctx);
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(bytes.length);
    expect(r.message).toMatchObject({ tsUs: 5, endTsUs: 5, tcpSeq: 77, ...want });
  });

  test('a fatal alert with no ServerHello answers the ClientHello', () => {
    const st = newState();
    parser.parse(0, CH12, st, ctx);
    const r = parser.parse(1, ALERT_HS_FAILURE, st, ctx);
    expect(r.message).toMatchObject({ type: 'response', requestType: 'Alert', responseStatus: 'server_error', responseException: 'handshake_failure', responseCode: 40 });
  });

  test.each([
    ['ChangeCipherSpec', ccs()],
    ['application data', appData(50)],
  ])('%s is ignored', (_n, b) => {
    expect(parser.parse(0, b, newState(), ctx)).toEqual({ status: 'ignored', consumed: b.length });
  });
});

describe('sessions', () => {
  const pairs = (recs: ReturnType<typeof drive>['records']): string[] => recs.map((r) => `${r.request?.requestType ?? '-'}/${r.response?.requestType ?? '-'}:${r.status}`);
  test.each([
    ['TLS 1.2', SESSION_12, ['ClientHello/ServerHello:ok']],
    ['TLS 1.3', SESSION_13, ['ClientHello/ServerHello:ok']],
    ['HelloRetryRequest: second ClientHello pairs with the final ServerHello', SESSION_HRR, ['ClientHello/HelloRetryRequest:ok', 'ClientHello/ServerHello:ok']],
    ['server alert instead of ServerHello', SESSION_ALERT, ['ClientHello/Alert:server_error']],
    ['client rejects the server certificate (unknown_ca)', SESSION_UNKNOWN_CA, ['ClientHello/ServerHello:client_error']],
    ['lone ClientHello at final', SESSION_12.slice(0, 1), ['ClientHello/-:timeout']],
  ] as const)('%s', (_n, steps, want) => {
    const d = drive([...steps]);
    expect(pairs(d.records)).toEqual(want);
    expect(d.invalid).toEqual([]);
  });

  test('pairs are released once the client settles (not only at final), with handshake_us', () => {
    const d = drive(SESSION_12, false);
    expect(d.records).toHaveLength(1);
    // ClientHello at step 1 (1000 µs), client ChangeCipherSpec at step 3 (3000 µs).
    expect(d.records[0].request?.attributes?.handshake_us).toBe(2000);
    expect(d.records[0].response?.attributes?.handshake_us).toBe(2000);
  });

  test('unknown_ca detail', () => {
    const r = drive(SESSION_UNKNOWN_CA).records[0].response as L7Message;
    expect(r).toMatchObject({ responseException: 'unknown_ca', responseCode: 48, attributes: { alerts_client: 1 } });
  });

  test('several records in one buffer, one session in one segment per direction', () => {
    const c = Buffer.concat(SESSION_12.filter((s) => s.dir === 0).map((s) => s.bytes));
    const s = Buffer.concat(SESSION_12.filter((x) => x.dir === 1).map((x) => x.bytes));
    expect(drive([{ dir: 0, bytes: c }, { dir: 1, bytes: s }]).records.map((r) => r.status)).toEqual(['ok']);
  });

  test('a ClientHello spread over two records (handshake fragmentation)', () => {
    const m = clientHello({ ciphers: [0x1301], sni: 'frag.test' });
    const d = drive([{ dir: 0, bytes: record(22, m.subarray(0, 20)) }, { dir: 0, bytes: record(22, m.subarray(20)) }]);
    expect(d.records[0].request).toMatchObject({ requestDomain: 'frag.test', tsUs: 1000 });
  });
});

describe('split at every byte boundary', () => {
  test.each([['CH12', 0, CH12], ['SH12', 1, SH12], ['HRR', 1, HRR]] as const)('%s', (_n, dir, bytes) => {
    const whole = parser.parse(dir, bytes, newState(), ctx);
    for (let i = 0; i < bytes.length; i++) {
      expect(parser.parse(dir, bytes.subarray(0, i), newState(), ctx)).toEqual({ status: 'needs-more', consumed: 0 });
    }
    expect(parser.parse(dir, bytes, newState(), ctx)).toEqual(whole);
  });
  test('application data is skipped as it arrives, without waiting for the record', () => {
    const st = newState();
    const b = appData(1000);
    expect(parser.parse(1, b.subarray(0, 100), st, ctx)).toEqual({ status: 'ignored', consumed: 100 });
    expect(st.skip[1]).toBe(905);
    expect(parser.parse(1, b.subarray(100), st, ctx)).toEqual({ status: 'ignored', consumed: 905 });
    expect(st.skip[1]).toBe(0);
  });
});

describe('malformed', () => {
  test.each([
    ['not a record', 0, hex('474554202f20485454502f312e310d0a'), 'not a TLS record header'],
    ['record too long', 1, hex('1603035000') , 'not a TLS record header'],
    ['truncated ClientHello body', 0, record(22, hs(1, Buffer.alloc(10))), 'truncated ClientHello'],
    ['ServerHello extensions overrun', 1, record(22, hs(2, Buffer.concat([Buffer.alloc(35), hex('c02f00 00ff')]))), 'truncated extensions'],
  ] as const)('%s', (_n, dir, bytes, error) => {
    const r = parser.parse(dir, bytes, newState(), ctx);
    expect(r).toMatchObject({ status: 'invalid', error });
    expect(r.consumed).toBeGreaterThanOrEqual(1);
  });

  test('an oversized handshake message is dropped as it streams, never buffered', () => {
    const st = newState();
    const head = Buffer.concat([hex('0b'), Buffer.from([0x02, 0x00, 0x00]), Buffer.alloc(16000)]); // 128 KiB Certificate
    expect(parser.parse(1, record(22, head), st, ctx).status).toBe('ignored');
    expect(st.hs[1]).toBeNull();
    expect(st.hsDrop[1]).toBe(0x20000 - 16000);
    expect(0x20000).toBeGreaterThan(MAX_HANDSHAKE);
  });
});

describe('detect', () => {
  test.each([
    ['ClientHello', 0, CH12, true],
    ['ServerHello from the server', 1, SH12, false],
    ['ClientHello bytes sent by the server', 1, CH12, false],
    ['HTTP', 0, hex('474554202f20'), false],
    ['short', 0, hex('1603'), false],
  ] as const)('%s', (_n, dir, bytes, want) => {
    expect(parser.detect(dir, bytes, ctx)).toBe(want);
  });
});
