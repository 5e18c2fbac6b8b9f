// MySQL byte fixtures for the tests (built from the protocol layout; tshark's reading of each is quoted in the tests).
import { eth, ipv4, tcp } from '../../../decode/test-support/frames.js';
import { writePcap } from '../../../decode/test-support/capture-file.js';

/** One MySQL packet: 3-byte little-endian payload length, sequence id, payload. */
export function pkt(seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
}

const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const z = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');
const lstr = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);

export const CAPS_41 = 0x000a8209; // LONG_PASSWORD | CONNECT_WITH_DB | PROTOCOL_41 | SECURE_CONNECTION | PLUGIN_AUTH
export const CAPS_DEPRECATE_EOF = 0x01000000;

export function greeting(version = '8.0.32', connId = 8, caps = CAPS_41): Buffer {
  return pkt(0, Buffer.concat([
    Buffer.from([10]), z(version), u32(connId), Buffer.from('abcdefgh'), Buffer.from([0]),
    u16(caps & 0xffff), Buffer.from([0x21]), u16(0x0002), u16(caps >>> 16), Buffer.from([21]), Buffer.alloc(10),
    Buffer.from('ijklmnopqrst\0'), z('mysql_native_password'),
  ]));
}

export function login(user = 'root', db: string | null = 'shop', caps = CAPS_41): Buffer {
  const c = db === null ? caps & ~0x8 : caps;
  return pkt(1, Buffer.concat([
    u32(c), u32(0x01000000), Buffer.from([0x21]), Buffer.alloc(23), z(user), Buffer.from([20]), Buffer.alloc(20, 0x5a),
    db === null ? Buffer.alloc(0) : z(db), z('mysql_native_password'),
  ]));
}

export function sslRequest(): Buffer {
  return pkt(1, Buffer.concat([u32(CAPS_41 | 0x800), u32(0x01000000), Buffer.from([0x21]), Buffer.alloc(23)]));
}

export function command(code: number, body: Buffer | string = Buffer.alloc(0)): Buffer {
  return pkt(0, Buffer.concat([Buffer.from([code]), typeof body === 'string' ? Buffer.from(body) : body]));
}
export const query = (sql: string): Buffer => command(0x03, sql);
export const stmtId = (code: number, id: number, rest: Buffer = Buffer.alloc(0)): Buffer => command(code, Buffer.concat([u32(id), rest]));

export function ok(seq: number, affected = 0, status = 0x0002): Buffer {
  return pkt(seq, Buffer.concat([Buffer.from([0x00, affected, 0]), u16(status), u16(0)]));
}
export function err(seq: number, code: number, state: string, text: string): Buffer {
  return pkt(seq, Buffer.concat([Buffer.from([0xff]), u16(code), Buffer.from(`#${state}${text}`, 'latin1')]));
}
export function eof(seq: number, status = 0x0002): Buffer {
  return pkt(seq, Buffer.concat([Buffer.from([0xfe]), u16(0), u16(status)]));
}
/** OK packet with a 0xfe header ending a result set under CLIENT_DEPRECATE_EOF. */
export function okEof(seq: number, status = 0x0002): Buffer {
  return pkt(seq, Buffer.concat([Buffer.from([0xfe, 0, 0]), u16(status), u16(0)]));
}
export function columnDef(seq: number, name: string): Buffer {
  return pkt(seq, Buffer.concat([
    lstr('def'), lstr('shop'), lstr('t'), lstr('t'), lstr(name), lstr(name), Buffer.from([0x0c]), u16(0x21), u32(80),
    Buffer.from([0xfd]), u16(0), Buffer.from([0]), u16(0),
  ]));
}
export function row(seq: number, ...values: string[]): Buffer {
  return pkt(seq, Buffer.concat(values.map(lstr)));
}

/** `SELECT a, b` answer: column count, 2 definitions, EOF, `rows` rows, EOF (classic, no DEPRECATE_EOF). */
export function resultSet(rows: number, deprecateEof = false): Buffer {
  const parts: Buffer[] = [pkt(1, Buffer.from([2])), columnDef(2, 'a'), columnDef(3, 'b')];
  let seq = 4;
  if (!deprecateEof) parts.push(eof(seq++));
  for (let i = 0; i < rows; i++) parts.push(row(seq++, String(i), `v${i}`));
  parts.push(deprecateEof ? okEof(seq) : eof(seq));
  return Buffer.concat(parts);
}

export function prepareOk(id: number, columns: number, params: number): Buffer {
  const parts: Buffer[] = [pkt(1, Buffer.concat([Buffer.from([0]), u32(id), u16(columns), u16(params), Buffer.from([0]), u16(0)]))];
  let seq = 2;
  for (let i = 0; i < params; i++) parts.push(columnDef(seq++, '?'));
  if (params > 0) parts.push(eof(seq++));
  for (let i = 0; i < columns; i++) parts.push(columnDef(seq++, `c${i}`));
  if (columns > 0) parts.push(eof(seq++));
  return Buffer.concat(parts);
}

/** Compressed-protocol packet carrying `inner` uncompressed (uncompressed length 0 in the 7-byte header). */
export function compressedPlain(seq: number, inner: Buffer): Buffer {
  const h = Buffer.alloc(7);
  h.writeUIntLE(inner.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, inner]);
}

/** A TCP conversation (client 10.0.0.1:40000 → server 10.0.0.2:3306) as pcap bytes, one segment per payload. */
export function conversationPcap(segments: { dir: 0 | 1; data: Buffer }[], serverPort = 3306): Buffer {
  const seq = [1000, 5000];
  const frames = segments.map(({ dir, data }) => {
    const [src, dst, sp, dp] = dir === 0 ? ['10.0.0.1', '10.0.0.2', 40000, serverPort] : ['10.0.0.2', '10.0.0.1', serverPort, 40000];
    const f = eth(0x0800, ipv4({ src, dst, proto: 6 }, tcp({ sp, dp, seq: seq[dir], ack: seq[1 - dir], flags: 0x18 }, data)));
    seq[dir] += data.length;
    return f;
  });
  return writePcap(1, frames);
}
