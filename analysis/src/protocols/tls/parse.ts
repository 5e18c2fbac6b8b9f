// TLS record parser (metadata only, no decryption): ClientHello / ServerHello / plaintext alerts; the rest is skipped.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult } from '../types.js';
import { alertName, cipherName, isGrease, versionName } from './codes.js';

/** Largest TLSCiphertext fragment (2^14 + 2048); longer records are garbage. */
export const MAX_RECORD = 16384 + 2048;
/** Handshake bytes held per direction; a handshake message announced larger is dropped, not buffered. */
export const MAX_HANDSHAKE = 64 * 1024;

const CT_CCS = 20;
const CT_ALERT = 21;
const CT_HANDSHAKE = 22;
const CT_APPDATA = 23;
const CT_HEARTBEAT = 24;

/** SHA-256("HelloRetryRequest"): the ServerHello.random that marks a HelloRetryRequest (RFC 8446 4.1.3). */
const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export interface TlsState {
  /** Record body bytes still to skip per direction (application data is never held). */
  skip: [number, number];
  /** Handshake bytes of an incomplete handshake message per direction (≤ MAX_HANDSHAKE + MAX_RECORD). */
  hs: [Buffer | null, Buffer | null];
  hsTs: [number, number];
  hsSeq: [number, number];
  /** Bytes of an oversized handshake message still to drop per direction. */
  hsDrop: [number, number];
  /** After ChangeCipherSpec (or a TLS 1.3 ServerHello) a direction's handshake and alert records are encrypted. */
  enc: [boolean, boolean];
  /** The client sent ChangeCipherSpec or application data: the handshake is over as far as we can see. */
  settled: boolean;
  /** Last ClientHello and the response answering it, held by stitch until settled so alerts can amend them. */
  lastReq: L7Message | null;
  lastResp: L7Message | null;
  alerts: number;
}

export function newState(): TlsState {
  return { skip: [0, 0], hs: [null, null], hsTs: [0, 0], hsSeq: [0, 0], hsDrop: [0, 0], enc: [false, false], settled: false, lastReq: null, lastResp: null, alerts: 0 };
}

function skipRecord(dir: FlowDirection, bytes: Buffer, len: number, state: TlsState): ParseResult {
  const total = 5 + len;
  const consumed = Math.min(total, bytes.length);
  state.skip[dir] = total - consumed;
  return { status: 'ignored', consumed };
}

/**
 * The client finished its part of the handshake: stamp the approximate handshake time on the held messages.
 * handshake_us = time of the client's ChangeCipherSpec (TLS ≤ 1.2, or 1.3 compatibility mode) or, failing that, of
 * its first application-data record (a 1.3 client's encrypted Finished), minus the ClientHello's time.
 */
function settle(state: TlsState, tsUs: number): void {
  if (state.settled) return;
  state.settled = true;
  const req = state.lastReq;
  if (req === null) return;
  const us = Math.max(0, tsUs - req.tsUs);
  (req.attributes ??= {}).handshake_us = us;
  if (state.lastResp !== null) (state.lastResp.attributes ??= {}).handshake_us = us;
}

export function parseTls(dir: FlowDirection, bytes: Buffer, state: TlsState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  if (state.skip[dir] > 0) {
    const n = Math.min(state.skip[dir], bytes.length);
    state.skip[dir] -= n;
    return { status: 'ignored', consumed: n };
  }
  if ((bytes[0] & 0x80) !== 0 && dir === 0) return parseSslv2Hello(bytes, state, ctx);
  if (bytes.length < 5) return { status: 'needs-more', consumed: 0 };
  const type = bytes[0];
  const len = bytes.readUInt16BE(3);
  if (type < CT_CCS || type > CT_HEARTBEAT || bytes[1] !== 3 || len > MAX_RECORD) {
    return { status: 'invalid', consumed: bytes.length, error: 'not a TLS record header' };
  }
  if (type === CT_APPDATA || type === CT_HEARTBEAT) {
    if (dir === 0 && type === CT_APPDATA) settle(state, ctx.tsUs);
    return skipRecord(dir, bytes, len, state);
  }
  if (type === CT_HANDSHAKE && state.enc[dir]) return skipRecord(dir, bytes, len, state);
  if (bytes.length < 5 + len) return { status: 'needs-more', consumed: 0 };
  const body = bytes.subarray(5, 5 + len);
  const consumed = 5 + len;
  if (type === CT_CCS) {
    // TLS 1.3 middlebox-compatibility CCS carries no meaning: after a HelloRetryRequest the second ClientHello
    // and ServerHello are still plaintext; after a 1.3 ServerHello both sides already encrypt.
    const last = state.lastResp;
    if (last !== null && last.requestType === 'HelloRetryRequest') return { status: 'ignored', consumed };
    if (last === null || !(last.version ?? '').startsWith('1.3')) state.enc[dir] = true;
    if (dir === 0) settle(state, ctx.tsUs);
    return { status: 'ignored', consumed };
  }
  if (type === CT_ALERT) return parseAlert(dir, body, consumed, state, ctx);
  return parseHandshakeRecord(dir, body, consumed, state, ctx);
}

function parseAlert(dir: FlowDirection, body: Buffer, consumed: number, state: TlsState, ctx: ParseContext): ParseResult {
  state.alerts++;
  if (state.enc[dir] || body.length !== 2) return { status: 'ignored', consumed };
  const level = body[0];
  const name = alertName(body[1]);
  const status = dir === 1 ? 'server_error' : 'client_error';
  const resp = state.lastResp;
  if (resp !== null) {
    const a = (resp.attributes ??= {});
    const k = dir === 1 ? 'alerts_server' : 'alerts_client';
    a[k] = (typeof a[k] === 'number' ? a[k] : 0) + 1;
  }
  if (level !== 2 || state.settled || state.lastReq === null) return { status: 'ignored', consumed };
  if (resp !== null) {
    // A fatal alert after the ServerHello (e.g. unknown_ca on the client certificate) fails the handshake it answers.
    if (resp.responseStatus === 'ok') {
      resp.responseStatus = status;
      resp.responseException = name;
      resp.responseCode = body[1];
    }
    return { status: 'ignored', consumed };
  }
  // No ServerHello yet: the alert itself answers the ClientHello.
  const msg = newMessage('response', ctx.tsUs, ctx.tcpSeq, consumed);
  msg.requestType = 'Alert';
  msg.responseCode = body[1];
  msg.responseStatus = status;
  msg.responseException = name;
  msg.attributes = { alert_level: 'fatal', [dir === 1 ? 'alerts_server' : 'alerts_client']: 1 };
  state.lastResp = msg;
  return { status: 'ok', consumed, message: msg };
}

function parseHandshakeRecord(dir: FlowDirection, body: Buffer, consumed: number, state: TlsState, ctx: ParseContext): ParseResult {
  let frag = body;
  if (state.hsDrop[dir] > 0) {
    const n = Math.min(state.hsDrop[dir], frag.length);
    state.hsDrop[dir] -= n;
    frag = frag.subarray(n);
  }
  const held = state.hs[dir];
  if (held === null || held.length === 0) {
    state.hsTs[dir] = ctx.tsUs;
    state.hsSeq[dir] = ctx.tcpSeq;
  }
  let buf = held === null ? frag : Buffer.concat([held, frag]);
  let out: L7Message | undefined;
  let error: string | undefined;
  while (buf.length >= 4) {
    const mlen = buf.readUIntBE(1, 3);
    if (mlen > MAX_HANDSHAKE) {
      // Drop it as it streams by (huge certificate chains); never buffer more than MAX_HANDSHAKE.
      const have = Math.min(buf.length - 4, mlen);
      state.hsDrop[dir] = mlen - have;
      buf = buf.subarray(4 + have);
      continue;
    }
    if (buf.length < 4 + mlen) break;
    const mtype = buf[0];
    const m = buf.subarray(4, 4 + mlen);
    buf = buf.subarray(4 + mlen);
    if (out !== undefined) continue;
    const base = { tsUs: state.hsTs[dir], endTsUs: ctx.tsUs, tcpSeq: state.hsSeq[dir], length: 4 + mlen };
    if (mtype === 1 && dir === 0) {
      const r = clientHello(m, base);
      if (typeof r === 'string') error = r;
      else {
        out = r;
        state.lastReq = r;
        state.lastResp = null;
        state.settled = false;
      }
    } else if (mtype === 2 && dir === 1) {
      const r = serverHello(m, base);
      if (typeof r === 'string') error = r;
      else {
        out = r;
        state.lastResp = r;
        if ((r.version ?? '').startsWith('1.3') && r.requestType === 'ServerHello') state.enc = [true, true];
      }
    }
    state.hsTs[dir] = ctx.tsUs;
    state.hsSeq[dir] = ctx.tcpSeq;
  }
  state.hs[dir] = buf.length > 0 ? Buffer.from(buf) : null;
  if (out !== undefined) return { status: 'ok', consumed, message: out };
  if (error !== undefined) return { status: 'invalid', consumed, error };
  return { status: 'ignored', consumed };
}

type Base = Pick<L7Message, 'tsUs' | 'endTsUs' | 'tcpSeq' | 'length'>;

interface Exts {
  sni?: string;
  alpn: string[];
  versions: number[];
  count: number;
}

/** Reads the extensions block at `p`; a truncated block is an error, an absent one (SSL 3.0) is fine. */
function readExtensions(b: Buffer, p: number, serverSide: boolean): Exts | string {
  const ex: Exts = { alpn: [], versions: [], count: 0 };
  if (p === b.length) return ex;
  if (p + 2 > b.length) return 'truncated extensions';
  const end = p + 2 + b.readUInt16BE(p);
  if (end > b.length) return 'truncated extensions';
  p += 2;
  while (p + 4 <= end) {
    const t = b.readUInt16BE(p);
    const l = b.readUInt16BE(p + 2);
    const s = p + 4;
    const e = s + l;
    if (e > end) return 'truncated extension';
    ex.count++;
    if (t === 0 && !serverSide && l >= 5) {
      // server_name: list length, then (type, length, name); host_name is type 0.
      const nl = b.readUInt16BE(s + 3);
      if (b[s + 2] === 0 && s + 5 + nl <= e) ex.sni = b.toString('latin1', s + 5, s + 5 + nl);
    } else if (t === 16 && l >= 2) {
      let q = s + 2;
      const qe = Math.min(e, q + b.readUInt16BE(s));
      while (q < qe) {
        const n = b[q];
        if (q + 1 + n > qe) break;
        ex.alpn.push(b.toString('latin1', q + 1, q + 1 + n));
        q += 1 + n;
      }
    } else if (t === 43) {
      if (serverSide && l === 2) ex.versions.push(b.readUInt16BE(s));
      else if (!serverSide && l >= 1) {
        for (let q = s + 1; q + 2 <= Math.min(e, s + 1 + b[s]); q += 2) ex.versions.push(b.readUInt16BE(q));
      }
    }
    p = e;
  }
  return ex;
}

function clientHello(b: Buffer, base: Base): L7Message | string {
  if (b.length < 35) return 'truncated ClientHello';
  let p = 34 + 1 + b[34];
  if (p + 2 > b.length) return 'truncated ClientHello';
  const csLen = b.readUInt16BE(p);
  p += 2 + csLen;
  if (p + 1 > b.length) return 'truncated ClientHello';
  p += 1 + b[p];
  if (p > b.length) return 'truncated ClientHello';
  const ex = readExtensions(b, p, false);
  if (typeof ex === 'string') return ex;
  // supported_versions lists what the client offers; its highest real (non-GREASE) entry replaces legacy_version.
  let v = b.readUInt16BE(0);
  let best = -1;
  for (const x of ex.versions) if (!isGrease(x) && x >> 8 === 3 && x > best) best = x;
  if (best >= 0) v = best;
  const attributes: Record<string, string | number> = { cipher_suites: csLen >> 1, extensions: ex.count };
  if (ex.alpn.length > 0) attributes.alpn = ex.alpn.join(',');
  if (ex.sni !== undefined) attributes.sni = ex.sni;
  const msg = newMessage('request', base.tsUs, base.tcpSeq, base.length, versionName(v));
  msg.endTsUs = base.endTsUs;
  msg.requestType = 'ClientHello';
  msg.requestDomain = ex.sni;
  msg.endpoint = ex.sni;
  msg.attributes = attributes;
  return msg;
}

function serverHello(b: Buffer, base: Base): L7Message | string {
  if (b.length < 35) return 'truncated ServerHello';
  // TLS 1.3 drafts (0x7fxx) dropped session_id and compression from the ServerHello.
  const draft = b[0] === 0x7f;
  let p = draft ? 34 : 34 + 1 + b[34];
  if (p + 3 > b.length) return 'truncated ServerHello';
  const cipher = b.readUInt16BE(p);
  p += draft ? 2 : 3;
  const ex = readExtensions(b, p, true);
  if (typeof ex === 'string') return ex;
  const hrr = b.subarray(2, 34).equals(HRR_RANDOM);
  const v = ex.versions.length > 0 ? ex.versions[0] : b.readUInt16BE(0);
  const attributes: Record<string, string | number> = { cipher: cipherName(cipher), cipher_id: `0x${cipher.toString(16).padStart(4, '0')}` };
  if (ex.alpn.length > 0) attributes.alpn = ex.alpn[0];
  const msg = newMessage('response', base.tsUs, base.tcpSeq, base.length, versionName(v));
  msg.endTsUs = base.endTsUs;
  msg.requestType = hrr ? 'HelloRetryRequest' : 'ServerHello';
  msg.responseStatus = 'ok';
  msg.attributes = attributes;
  return msg;
}

/** SSLv2-compatible ClientHello (2-byte header with the high bit set, msg type 1), still sent by old clients. */
function parseSslv2Hello(bytes: Buffer, state: TlsState, ctx: ParseContext): ParseResult {
  if (bytes.length < 2) return { status: 'needs-more', consumed: 0 };
  const len = ((bytes[0] & 0x7f) << 8) | bytes[1];
  if (len < 9) return { status: 'invalid', consumed: bytes.length, error: 'not a TLS record header' };
  if (bytes.length < 2 + len) return { status: 'needs-more', consumed: 0 };
  if (bytes[2] !== 1) return { status: 'invalid', consumed: 2 + len, error: 'SSLv2 record is not a ClientHello' };
  const v = bytes.readUInt16BE(3);
  const msg = newMessage('request', ctx.tsUs, ctx.tcpSeq, 2 + len, versionName(v));
  msg.requestType = 'ClientHello';
  msg.attributes = { cipher_suites: Math.floor(bytes.readUInt16BE(5) / 3), sslv2_record: 1 };
  state.lastReq = msg;
  state.lastResp = null;
  state.settled = false;
  return { status: 'ok', consumed: 2 + len, message: msg };
}
