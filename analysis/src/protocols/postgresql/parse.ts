// Message parser for PostgreSQL v3: one frontend or backend message per call, folding an extended-query batch into
// one request and a backend response cycle (up to ReadyForQuery or the first error) into one response.
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult } from '../types.js';
import {
  CANCEL_REQUEST_CODE, CLIENT_TYPES, GSSENC_REQUEST_CODE, MAX_MESSAGE, SERVER_TYPES, SSL_REQUEST_CODE, fixedLength,
  untypedCode,
} from './detect.js';
import { firstKeyword, readCString, truncateSql } from './sql-text.js';
import { statusOfSqlState } from './sqlstate.js';
import type { Dir, PgBatch, PgCycle, PgState } from './types.js';
import { MAX_NAME, MAX_PORTALS, MAX_STATEMENTS } from './types.js';

/** Bytes of a message we read at most: enough for names, the first MAX_SQL characters of SQL and error fields. */
const CONTENT_CAP = 16 * 1024;
/** Types whose content we never read: only the 5-byte header is waited for, the body is skipped. */
const CLIENT_SKIP = new Set('dp'.split('').map((c) => c.charCodeAt(0)));
const SERVER_SKIP = new Set('DTdGHW'.split('').map((c) => c.charCodeAt(0)));
const MAX_STARTUP = 10_000;

const AUTH_METHODS: Record<number, string> = {
  0: 'ok', 2: 'kerberos-v5', 3: 'cleartext', 5: 'md5', 7: 'gss', 8: 'gss-continue', 9: 'sspi', 10: 'sasl',
  11: 'sasl-continue', 12: 'sasl-final',
};

function invalid(bytes: Buffer, error: string): ParseResult {
  // Consume the whole chunk: a server usually writes whole messages per segment, so the next one resynchronises.
  return { status: 'invalid', consumed: Math.max(1, bytes.length), error };
}

function base(st: PgState, type: L7Message['type'], ctx: ParseContext, length: number): L7Message {
  return newMessage(type, ctx.tsUs, ctx.tcpSeq, length, st.version);
}

function remember<V>(map: Map<string, V>, key: string, value: V, cap: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > cap) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}

export function parsePg(dir: Dir, bytes: Buffer, st: PgState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  if (st.skip[dir] > 0) {
    const n = Math.min(st.skip[dir], bytes.length);
    st.skip[dir] -= n;
    return { status: 'ignored', consumed: n };
  }
  if (st.encrypted) return { status: 'ignored', consumed: bytes.length };
  return dir === 0 ? parseClient(bytes, st, ctx) : parseServer(bytes, st, ctx);
}

// ---------------------------------------------------------------- client (frontend)

function parseClient(bytes: Buffer, st: PgState, ctx: ParseContext): ParseResult {
  if (st.awaitingEncReply !== null && bytes[0] === 0x16) {
    // A TLS ClientHello right after SSLRequest: the server said 'S' (its answer may be parsed later or lost).
    st.encrypted = true;
    return { status: 'ignored', consumed: bytes.length };
  }
  if (bytes[0] === 0 && !st.startupDone) return parseUntyped(bytes, st, ctx);
  if (bytes.length < 5) return CLIENT_TYPES.has(bytes[0]) ? { status: 'needs-more', consumed: 0 } : invalid(bytes, 'unknown frontend message type');
  const type = bytes[0];
  const len = bytes.readUInt32BE(1);
  if (!CLIENT_TYPES.has(type)) return invalid(bytes, `unknown frontend message type 0x${type.toString(16)}`);
  const fixed = fixedLength(0, type);
  if (len < 4 || len > MAX_MESSAGE || (fixed !== undefined && len !== fixed)) return invalid(bytes, `bad length ${len} for '${String.fromCharCode(type)}'`);
  const total = len + 1;
  const want = CLIENT_SKIP.has(type) ? 5 : Math.min(total, CONTENT_CAP);
  if (bytes.length < want) return { status: 'needs-more', consumed: 0 };
  const consumed = Math.min(total, bytes.length);
  st.skip[0] = total - consumed;
  const end = Math.min(consumed, CONTENT_CAP);
  st.startupDone = true;
  const r = clientMessage(String.fromCharCode(type), bytes, end, total, st, ctx);
  if (r === null) return { status: 'ignored', consumed };
  return { status: 'ok', consumed, message: r };
}

function openBatch(st: PgState, ctx: ParseContext): PgBatch {
  if (st.batch === null) {
    st.batch = { tsUs: ctx.tsUs, tcpSeq: ctx.tcpSeq, length: 0, parses: 0, binds: 0, executes: 0, describes: 0, closes: 0 };
  }
  return st.batch;
}

function clientMessage(t: string, b: Buffer, end: number, total: number, st: PgState, ctx: ParseContext): L7Message | null {
  switch (t) {
    case 'Q': {
      const sql = readCString(b, 5, end).text;
      st.outstanding++;
      return queryRequest(st, base(st, 'request', ctx, total), 'QUERY', sql);
    }
    case 'P': {
      const name = readCString(b, 5, end, MAX_NAME);
      const sql = name.next < 0 ? '' : truncateSql(readCString(b, name.next, end).text);
      remember(st.statements, name.text, sql, MAX_STATEMENTS);
      const batch = openBatch(st, ctx);
      batch.length += total;
      batch.parses++;
      if (batch.sql === undefined) {
        batch.sql = sql;
        batch.statement = name.text;
      }
      return null;
    }
    case 'B': {
      const portal = readCString(b, 5, end, MAX_NAME);
      const stmt = portal.next < 0 ? '' : readCString(b, portal.next, end, MAX_NAME).text;
      remember(st.portals, portal.text, stmt, MAX_PORTALS);
      const batch = openBatch(st, ctx);
      batch.length += total;
      batch.binds++;
      return null;
    }
    case 'E': {
      const portal = readCString(b, 5, end, MAX_NAME).text;
      const batch = openBatch(st, ctx);
      batch.length += total;
      if (batch.executes++ === 0) {
        const stmt = st.portals.get(portal);
        const sql = stmt === undefined ? undefined : st.statements.get(stmt);
        batch.portal = portal;
        // A statement prepared before the capture started has no known SQL: keep its name at least.
        if (stmt !== undefined) batch.statement = stmt;
        if (sql !== undefined) batch.sql = sql;
      }
      return null;
    }
    case 'D':
    case 'C': {
      const kind = end > 5 ? String.fromCharCode(b[5]) : '';
      const name = readCString(b, 6, end, MAX_NAME).text;
      const batch = openBatch(st, ctx);
      batch.length += total;
      if (t === 'D') batch.describes++;
      else {
        batch.closes++;
        if (kind === 'S') st.statements.delete(name);
        else if (kind === 'P') st.portals.delete(name);
      }
      return null;
    }
    case 'H':
      openBatch(st, ctx).length += total;
      return null;
    case 'S':
      return syncRequest(st, ctx, total);
    case 'F': {
      st.outstanding++;
      const m = base(st, 'request', ctx, total);
      m.requestType = 'FUNCTION_CALL';
      if (end >= 9) m.attributes = { function_oid: b.readUInt32BE(5) };
      if (st.database !== undefined) m.requestDomain = st.database;
      return m;
    }
    case 'X': {
      const m = base(st, 'other', ctx, total);
      m.requestType = 'TERMINATE';
      return m;
    }
    case 'p': {
      // Password, SASL or GSS data: never kept (credentials).
      const m = base(st, 'other', ctx, total);
      m.requestType = 'PASSWORD';
      return m;
    }
    default:
      // CopyData / CopyDone / CopyFail belong to the COPY request already emitted.
      return null;
  }
}

function queryRequest(st: PgState, m: L7Message, requestType: string, sql: string | undefined): L7Message {
  m.requestType = requestType;
  if (st.database !== undefined) m.requestDomain = st.database;
  if (sql !== undefined) {
    m.requestResource = truncateSql(sql);
    const kw = firstKeyword(sql);
    if (kw !== undefined) m.endpoint = kw;
  }
  if (st.user !== undefined) m.attributes = { user: st.user };
  return m;
}

/** Sync closes an extended-query batch: one request, answered by one ReadyForQuery. */
export function batchRequest(st: PgState, batch: PgBatch | null, ctx: { tsUs: number; tcpSeq: number }, extra: number): L7Message {
  const b = batch ?? { tsUs: ctx.tsUs, tcpSeq: ctx.tcpSeq, length: 0, parses: 0, binds: 0, executes: 0, describes: 0, closes: 0 };
  const type = b.executes > 0 ? 'EXECUTE' : b.parses > 0 ? 'PARSE' : b.binds > 0 ? 'BIND' : b.describes > 0 ? 'DESCRIBE' : b.closes > 0 ? 'CLOSE' : 'SYNC';
  const m = newMessage('request', b.tsUs, b.tcpSeq, b.length + extra, st.version);
  m.endTsUs = ctx.tsUs;
  queryRequest(st, m, type, b.sql);
  const attrs: Record<string, string | number> = m.attributes ?? {};
  if (b.statement !== undefined && b.statement !== '') attrs.statement = b.statement;
  if (b.portal !== undefined && b.portal !== '') attrs.portal = b.portal;
  if (b.executes > 1) attrs.executes = b.executes;
  if (Object.keys(attrs).length > 0) m.attributes = attrs;
  return m;
}

function syncRequest(st: PgState, ctx: ParseContext, total: number): L7Message {
  const m = batchRequest(st, st.batch, ctx, total);
  st.batch = null;
  st.outstanding++;
  return m;
}

function parseUntyped(bytes: Buffer, st: PgState, ctx: ParseContext): ParseResult {
  if (bytes.length < 8) return { status: 'needs-more', consumed: 0 };
  const code = untypedCode(bytes);
  if (code === undefined) return invalid(bytes, 'not a startup message');
  const len = bytes.readUInt32BE(0);
  if (len > MAX_STARTUP) return invalid(bytes, 'startup message too long');
  if (bytes.length < len) return { status: 'needs-more', consumed: 0 };
  const m = base(st, 'request', ctx, len);
  if (code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) {
    m.requestType = code === SSL_REQUEST_CODE ? 'SSL_REQUEST' : 'GSSENC_REQUEST';
    st.awaitingEncReply = code === SSL_REQUEST_CODE ? 'ssl' : 'gss';
    st.outstanding++;
    return { status: 'ok', consumed: len, message: m };
  }
  if (code === CANCEL_REQUEST_CODE) {
    // Sent on its own connection, which the server closes without answering: the request is its own record.
    m.requestType = 'CANCEL';
    m.responseStatus = 'ok';
    m.attributes = { backend_pid: bytes.readUInt32BE(8) };
    st.startupDone = true;
    return { status: 'ok', consumed: len, message: m };
  }
  st.version = `${code >>> 16}.${code & 0xffff}`;
  m.version = st.version;
  const params: Record<string, string> = {};
  let off = 8;
  for (let i = 0; i < 64 && off < len; i++) {
    const k = readCString(bytes, off, len, MAX_NAME);
    if (k.next < 0 || k.text === '') break;
    const v = readCString(bytes, k.next, len, 256);
    if (v.next < 0) break;
    params[k.text] = v.text;
    off = v.next;
  }
  if (params.user !== undefined) st.user = params.user;
  st.database = params.database ?? params.user;
  if (params.application_name) st.application = params.application_name;
  st.startupDone = true;
  st.outstanding++;
  m.requestType = 'STARTUP';
  if (st.database !== undefined) m.requestDomain = st.database;
  const attrs: Record<string, string | number> = {};
  if (st.user !== undefined) attrs.user = st.user;
  if (st.application !== undefined) attrs.application_name = st.application;
  if (params.replication !== undefined) attrs.replication = params.replication;
  if (Object.keys(attrs).length > 0) m.attributes = attrs;
  return { status: 'ok', consumed: len, message: m };
}

// ---------------------------------------------------------------- server (backend)

function parseServer(bytes: Buffer, st: PgState, ctx: ParseContext): ParseResult {
  if (st.awaitingEncReply !== null) {
    const c = bytes[0];
    const accept = st.awaitingEncReply === 'ssl' ? 0x53 : 0x47;
    if (c === accept || c === 0x4e) {
      const m = base(st, 'response', ctx, 1);
      const key = st.awaitingEncReply === 'ssl' ? 'tls' : 'gssenc';
      m.responseStatus = 'ok';
      m.responseResult = String.fromCharCode(c);
      m.attributes = { [key]: c === accept ? 'accepted' : 'refused' };
      st.awaitingEncReply = null;
      st.outstanding = Math.max(0, st.outstanding - 1);
      if (c === accept) st.encrypted = true;
      return { status: 'ok', consumed: 1, message: m };
    }
    st.awaitingEncReply = null; // e.g. an ErrorResponse from a server that does not know SSLRequest
  }
  if (bytes.length < 5) return SERVER_TYPES.has(bytes[0]) ? { status: 'needs-more', consumed: 0 } : invalid(bytes, 'unknown backend message type');
  const type = bytes[0];
  const len = bytes.readUInt32BE(1);
  if (!SERVER_TYPES.has(type)) return invalid(bytes, `unknown backend message type 0x${type.toString(16)}`);
  const fixed = fixedLength(1, type);
  if (len < 4 || len > MAX_MESSAGE || (fixed !== undefined && len !== fixed)) return invalid(bytes, `bad length ${len} for '${String.fromCharCode(type)}'`);
  const total = len + 1;
  const want = SERVER_SKIP.has(type) ? 5 : Math.min(total, CONTENT_CAP);
  if (bytes.length < want) return { status: 'needs-more', consumed: 0 };
  const consumed = Math.min(total, bytes.length);
  st.skip[1] = total - consumed;
  const end = Math.min(consumed, CONTENT_CAP);
  const m = serverMessage(String.fromCharCode(type), bytes, end, total, st, ctx);
  if (m === null) return { status: 'ignored', consumed };
  return { status: 'ok', consumed, message: m };
}

/** ErrorResponse / NoticeResponse fields: code letter → value (S severity, V severity, C SQLSTATE, M message). */
function noticeFields(b: Buffer, end: number): Map<string, string> {
  const f = new Map<string, string>();
  let off = 5;
  for (let i = 0; i < 32 && off < end; i++) {
    const code = b[off];
    if (code === 0) break;
    const v = readCString(b, off + 1, end, 512);
    f.set(String.fromCharCode(code), v.text);
    if (v.next < 0) break;
    off = v.next;
  }
  return f;
}

function serverMessage(t: string, b: Buffer, end: number, total: number, st: PgState, ctx: ParseContext): L7Message | null {
  const idle = st.cycle === null && st.outstanding <= 0;
  if (idle && (t === 'A' || t === 'N' || t === 'S')) return asyncMessage(t, b, end, total, st, ctx);
  const cycle: PgCycle = st.cycle ?? { tsUs: ctx.tsUs, tcpSeq: ctx.tcpSeq, length: 0, rows: 0, commands: 0, emitted: false, notices: 0, copyData: 0 };
  st.cycle = cycle;
  cycle.length += total;
  if (cycle.emitted) {
    if (t === 'Z') st.cycle = null;
    return null;
  }
  switch (t) {
    case 'D':
      cycle.rows++;
      return null;
    case 'C':
      cycle.commands++;
      cycle.tag = readCString(b, 5, end, 256).text;
      return null;
    case 'I':
      cycle.commands++;
      cycle.tag = 'EMPTY';
      return null;
    case 'R':
      if (end >= 9) {
        const code = b.readUInt32BE(5);
        // The first request names the method; SASL continue/final and AuthenticationOk must not overwrite it.
        if (cycle.auth === undefined) cycle.auth = AUTH_METHODS[code] ?? String(code);
        if (code === 10) {
          const mech = readCString(b, 9, end, 64).text;
          if (mech) cycle.auth = mech;
        }
      }
      return null;
    case 'S': {
      const k = readCString(b, 5, end, 64);
      if (k.text === 'server_version' && k.next > 0) st.serverVersion = readCString(b, k.next, end, 64).text;
      return null;
    }
    case 'K':
      if (end >= 9) st.backendPid = b.readUInt32BE(5);
      return null;
    case 'N':
      cycle.notices++;
      return null;
    case 'd':
      cycle.copyData++;
      return null;
    case 'E': {
      const f = noticeFields(b, end);
      const m = endCycle(st, cycle, ctx);
      const code = f.get('C');
      m.responseStatus = statusOfSqlState(code);
      if (m.responseStatus === 'unknown') m.responseStatus = 'server_error';
      if (code !== undefined) {
        if (/^[0-9]{5}$/.test(code)) m.responseCode = Number(code);
        (m.attributes ??= {}).sqlstate = code;
      }
      const sev = f.get('V') ?? f.get('S');
      if (sev !== undefined) (m.attributes ??= {}).severity = sev;
      const msg = f.get('M');
      if (msg !== undefined) m.responseException = msg;
      cycle.emitted = true;
      return m;
    }
    case 'Z': {
      const m = endCycle(st, cycle, ctx);
      m.responseStatus = 'ok';
      if (end >= 6) (m.attributes ??= {}).transaction = String.fromCharCode(b[5]);
      st.cycle = null;
      return m;
    }
    default:
      return null;
  }
}

/** The response of the cycle so far (also used by stitch to flush a cycle cut by the end of the capture). */
export function endCycle(st: PgState, cycle: PgCycle, ctx: { tsUs: number }): L7Message {
  const m = newMessage('response', cycle.tsUs, cycle.tcpSeq, cycle.length, st.version);
  m.endTsUs = ctx.tsUs;
  if (cycle.tag !== undefined) m.responseResult = cycle.tag;
  const a: Record<string, string | number> = { rows: cycle.rows };
  if (cycle.commands > 1) a.commands = cycle.commands;
  if (cycle.notices > 0) a.notices = cycle.notices;
  if (cycle.copyData > 0) a.copy_data = cycle.copyData;
  if (cycle.auth !== undefined) {
    a.auth = cycle.auth;
    if (st.serverVersion !== undefined) a.server_version = st.serverVersion;
    if (st.backendPid !== undefined) a.backend_pid = st.backendPid;
  }
  m.attributes = a;
  st.outstanding = Math.max(0, st.outstanding - 1);
  return m;
}

function asyncMessage(t: string, b: Buffer, end: number, total: number, st: PgState, ctx: ParseContext): L7Message | null {
  if (t === 'S') {
    const k = readCString(b, 5, end, 64);
    if (k.text === 'server_version' && k.next > 0) st.serverVersion = readCString(b, k.next, end, 64).text;
    return null;
  }
  const m = base(st, 'push', ctx, total);
  if (t === 'A') {
    // NotificationResponse: pid, channel, payload (LISTEN/NOTIFY).
    const channel = readCString(b, 9, end, 256);
    m.requestType = 'NOTIFICATION';
    m.requestResource = channel.text;
    if (channel.next > 0) m.responseResult = readCString(b, channel.next, end, 512).text;
    return m;
  }
  const f = noticeFields(b, end);
  m.requestType = 'NOTICE';
  const code = f.get('C');
  if (code !== undefined) m.attributes = { sqlstate: code };
  const msg = f.get('M');
  if (msg !== undefined) m.responseResult = msg;
  return m;
}
