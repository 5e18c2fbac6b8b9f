// MySQL classic protocol: one 4-byte-header packet per call, a per-connection state machine for handshake, commands and result sets.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult, ResponseStatus } from '../types.js';

export const COM_NAMES: Readonly<Record<number, string>> = {
  0x01: 'COM_QUIT',
  0x02: 'COM_INIT_DB',
  0x03: 'COM_QUERY',
  0x04: 'COM_FIELD_LIST',
  0x05: 'COM_CREATE_DB',
  0x06: 'COM_DROP_DB',
  0x07: 'COM_REFRESH',
  0x08: 'COM_SHUTDOWN',
  0x09: 'COM_STATISTICS',
  0x0a: 'COM_PROCESS_INFO',
  0x0c: 'COM_PROCESS_KILL',
  0x0d: 'COM_DEBUG',
  0x0e: 'COM_PING',
  0x11: 'COM_CHANGE_USER',
  0x12: 'COM_BINLOG_DUMP',
  0x16: 'COM_STMT_PREPARE',
  0x17: 'COM_STMT_EXECUTE',
  0x18: 'COM_STMT_SEND_LONG_DATA',
  0x19: 'COM_STMT_CLOSE',
  0x1a: 'COM_STMT_RESET',
  0x1b: 'COM_SET_OPTION',
  0x1c: 'COM_STMT_FETCH',
  0x1f: 'COM_RESET_CONNECTION',
};

/** Commands the server never answers: their requests are complete by themselves (status ok, not timeout). */
export const NO_RESPONSE_COMMANDS: ReadonlySet<string> = new Set(['COM_QUIT', 'COM_STMT_CLOSE', 'COM_STMT_SEND_LONG_DATA']);

const CLIENT_CONNECT_WITH_DB = 0x8;
const CLIENT_COMPRESS = 0x20;
const CLIENT_PROTOCOL_41 = 0x200;
const CLIENT_SSL = 0x800;
const CLIENT_SECURE_CONNECTION = 0x8000;
const CLIENT_PLUGIN_AUTH_LENENC = 0x200000;
const CLIENT_DEPRECATE_EOF = 0x1000000;
const CLIENT_QUERY_ATTRIBUTES = 0x8000000;
const SERVER_MORE_RESULTS_EXISTS = 0x8;

/** Bytes of a packet payload we look at (SQL text beyond this is skipped, not buffered). */
const PEEK_CAP = 4096;
/** requestResource / prepared SQL text limit (characters). */
export const SQL_CAP = 512;
/** Prepared statements remembered per connection (statement id → SQL). */
export const MAX_STMTS = 256;
const MAX_PACKET = 0xffffff;

type Phase = 'init' | 'auth' | 'command' | 'tls' | 'compressed';
type RespPhase = 'idle' | 'cols' | 'colsEof' | 'rows' | 'prepParams' | 'prepParamsEof' | 'prepCols' | 'prepColsEof' | 'fieldList';

interface PendingResponse {
  tsUs: number;
  tcpSeq: number;
  length: number;
  columns: number;
  rows: number;
  /** Definitions left in the current cols/prepParams/prepCols block. */
  left: number;
  prepCols: number;
  result?: string;
}

export interface MysqlState {
  phase: Phase;
  clientCaps: number;
  serverCaps: number;
  deprecateEof: boolean;
  protocol41: boolean;
  /** Command awaiting its response (name), undefined when none. */
  pending?: string;
  /** SQL of the pending COM_STMT_PREPARE, kept until its OK gives the statement id. */
  pendingSql?: string;
  respPhase: RespPhase;
  resp?: PendingResponse;
  /** Body bytes still to skip per direction (a packet whose header we already returned). */
  skip: [number, number];
  /** The previous packet per direction had length 0xffffff: the next one continues it. */
  continued: [boolean, boolean];
  stmts: Map<number, string>;
}

export function newState(): MysqlState {
  return {
    phase: 'init',
    clientCaps: 0,
    serverCaps: 0,
    deprecateEof: false,
    protocol41: true,
    respPhase: 'idle',
    skip: [0, 0],
    continued: [false, false],
    stmts: new Map(),
  };
}

/** Bounded reader over a packet payload; every read returns undefined past the end. */
class Reader {
  constructor(
    readonly b: Buffer,
    public pos = 0,
  ) {}
  u8(): number | undefined {
    return this.pos < this.b.length ? this.b[this.pos++] : undefined;
  }
  u16(): number | undefined {
    if (this.pos + 2 > this.b.length) return undefined;
    const v = this.b.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(): number | undefined {
    if (this.pos + 4 > this.b.length) return undefined;
    const v = this.b.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  /** Length-encoded integer (values above 2^53 lose precision; fine for counts). */
  lenenc(): number | undefined {
    const f = this.u8();
    if (f === undefined) return undefined;
    if (f < 0xfb) return f;
    const n = f === 0xfc ? 2 : f === 0xfd ? 3 : f === 0xfe ? 8 : 0;
    if (n === 0 || this.pos + n > this.b.length) return undefined;
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + this.b[this.pos + i];
    this.pos += n;
    return v;
  }
  nulStr(max = 256): string | undefined {
    const end = this.b.indexOf(0, this.pos);
    if (end < 0) return undefined;
    const s = this.b.toString('utf8', this.pos, Math.min(end, this.pos + max));
    this.pos = end + 1;
    return s;
  }
  skip(n: number): boolean {
    if (this.pos + n > this.b.length) return false;
    this.pos += n;
    return true;
  }
  rest(max: number): string {
    return this.b.toString('utf8', this.pos, Math.min(this.b.length, this.pos + max));
  }
}

function msg(type: L7Message['type'], ctx: ParseContext, length: number): L7Message {
  return newMessage(type, ctx.tsUs, ctx.tcpSeq, length);
}

/** A message whose only content is `attributes` (greeting-less packets: TLS/auth/compression markers). */
function marker(type: L7Message['type'], ctx: ParseContext, length: number, attributes: Record<string, string | number>): L7Message {
  const m = msg(type, ctx, length);
  m.attributes = attributes;
  return m;
}

/** DeepFlow: 2000–2999 are client-library errors, every other code (1xxx, 3xxx+ server errors) is the server's. */
export function errorStatus(code: number): ResponseStatus {
  return code >= 2000 && code <= 2999 ? 'client_error' : 'server_error';
}

/** First SQL keyword, upper-case, skipping leading comments/whitespace/parentheses: the RED endpoint. */
export function sqlKeyword(sql: string): string | undefined {
  let s = sql.slice(0, SQL_CAP);
  for (let i = 0; i < 8; i++) {
    const t = s.replace(/^[\s(]+/, '');
    if (t.startsWith('/*')) {
      const e = t.indexOf('*/');
      s = e < 0 ? '' : t.slice(e + 2);
    } else if (t.startsWith('--') || t.startsWith('#')) {
      const e = t.indexOf('\n');
      s = e < 0 ? '' : t.slice(e + 1);
    } else {
      s = t;
      break;
    }
  }
  const m = /^[A-Za-z]+/.exec(s);
  return m ? m[0].toUpperCase() : undefined;
}

function truncate(s: string): string {
  return s.length > SQL_CAP ? s.slice(0, SQL_CAP) : s;
}

/** Sets the fields of a decoded ERR packet (payload starts with 0xff) on `m`. */
function applyErr(m: L7Message, p: Buffer, protocol41: boolean): L7Message {
  const r = new Reader(p, 1);
  const code = r.u16();
  if (code === undefined) {
    m.responseStatus = 'server_error';
    return m;
  }
  let state: string | undefined;
  if (protocol41 && r.pos < p.length && p[r.pos] === 0x23 && r.pos + 6 <= p.length) {
    state = p.toString('latin1', r.pos + 1, r.pos + 6);
    r.pos += 6;
  }
  const text = r.rest(SQL_CAP);
  m.responseCode = code;
  m.responseStatus = errorStatus(code);
  m.responseException = state ? `${state}: ${text}` : text;
  return m;
}

/** Sets responseResult on `m` (a response just finished). */
function withResult(m: L7Message, result: string | undefined): L7Message {
  m.responseResult = result;
  return m;
}

/** OK packet (0x00, or 0xfe as end-of-result-set with CLIENT_DEPRECATE_EOF): affected rows and status flags. */
function parseOk(p: Buffer): { affected?: number; status: number } {
  const r = new Reader(p, 1);
  const affected = r.lenenc();
  r.lenenc();
  return { affected, status: r.u16() ?? 0 };
}

/** Status flags of a terminator packet (EOF: 0xfe warnings(2) status(2); else an OK with 0xfe header). */
function terminatorStatus(p: Buffer, len: number): number {
  if (len < 9) return p.length >= 5 ? p.readUInt16LE(3) : 0;
  return parseOk(p).status;
}

function isEof(p0: number, len: number): boolean {
  return p0 === 0xfe && len < 9;
}

/** End of a result set: EOF, or (CLIENT_DEPRECATE_EOF) an OK packet with a 0xfe header shorter than a max packet. */
function isTerminator(p0: number, len: number): boolean {
  return p0 === 0xfe && len < MAX_PACKET;
}

function parseGreeting(p: Buffer, state: MysqlState, ctx: ParseContext, len: number): L7Message | undefined {
  const r = new Reader(p, 1);
  const version = r.nulStr(64);
  const connId = r.u32();
  if (version === undefined || connId === undefined) return undefined;
  let caps = 0;
  if (r.skip(9)) {
    const lo = r.u16();
    if (lo !== undefined) {
      caps = lo;
      if (r.skip(3)) caps |= (r.u16() ?? 0) << 16;
    }
  }
  state.serverCaps = caps >>> 0;
  const m = newMessage('other', ctx.tsUs, ctx.tcpSeq, len, '10');
  m.attributes = { kind: 'greeting', server_version: version, connection_id: connId };
  return m;
}

function parseHandshakeResponse(p: Buffer, state: MysqlState, ctx: ParseContext, len: number): L7Message {
  const r = new Reader(p, 0);
  const lo = r.u16() ?? 0;
  const attributes: Record<string, string | number> = { kind: 'login' };
  let db: string | undefined;
  if (lo & CLIENT_PROTOCOL_41) {
    r.pos = 0;
    const caps = (r.u32() ?? 0) >>> 0;
    state.clientCaps = caps;
    r.skip(4 + 1 + 23);
    const user = r.nulStr(128);
    if (user !== undefined) attributes.user = user;
    let ok = user !== undefined;
    if (ok) {
      if (caps & CLIENT_PLUGIN_AUTH_LENENC) {
        const n = r.lenenc();
        ok = n !== undefined && r.skip(n);
      } else if (caps & CLIENT_SECURE_CONNECTION) {
        const n = r.u8();
        ok = n !== undefined && r.skip(n);
      } else ok = r.nulStr(1024) !== undefined;
    }
    if (ok && caps & CLIENT_CONNECT_WITH_DB) db = r.nulStr(128);
  } else {
    state.clientCaps = lo;
    r.skip(3);
    const user = r.nulStr(128);
    if (user !== undefined) attributes.user = user;
    if (user !== undefined && lo & CLIENT_CONNECT_WITH_DB) {
      r.nulStr(1024);
      db = r.nulStr(128);
    }
  }
  state.protocol41 = (state.clientCaps & CLIENT_PROTOCOL_41) !== 0;
  state.deprecateEof = (state.clientCaps & state.serverCaps & CLIENT_DEPRECATE_EOF) !== 0;
  if (state.clientCaps & CLIENT_COMPRESS) attributes.compress = 1;
  const m = msg('request', ctx, len);
  m.requestType = 'LOGIN';
  m.requestDomain = db || undefined;
  m.endpoint = 'LOGIN';
  m.attributes = attributes;
  return m;
}

/** Skips one binary-protocol value of MySQL column type `t`; false when it runs past the bytes we hold. */
function skipBinaryValue(r: Reader, t: number): boolean {
  switch (t) {
    case 0x06: // NULL
      return true;
    case 0x01: // TINY
      return r.skip(1);
    case 0x02: // SHORT
    case 0x0d: // YEAR
      return r.skip(2);
    case 0x03: // LONG
    case 0x09: // INT24
    case 0x04: // FLOAT
      return r.skip(4);
    case 0x08: // LONGLONG
    case 0x05: // DOUBLE
      return r.skip(8);
    case 0x07: // TIMESTAMP
    case 0x0a: // DATE
    case 0x0b: // TIME
    case 0x0c: {
      // DATETIME
      const n = r.u8();
      return n !== undefined && r.skip(n);
    }
    default: {
      // strings, blobs, decimals, JSON, bit, enum/set, geometry: length-encoded
      const n = r.lenenc();
      return n !== undefined && r.skip(n);
    }
  }
}

/**
 * Where the SQL text of a COM_QUERY starts when CLIENT_QUERY_ATTRIBUTES prefixes it with parameter_count,
 * parameter_set_count (always 1), null bitmap, bind flag, types/names and values. Used when the capability was
 * negotiated, or when the connection's login was not seen and the packet starts the way such a prefix does (SQL
 * text never starts with a byte below 0x20 followed by 0x01). Undefined: plain text at offset 1.
 */
function queryTextOffset(p: Buffer, caps: number): number | undefined {
  const negotiated = (caps & CLIENT_QUERY_ATTRIBUTES) !== 0;
  if (!negotiated && !(caps === 0 && p.length >= 3 && p[1] < 0x20 && p[2] === 1)) return undefined;
  const r = new Reader(p, 1);
  const count = r.lenenc();
  const sets = r.lenenc();
  if (count === undefined || sets !== 1) return undefined;
  if (count === 0) return r.pos;
  if (count > 1024 || !r.skip((count + 7) >> 3)) return undefined;
  const nullMap = p.subarray(r.pos - ((count + 7) >> 3), r.pos);
  if (r.u8() !== 1) return undefined; // without bound types the values cannot be skipped
  const types: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = r.u16();
    const nameLen = t === undefined ? undefined : r.lenenc();
    if (t === undefined || nameLen === undefined || !r.skip(nameLen)) return undefined;
    types.push(t & 0xff);
  }
  for (let i = 0; i < count; i++) {
    if (nullMap[i >> 3] & (1 << (i & 7))) continue;
    if (!skipBinaryValue(r, types[i])) return undefined;
  }
  return r.pos;
}

function parseCommand(p: Buffer, state: MysqlState, ctx: ParseContext, len: number): L7Message | undefined {
  const code = p[0];
  const name = COM_NAMES[code];
  if (name === undefined) return undefined;
  const m = newMessage('request', ctx.tsUs, ctx.tcpSeq, len, '10');
  m.requestType = name;
  m.endpoint = name;
  const r = new Reader(p, 1);
  switch (code) {
    case 0x03: {
      const start = queryTextOffset(p, state.clientCaps);
      if (start !== undefined) r.pos = start;
      const sql = r.rest(PEEK_CAP);
      m.requestResource = truncate(sql);
      m.endpoint = sqlKeyword(sql) ?? name;
      break;
    }
    case 0x16: {
      const sql = r.rest(PEEK_CAP);
      m.requestResource = truncate(sql);
      m.endpoint = sqlKeyword(sql) ?? name;
      state.pendingSql = m.requestResource;
      break;
    }
    case 0x17:
    case 0x18:
    case 0x19:
    case 0x1a:
    case 0x1c: {
      const id = r.u32();
      if (id !== undefined) {
        m.requestId = id;
        const sql = state.stmts.get(id);
        m.requestResource = sql ?? `stmt ${id}`;
        if (sql !== undefined && code === 0x17) m.endpoint = sqlKeyword(sql) ?? name;
        if (code === 0x19) state.stmts.delete(id);
      }
      break;
    }
    case 0x02:
    case 0x05:
    case 0x06: {
      const db = r.rest(128);
      m.requestDomain = db;
      m.requestResource = db;
      break;
    }
    case 0x04: {
      const table = r.nulStr(128) ?? r.rest(128);
      m.requestResource = table;
      break;
    }
    case 0x11: {
      const user = r.nulStr(128);
      if (user !== undefined) {
        m.attributes = { user };
        const n = r.u8();
        if (n !== undefined && r.skip(n)) {
          const db = r.nulStr(128);
          if (db) m.requestDomain = db;
        }
      }
      break;
    }
    default:
      break;
  }
  if (NO_RESPONSE_COMMANDS.has(name)) m.responseStatus = 'ok';
  else state.pending = name;
  return m;
}

/** Compressed protocol packets: 7-byte header, compressed payload (zlib 0x78..) or an uncompressed inner packet. */
export function looksCompressed(b: Buffer, len: number): boolean {
  if (b.length < 11 || len < 4) return false;
  const inner = b[4] | (b[5] << 8) | (b[6] << 16);
  if (inner === 0) return (b[7] | (b[8] << 8) | (b[9] << 16)) + 4 === len;
  return b[7] === 0x78 && ((b[7] << 8) | b[8]) % 31 === 0 && inner >= len - 4;
}

function startResponse(state: MysqlState, ctx: ParseContext): PendingResponse {
  state.resp ??= { tsUs: ctx.tsUs, tcpSeq: ctx.tcpSeq, length: 0, columns: 0, rows: 0, left: 0, prepCols: 0 };
  return state.resp;
}

/** Finishes the (possibly multi-packet) response under construction: status ok unless the caller sets another. */
function finishResponse(state: MysqlState, ctx: ParseContext): L7Message {
  const r = state.resp;
  state.resp = undefined;
  state.respPhase = 'idle';
  const name = state.pending;
  state.pending = undefined;
  const m = newMessage('response', r?.tsUs ?? ctx.tsUs, r?.tcpSeq ?? ctx.tcpSeq, r?.length ?? 0);
  m.endTsUs = ctx.tsUs;
  m.responseStatus = 'ok';
  if (name !== undefined) m.requestType = name;
  return m;
}

/** A server packet in command phase. Returns a message when a response completes, undefined while it continues. */
function serverPacket(p: Buffer, len: number, state: MysqlState, ctx: ParseContext): L7Message | 'other' | undefined {
  const p0 = p.length > 0 ? p[0] : -1;
  const resp = startResponse(state, ctx);
  resp.length += 4 + len;
  switch (state.respPhase) {
    case 'idle': {
      if (p0 === 0xff) return applyErr(finishResponse(state, ctx), p, state.protocol41);
      if (state.pending === 'COM_STMT_FETCH') {
        state.respPhase = 'rows'; // a cursor fetch sends rows only (no column count/definitions), then EOF
        return rowPacket(p0, p, len, state, ctx, resp);
      }
      if (p0 === 0x00 && state.pending === 'COM_STMT_PREPARE' && p.length >= 9) {
        const id = p.readUInt32LE(1);
        const cols = p.readUInt16LE(5);
        const params = p.readUInt16LE(7);
        if (state.pendingSql !== undefined) {
          if (state.stmts.size >= MAX_STMTS) {
            const first = state.stmts.keys().next();
            if (!first.done) state.stmts.delete(first.value);
          }
          state.stmts.set(id, state.pendingSql);
          state.pendingSql = undefined;
        }
        resp.result = `stmt_id=${id} params=${params} columns=${cols}`;
        resp.prepCols = cols;
        if (params > 0) {
          state.respPhase = 'prepParams';
          resp.left = params;
        } else if (cols > 0) {
          state.respPhase = 'prepCols';
          resp.left = cols;
        } else {
          const m = withResult(finishResponse(state, ctx), resp.result);
          m.requestId = id;
          return m;
        }
        return undefined;
      }
      if (p0 === 0x00) {
        const ok = parseOk(p);
        if (ok.status & SERVER_MORE_RESULTS_EXISTS) return undefined;
        return withResult(finishResponse(state, ctx), resp.rows > 0 ? `rows=${resp.rows}` : `affected_rows=${ok.affected ?? 0}`);
      }
      if (p0 === 0xfe && state.pending === 'COM_CHANGE_USER') {
        resp.length -= 4 + len;
        return 'other'; // auth switch request during COM_CHANGE_USER
      }
      if (p0 === 0x01 && state.pending === 'COM_CHANGE_USER') {
        resp.length -= 4 + len;
        return 'other'; // auth more data
      }
      if (isEof(p0, len)) return finishResponse(state, ctx);
      if (p0 === 0xfb) return undefined; // LOCAL INFILE request: the client sends the file, then the server answers OK/ERR
      if (state.pending === 'COM_FIELD_LIST') {
        state.respPhase = 'fieldList';
        return undefined;
      }
      if (state.pending === 'COM_STATISTICS') return withResult(finishResponse(state, ctx), p.toString('utf8', 0, Math.min(p.length, 128)));
      const n = new Reader(p).lenenc();
      if (n === undefined || n === 0) {
        const m = finishResponse(state, ctx);
        m.responseStatus = 'parse_failed';
        return m;
      }
      resp.columns = n;
      resp.left = n;
      state.respPhase = 'cols';
      return undefined;
    }
    case 'cols':
      if (p0 === 0xff) return applyErr(finishResponse(state, ctx), p, state.protocol41);
      if (--resp.left <= 0) state.respPhase = state.deprecateEof ? 'rows' : 'colsEof';
      return undefined;
    case 'colsEof':
      state.respPhase = 'rows';
      if (isEof(p0, len)) return undefined;
      return rowPacket(p0, p, len, state, ctx, resp); // no EOF: CLIENT_DEPRECATE_EOF we did not see negotiated
    case 'rows':
      return rowPacket(p0, p, len, state, ctx, resp);
    case 'prepParams':
    case 'prepCols':
      if (--resp.left <= 0) {
        if (state.respPhase === 'prepParams') {
          if (!state.deprecateEof) state.respPhase = 'prepParamsEof';
          else if (resp.prepCols > 0) {
            state.respPhase = 'prepCols';
            resp.left = resp.prepCols;
          } else return withResult(finishResponse(state, ctx), resp.result);
        } else if (!state.deprecateEof) state.respPhase = 'prepColsEof';
        else return withResult(finishResponse(state, ctx), resp.result);
      }
      return undefined;
    case 'prepParamsEof':
      if (resp.prepCols > 0) {
        state.respPhase = 'prepCols';
        resp.left = resp.prepCols;
        return undefined;
      }
      return withResult(finishResponse(state, ctx), resp.result);
    case 'prepColsEof':
      return withResult(finishResponse(state, ctx), resp.result);
    case 'fieldList':
      if (p0 === 0xff) return applyErr(finishResponse(state, ctx), p, state.protocol41);
      if (isEof(p0, len)) return finishResponse(state, ctx);
      return undefined;
  }
}

function rowPacket(p0: number, p: Buffer, len: number, state: MysqlState, ctx: ParseContext, resp: PendingResponse): L7Message | undefined {
  if (p0 === 0xff) return withResult(applyErr(finishResponse(state, ctx), p, state.protocol41), `rows=${resp.rows}`);
  if (isTerminator(p0, len)) {
    if (terminatorStatus(p, len) & SERVER_MORE_RESULTS_EXISTS) {
      state.respPhase = 'idle'; // another result set (multi-statement / CALL) follows: keep one response
      return undefined;
    }
    const m = withResult(finishResponse(state, ctx), `rows=${resp.rows}`);
    m.attributes = { columns: resp.columns };
    return m;
  }
  resp.rows++;
  return undefined;
}

/** Parses one packet (or skips body bytes of a packet already returned). */
export function parse(dir: FlowDirection, bytes: Buffer, state: MysqlState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  if (state.skip[dir] > 0) {
    const n = Math.min(state.skip[dir], bytes.length);
    state.skip[dir] -= n;
    return { status: 'ignored', consumed: n };
  }
  if (state.phase === 'tls' || state.phase === 'compressed') return { status: 'ignored', consumed: bytes.length };
  if (bytes.length < 4) return { status: 'needs-more', consumed: 0 };
  const len = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
  const seq = bytes[3];
  const total = 4 + len;
  const want = Math.min(len, PEEK_CAP);
  if (bytes.length < 4 + want) return { status: 'needs-more', consumed: 0 };
  const consumed = Math.min(total, bytes.length);
  state.skip[dir] = total - consumed;
  const p = bytes.subarray(4, 4 + want);
  const wasContinued = state.continued[dir];
  state.continued[dir] = len === MAX_PACKET;
  if (wasContinued) {
    if (state.resp && dir === 1) state.resp.length += total;
    return { status: 'ignored', consumed };
  }
  const ok = (message: L7Message): ParseResult => ({ status: 'ok', message, consumed });

  if (state.phase === 'init') {
    if (dir === 1 && seq === 0 && len > 0 && p[0] === 10) {
      const g = parseGreeting(p, state, ctx, total);
      if (g) {
        state.phase = 'auth';
        return ok(g);
      }
    }
    if (dir === 1 && seq === 0 && p[0] === 0xff) {
      // The server refuses the connection before any greeting (e.g. 1130 host not allowed).
      const m = applyErr(msg('response', ctx, total), p, false);
      m.requestType = 'LOGIN';
      return ok(m);
    }
    state.phase = 'command'; // capture started mid-connection
  }

  if (state.phase === 'auth') {
    if (dir === 0) {
      if (seq === 1 && len === 32 && p.length >= 4 && p.readUInt16LE(0) & CLIENT_SSL) {
        state.phase = 'tls';
        state.skip = [0, 0];
        return ok(marker('other', ctx, total, { kind: 'ssl_request', tls: 1 }));
      }
      if (seq === 1 && len >= 4) {
        state.pending = 'LOGIN';
        return ok(parseHandshakeResponse(p, state, ctx, total));
      }
      if (seq === 0 && p.length > 0 && COM_NAMES[p[0]] !== undefined) state.phase = 'command'; // missed the auth result
      else return ok(marker('other', ctx, total, { kind: 'auth_data' }));
    } else {
      const p0 = p.length > 0 ? p[0] : -1;
      if (p0 === 0x00 || p0 === 0xff) {
        const compress = (state.clientCaps & state.serverCaps & CLIENT_COMPRESS) !== 0;
        state.phase = p0 === 0x00 ? (compress ? 'compressed' : 'command') : 'auth';
        state.pending = undefined;
        state.skip[0] = 0;
        const m = msg('response', ctx, total);
        m.responseStatus = 'ok';
        m.requestType = 'LOGIN';
        if (p0 === 0xff) applyErr(m, p, state.protocol41);
        else m.responseResult = 'login ok';
        if (compress && p0 === 0x00) m.attributes = { compressed: 'unparsed' };
        return ok(m);
      }
      const kind = p0 === 0xfe ? 'auth_switch' : p0 === 0x01 ? 'auth_more_data' : 'auth_data';
      return ok(marker('other', ctx, total, { kind }));
    }
  }

  // command phase
  if (dir === 0) {
    if (seq === 0 && looksCompressed(bytes, len)) {
      state.phase = 'compressed';
      state.skip = [0, 0];
      return { status: 'ok', message: marker('other', ctx, total, { compressed: 'unparsed' }), consumed: bytes.length };
    }
    if (seq !== 0) return { status: 'ignored', consumed }; // LOCAL INFILE data, auth data of COM_CHANGE_USER
    if (len === 0) return { status: 'invalid', consumed, error: 'empty command packet' };
    state.respPhase = 'idle';
    state.resp = undefined;
    const m = parseCommand(p, state, ctx, total);
    if (!m) return { status: 'invalid', consumed, error: `unknown command 0x${p[0].toString(16)}` };
    return ok(m);
  }
  if (state.pending === undefined && state.respPhase === 'idle' && state.resp === undefined && looksCompressed(bytes, len) && p[0] !== 0xff && p[0] !== 0x00) {
    state.phase = 'compressed';
    state.skip = [0, 0];
    return { status: 'ok', message: marker('other', ctx, total, { compressed: 'unparsed' }), consumed: bytes.length };
  }
  const r = serverPacket(p, len, state, ctx);
  if (r === 'other') return ok(marker('other', ctx, total, { kind: 'auth_switch' }));
  if (r === undefined) return { status: 'ignored', consumed };
  return ok(r);
}
