// Test support: TLS record builders and byte fixtures (ClientHello, ServerHello, HRR, alerts) plus whole sessions.
import type { FlowDirection } from '../../../flows/types.js';

const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n: number): Buffer => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);

export function record(type: number, body: Buffer, version = 0x0303): Buffer {
  return Buffer.concat([Buffer.from([type]), u16(version), u16(body.length), body]);
}
export function hs(type: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type]), u24(body.length), body]);
}
function ext(type: number, body: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(body.length), body]);
}
function sniExt(name: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  return ext(0, Buffer.concat([u16(n.length + 3), Buffer.from([0]), u16(n.length), n]));
}
function alpnExt(protos: string[]): Buffer {
  const list = Buffer.concat(protos.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
  return ext(16, Buffer.concat([u16(list.length), list]));
}

export interface ClientHelloSpec {
  version?: number;
  ciphers: number[];
  sni?: string;
  alpn?: string[];
  versions?: number[];
}
export function clientHello(s: ClientHelloSpec): Buffer {
  const exts: Buffer[] = [];
  if (s.sni !== undefined) exts.push(sniExt(s.sni));
  if (s.alpn !== undefined) exts.push(alpnExt(s.alpn));
  if (s.versions !== undefined) exts.push(ext(43, Buffer.concat([Buffer.from([s.versions.length * 2]), ...s.versions.map(u16)])));
  const e = Buffer.concat(exts);
  const body = Buffer.concat([
    u16(s.version ?? 0x0303), Buffer.alloc(32, 0x11), Buffer.from([0]),
    u16(s.ciphers.length * 2), ...s.ciphers.map(u16), Buffer.from([1, 0]), u16(e.length), e,
  ]);
  return hs(1, body);
}

export const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export function serverHello(s: { version?: number; cipher: number; alpn?: string; selected?: number; random?: Buffer }): Buffer {
  const exts: Buffer[] = [];
  if (s.alpn !== undefined) exts.push(alpnExt([s.alpn]));
  if (s.selected !== undefined) exts.push(ext(43, u16(s.selected)));
  const e = Buffer.concat(exts);
  const body = Buffer.concat([u16(s.version ?? 0x0303), s.random ?? Buffer.alloc(32, 0x22), Buffer.from([0]), u16(s.cipher), Buffer.from([0]), u16(e.length), e]);
  return hs(2, body);
}

export const alert = (level: number, desc: number): Buffer => record(21, Buffer.from([level, desc]));
export const ccs = (): Buffer => record(20, Buffer.from([1]));
export const appData = (n: number): Buffer => record(23, Buffer.alloc(n, 0xab));
/** A Certificate message with an opaque 100-byte "certificate" (only its framing matters here). */
export const certificate = (): Buffer => hs(11, Buffer.concat([u24(103), u24(100), Buffer.alloc(100, 0x30)]));

// tshark: TLSv1.2 Record, Handshake Protocol: Client Hello, Version TLS 1.2 (0x0303), Cipher Suites (3 suites),
// server_name example.com, ALPN h2, http/1.1.
export const CH12 = record(22, clientHello({ ciphers: [0xc02f, 0xc030, 0x009c], sni: 'example.com', alpn: ['h2', 'http/1.1'] }), 0x0301);
// tshark: Server Hello, Version TLS 1.2, Cipher Suite TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (0xc02f), ALPN h2,
// followed in the same record by Certificate.
export const SH12 = record(22, Buffer.concat([serverHello({ cipher: 0xc02f, alpn: 'h2' }), certificate()]));
// tshark: Client Hello, supported_versions Reserved (GREASE) (0x0a0a), TLS 1.3 (0x0304), TLS 1.2; SNI a.test.
export const CH13 = record(22, clientHello({ ciphers: [0x1301, 0x1302, 0x1303], sni: 'a.test', versions: [0x0a0a, 0x0304, 0x0303] }), 0x0301);
// tshark: Server Hello, supported_versions TLS 1.3 (0x0304), Cipher Suite TLS_AES_128_GCM_SHA256 (0x1301).
export const SH13 = record(22, serverHello({ cipher: 0x1301, selected: 0x0304 }));
// tshark: Hello Retry Request (handshake type 2), Cipher Suite TLS_AES_256_GCM_SHA384 (0x1302), TLS 1.3.
export const HRR = record(22, serverHello({ cipher: 0x1302, selected: 0x0304, random: HRR_RANDOM }));
// tshark: Alert (Level: Fatal, Description: Handshake Failure (40)).
export const ALERT_HS_FAILURE = alert(2, 40);
// tshark: Alert (Level: Fatal, Description: Unknown CA (48)).
export const ALERT_UNKNOWN_CA = alert(2, 48);

export interface Step {
  dir: FlowDirection;
  bytes: Buffer;
}

export const SESSION_12: Step[] = [
  { dir: 0, bytes: CH12 },
  { dir: 1, bytes: SH12 },
  { dir: 0, bytes: Buffer.concat([ccs(), record(22, Buffer.alloc(40, 0x5a))]) },
  { dir: 1, bytes: Buffer.concat([ccs(), record(22, Buffer.alloc(40, 0x5b))]) },
  { dir: 0, bytes: appData(300) },
  { dir: 1, bytes: appData(2000) },
];
export const SESSION_13: Step[] = [
  { dir: 0, bytes: CH13 },
  { dir: 1, bytes: Buffer.concat([SH13, ccs(), appData(500)]) },
  { dir: 0, bytes: Buffer.concat([ccs(), appData(60)]) },
  { dir: 0, bytes: appData(100) },
];
export const SESSION_HRR: Step[] = [
  { dir: 0, bytes: CH13 },
  { dir: 1, bytes: Buffer.concat([HRR, ccs()]) },
  { dir: 0, bytes: Buffer.concat([ccs(), CH13]) },
  { dir: 1, bytes: Buffer.concat([SH13, appData(400)]) },
  { dir: 0, bytes: appData(60) },
];
export const SESSION_ALERT: Step[] = [
  { dir: 0, bytes: CH12 },
  { dir: 1, bytes: ALERT_HS_FAILURE },
];
export const SESSION_UNKNOWN_CA: Step[] = [
  { dir: 0, bytes: CH12 },
  { dir: 1, bytes: SH12 },
  { dir: 0, bytes: ALERT_UNKNOWN_CA },
];

export const SESSIONS: Record<string, Step[]> = { SESSION_12, SESSION_13, SESSION_HRR, SESSION_ALERT, SESSION_UNKNOWN_CA };
