// MySQL parser tests: every message type on tshark-checked fixtures, splitting, pipelining, large packets, stitching, malformed input.
import { describe, expect, test } from 'vitest';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { errorStatus, sqlKeyword } from './parse.js';
import * as F from './test-support/fixtures.js';
import { run, summarize } from './test-support/run.js';

const ctx = (): ParseContext => ({ tsUs: 5, tcpSeq: 77, transport: 'tcp', serverPort: 3306 });

// Binary result set answering COM_STMT_EXECUTE: 1 column, EOF, 1 binary row (0x00 header), EOF.
const executeResult = Buffer.concat([F.pkt(1, Buffer.from([1])), F.columnDef(2, 'a'), F.eof(3), F.pkt(4, Buffer.from([0, 0, 1, 0x78])), F.eof(5)]);

/**
 * One connection written to a pcap by conversationPcap() and read by tshark 4.0.17
 * (`-T fields -e _ws.col.Info -e mysql.user -e mysql.schema -e mysql.version -e mysql.thread_id -e mysql.query
 * -e mysql.affected_rows -e mysql.error_code -e mysql.sqlstate -e mysql.error.message -e mysql.stmt_id -e mysql.num_params
 * -e mysql.num_fields -e mysql.num_rows`), frame by frame in the comments.
 */
const conversation: { dir: 0 | 1; data: Buffer }[] = [
  // Server Greeting proto=10 version=8.0.32, mysql.thread_id 8
  { dir: 1, data: F.greeting() },
  // Login Request user=root db=shop
  { dir: 0, data: F.login() },
  // Response OK, affected_rows 0
  { dir: 1, data: F.ok(2) },
  // Request Query, mysql.query "SELECT a, b FROM t"
  { dir: 0, data: F.query('SELECT a, b FROM t') },
  // Response TABULAR Response, mysql.num_fields 2 (2 rows follow, then EOF)
  { dir: 1, data: F.resultSet(2) },
  // Request Query "INSERT INTO t VALUES (1)"
  { dir: 0, data: F.query('INSERT INTO t VALUES (1)') },
  // Response OK, mysql.affected_rows 3
  { dir: 1, data: F.ok(1, 3) },
  // Request Query "SELECT * FROM nope"
  { dir: 0, data: F.query('SELECT * FROM nope') },
  // Response Error 1146, sqlstate 42S02, message "Table 'shop.nope' doesn't exist"
  { dir: 1, data: F.err(1, 1146, '42S02', "Table 'shop.nope' doesn't exist") },
  // Request Prepare Statement, mysql.query "SELECT a FROM t WHERE id = ?"
  { dir: 0, data: F.command(0x16, 'SELECT a FROM t WHERE id = ?') },
  // Response, mysql.stmt_id 7, mysql.num_params 1 (then 1 parameter + 1 column definition, each closed by EOF)
  { dir: 1, data: F.prepareOk(7, 1, 1) },
  // Request Execute Statement, mysql.stmt_id 7
  { dir: 0, data: F.stmtId(0x17, 7, Buffer.from([0, 1, 0, 0, 0, 0, 1, 3, 0, 5, 0, 0, 0])) },
  { dir: 1, data: executeResult },
  // Request Close Statement, mysql.stmt_id 7 (no response)
  { dir: 0, data: F.stmtId(0x19, 7) },
  // Request Use Database, mysql.schema shop
  { dir: 0, data: F.command(0x02, 'shop') },
  // Response OK
  { dir: 1, data: F.ok(1) },
  // Request Ping
  { dir: 0, data: F.command(0x0e) },
  // Response OK
  { dir: 1, data: F.ok(1) },
  // Request Show Fields (table t)
  { dir: 0, data: F.command(0x04, Buffer.from('t\0')) },
  // Response (1 field definition, EOF)
  { dir: 1, data: Buffer.concat([F.columnDef(1, 'a'), F.eof(2)]) },
  // Request Quit
  { dir: 0, data: F.command(0x01) },
];

const expectedRows = [
  ['LOGIN', 'LOGIN', undefined, 'shop', 'login ok', undefined, undefined, 'ok'],
  ['COM_QUERY', 'SELECT', 'SELECT a, b FROM t', undefined, 'rows=2', undefined, undefined, 'ok'],
  ['COM_QUERY', 'INSERT', 'INSERT INTO t VALUES (1)', undefined, 'affected_rows=3', undefined, undefined, 'ok'],
  ['COM_QUERY', 'SELECT', 'SELECT * FROM nope', undefined, undefined, 1146, "42S02: Table 'shop.nope' doesn't exist", 'server_error'],
  ['COM_STMT_PREPARE', 'SELECT', 'SELECT a FROM t WHERE id = ?', undefined, 'stmt_id=7 params=1 columns=1', undefined, undefined, 'ok'],
  ['COM_STMT_EXECUTE', 'SELECT', 'SELECT a FROM t WHERE id = ?', undefined, 'rows=1', undefined, undefined, 'ok'],
  ['COM_STMT_CLOSE', 'COM_STMT_CLOSE', 'SELECT a FROM t WHERE id = ?', undefined, undefined, undefined, undefined, 'ok'],
  ['COM_INIT_DB', 'COM_INIT_DB', 'shop', 'shop', 'affected_rows=0', undefined, undefined, 'ok'],
  ['COM_PING', 'COM_PING', undefined, undefined, 'affected_rows=0', undefined, undefined, 'ok'],
  ['COM_FIELD_LIST', 'COM_FIELD_LIST', 't', undefined, undefined, undefined, undefined, 'ok'],
  ['COM_QUIT', 'COM_QUIT', undefined, undefined, undefined, undefined, undefined, 'ok'],
];

describe('MySQL conversation', () => {
  test('records match tshark frame by frame', () => {
    const r = run(conversation);
    expect(summarize(r.records)).toEqual(expectedRows);
    expect(r.errors).toEqual([]);
    const greeting = r.messages[0];
    expect(greeting.type).toBe('other');
    expect(greeting.attributes).toMatchObject({ server_version: '8.0.32', connection_id: 8 });
    expect(r.messages[1].attributes).toMatchObject({ user: 'root' });
    expect(r.results.every((x) => x.status !== 'invalid')).toBe(true);
  });

  test.each([1, 2, 3, 5, 7, 64])('same records when every segment arrives in %i-byte chunks', (chunk) => {
    expect(summarize(run(conversation, chunk).records)).toEqual(expectedRows);
  });

  test('pipelined: all client bytes in one buffer, then all server bytes', () => {
    const client = Buffer.concat([F.query('SELECT 1'), F.query('DELETE FROM t'), F.command(0x0e)]);
    const server = Buffer.concat([F.resultSet(1), F.ok(1, 4), F.ok(1)]);
    // With the whole request queue before the responses, we know only the last command in flight; records still
    // pair in order since responses are counted as they complete.
    const r = run([{ dir: 0, data: client }, { dir: 1, data: server }]);
    expect(r.records.map((x) => x.request?.endpoint)).toEqual(['SELECT', 'DELETE', 'COM_PING']);
    expect(r.records.map((x) => x.response?.responseResult)).toEqual(['rows=1', 'affected_rows=4', 'affected_rows=0']);
  });

  test('response timing: a result set starts at its first packet and ends at its terminator', () => {
    const r = run([{ dir: 0, data: F.query('SELECT a, b FROM t') }, { dir: 1, data: F.resultSet(3) }], 9);
    const res = r.records[0].response as L7Message;
    expect(res.length).toBe(F.resultSet(3).length);
    expect(res.endTsUs).toBeGreaterThan(res.tsUs);
  });
});

describe('single packets', () => {
  // tshark: each of these decodes as one complete MySQL packet (Request Query / Request Ping / Response OK / Error 2013).
  test.each([
    ['COM_QUERY', 0 as const, F.query('select 1'), 'request'],
    ['COM_PING', 0 as const, F.command(0x0e), 'request'],
    ['COM_STMT_RESET', 0 as const, F.stmtId(0x1a, 3), 'request'],
    ['COM_CHANGE_USER', 0 as const, F.command(0x11, Buffer.from('bob\0\0shop\0')), 'request'],
  ])('%s: every strict prefix needs more, the whole packet parses', (_n, dir, bytes, type) => {
    for (let k = 0; k < bytes.length; k++) {
      const st = parser.newState();
      st.phase = 'command';
      expect(parser.parse(dir, bytes.subarray(0, k), st, ctx()).status).toBe('needs-more');
    }
    const st = parser.newState();
    st.phase = 'command';
    const r = parser.parse(dir, bytes, st, ctx());
    expect(r.status).toBe('ok');
    expect(r.consumed).toBe(bytes.length);
    expect(r.message?.type).toBe(type);
    expect(r.message?.tsUs).toBe(5);
    expect(r.message?.tcpSeq).toBe(77);
  });

  test('COM_CHANGE_USER carries user and database', () => {
    const st = parser.newState();
    st.phase = 'command';
    const m = parser.parse(0, F.command(0x11, Buffer.from('bob\0\0shop\0')), st, ctx()).message;
    expect(m).toMatchObject({ requestType: 'COM_CHANGE_USER', requestDomain: 'shop', attributes: { user: 'bob' } });
  });

  test('a 100 KiB query is returned from its first 4 KiB, the rest skipped without buffering', () => {
    const sql = `INSERT INTO t VALUES ${'(1),'.repeat(25_000)}(2)`;
    const bytes = F.query(sql);
    const st = parser.newState();
    st.phase = 'command';
    const r1 = parser.parse(0, bytes.subarray(0, 5000), st, ctx());
    expect(r1.status).toBe('ok');
    expect(r1.message?.length).toBe(bytes.length);
    expect(r1.message?.requestResource?.length).toBe(512);
    expect(r1.message?.endpoint).toBe('INSERT');
    let off = r1.consumed;
    while (off < bytes.length) {
      const r = parser.parse(0, bytes.subarray(off, Math.min(bytes.length, off + 7000)), st, ctx());
      expect(r.status).toBe('ignored');
      expect(r.consumed).toBeGreaterThan(0);
      off += r.consumed;
    }
    expect(off).toBe(bytes.length);
    expect(st.skip[0]).toBe(0);
  });

  test('a 16 MiB+ row (0xffffff continuation) is counted once', () => {
    const big = Buffer.alloc(0xffffff, 0x41);
    const first = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 5]), big]);
    const cont = F.pkt(6, Buffer.from('tail'));
    const head = Buffer.concat([F.pkt(1, Buffer.from([1])), F.columnDef(2, 'a'), F.eof(3), F.row(4, 'x')]);
    const r = run([{ dir: 0, data: F.query('SELECT a FROM t') }, { dir: 1, data: Buffer.concat([head, first, cont, F.eof(7)]) }]);
    expect(summarize(r.records)[0][4]).toBe('rows=2');
  });
});

describe('handshake variants', () => {
  // tshark: frame 2 "Response: SSL Handshake" (SSLRequest, CLIENT_SSL set); everything after is TLS.
  test('SSL request stops parsing; TLS bytes are ignored', () => {
    const r = run([{ dir: 1, data: F.greeting() }, { dir: 0, data: F.sslRequest() }, { dir: 0, data: Buffer.from([0x16, 3, 1, 0, 5, 1, 2, 3, 4, 5]) }, { dir: 1, data: Buffer.from([0x16, 3, 3, 0, 1, 9]) }]);
    expect(r.messages[1].attributes).toMatchObject({ tls: 1 });
    expect(r.records).toEqual([]);
    expect(r.state.phase).toBe('tls');
  });

  test('access denied at login: ERR 1045 answers the LOGIN request', () => {
    const r = run([{ dir: 1, data: F.greeting() }, { dir: 0, data: F.login('eve', null) }, { dir: 1, data: F.err(2, 1045, '28000', "Access denied for user 'eve'") }]);
    expect(summarize(r.records)).toEqual([['LOGIN', 'LOGIN', undefined, undefined, undefined, 1045, "28000: Access denied for user 'eve'", 'server_error']]);
  });

  test('auth switch and auth data are "other", not requests', () => {
    const r = run([
      { dir: 1, data: F.greeting() },
      { dir: 0, data: F.login() },
      { dir: 1, data: F.pkt(2, Buffer.concat([Buffer.from([0xfe]), Buffer.from('caching_sha2_password\0salt')])) },
      { dir: 0, data: F.pkt(3, Buffer.alloc(32, 1)) },
      { dir: 1, data: F.pkt(4, Buffer.from([0x01, 0x03])) },
      { dir: 1, data: F.ok(5) },
      { dir: 0, data: F.command(0x0e) },
      { dir: 1, data: F.ok(1) },
    ]);
    expect(r.messages.map((m) => `${m.type}:${String(m.attributes?.kind ?? m.requestType)}`)).toEqual([
      'other:greeting', 'request:login', 'other:auth_switch', 'other:auth_data', 'other:auth_more_data', 'response:LOGIN', 'request:COM_PING', 'response:COM_PING',
    ]);
    expect(r.records.map((x) => x.status)).toEqual(['ok', 'ok']);
  });

  test('server refusing the connection before the greeting (1130) is a lone LOGIN response', () => {
    const r = run([{ dir: 1, data: F.pkt(0, Buffer.concat([Buffer.from([0xff, 0x6a, 0x04]), Buffer.from("Host '10.0.0.1' is not allowed")])) }]);
    expect(r.records.map((x) => [x.response?.responseCode, x.status])).toEqual([[1130, 'server_error']]);
    expect(r.errors).toEqual([]);
  });

  // tshark (-d tcp.port==3306,mysql): frame 1 "Request Query" select 1; frame 2 "Response TABULAR Response OK"
  // (DEPRECATE_EOF: no EOF after column definitions, OK with 0xfe header ends the rows).
  test('CLIENT_DEPRECATE_EOF result set', () => {
    const caps = F.CAPS_41 | F.CAPS_DEPRECATE_EOF;
    const r = run([
      { dir: 1, data: F.greeting('8.0.32', 9, caps) },
      { dir: 0, data: F.login('root', 'shop', caps) },
      { dir: 1, data: F.ok(2) },
      { dir: 0, data: F.query('select 1') },
      { dir: 1, data: F.resultSet(3, true) },
    ]);
    expect(r.state.deprecateEof).toBe(true);
    expect(summarize(r.records)[1][4]).toBe('rows=3');
  });

  test('DEPRECATE_EOF result set mid-stream (capabilities unseen) still counts rows', () => {
    const r = run([{ dir: 0, data: F.query('select 1') }, { dir: 1, data: F.resultSet(1, true) }]);
    expect(summarize(r.records)[0][4]).toBe('rows=1');
  });

  // tshark: frame 3 "Request SLEEP" — it does not know the compressed protocol and reads its 7-byte header as a packet.
  test('compressed protocol is detected and left unparsed', () => {
    const r = run([{ dir: 0, data: F.compressedPlain(0, F.query('SELECT 2')) }, { dir: 1, data: Buffer.from([9, 0, 0, 1, 0, 0, 0, 5, 0, 0, 1, 0, 0, 0]) }]);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({ type: 'other', attributes: { compressed: 'unparsed' } });
    expect(r.state.phase).toBe('compressed');
    expect(r.records).toEqual([]);
  });

  test('multi-result (SERVER_MORE_RESULTS_EXISTS) is one response', () => {
    const first = Buffer.concat([F.pkt(1, Buffer.from([1])), F.columnDef(2, 'a'), F.eof(3), F.row(4, '1'), F.eof(5, 0x000a)]);
    const second = Buffer.concat([F.pkt(6, Buffer.from([1])), F.columnDef(7, 'a'), F.eof(8), F.row(9, '2'), F.row(10, '3'), F.eof(11, 0x000a)]);
    const r = run([{ dir: 0, data: F.query('CALL p()') }, { dir: 1, data: Buffer.concat([first, second, F.ok(12)]) }]);
    expect(summarize(r.records)).toEqual([['COM_QUERY', 'CALL', 'CALL p()', undefined, 'rows=3', undefined, undefined, 'ok']]);
  });

  test('COM_STMT_FETCH answer is rows then EOF', () => {
    const rows = Buffer.concat([F.pkt(1, Buffer.from([0, 0, 1, 0x61])), F.pkt(2, Buffer.from([0, 0, 1, 0x62])), F.eof(3, 0x0042)]);
    const r = run([{ dir: 0, data: F.stmtId(0x1c, 4, Buffer.from([10, 0, 0, 0])) }, { dir: 1, data: rows }]);
    expect(summarize(r.records)).toEqual([['COM_STMT_FETCH', 'COM_STMT_FETCH', 'stmt 4', undefined, 'rows=2', undefined, undefined, 'ok']]);
  });

  test('ERR in the middle of rows ends the response', () => {
    const partial = Buffer.concat([F.pkt(1, Buffer.from([1])), F.columnDef(2, 'a'), F.eof(3), F.row(4, '1'), F.err(5, 1317, '70100', 'Query execution was interrupted')]);
    const r = run([{ dir: 0, data: F.query('SELECT SLEEP(10)') }, { dir: 1, data: partial }]);
    expect(summarize(r.records)[0].slice(4)).toEqual(['rows=1', 1317, '70100: Query execution was interrupted', 'server_error']);
  });
});

describe('stitching', () => {
  test('lone request at final is a timeout; STMT_CLOSE and QUIT stand alone as ok', () => {
    const r = run([{ dir: 0, data: F.stmtId(0x19, 1) }, { dir: 0, data: F.query('select 1') }, { dir: 1, data: F.ok(1) }, { dir: 0, data: F.query('select 2') }]);
    expect(r.records.map((x) => [x.request?.requestType, x.response ? 'resp' : '-', x.status])).toEqual([
      ['COM_STMT_CLOSE', '-', 'ok'],
      ['COM_QUERY', 'resp', 'ok'],
      ['COM_QUERY', '-', 'timeout'],
    ]);
  });

  test('response without request is reported', () => {
    const r = run([{ dir: 1, data: F.ok(1) }]);
    expect(r.records.map((x) => x.status)).toEqual(['ok']);
    expect(r.errors).toEqual(['response without request']);
  });

  test('not final: a response waits for its request', () => {
    const reqs: L7Message[] = [];
    const res: L7Message[] = [{ type: 'response', tsUs: 1, endTsUs: 1, tcpSeq: 0, length: 11, responseStatus: 'ok' }];
    const s = parser.stitch(reqs, res, parser.newState(), false);
    expect(s.records).toEqual([]);
    expect(res).toHaveLength(1);
  });
});

describe('helpers', () => {
  test.each([
    [1146, 'server_error'],
    [1045, 'server_error'],
    [2013, 'client_error'],
    [3024, 'server_error'],
  ])('error %i → %s', (code, status) => {
    expect(errorStatus(code)).toBe(status);
  });

  test.each([
    ['select 1', 'SELECT'],
    ['  /* hint */ Update t set a=1', 'UPDATE'],
    ['-- c\ninsert into t values (1)', 'INSERT'],
    ['(SELECT 1) UNION (SELECT 2)', 'SELECT'],
    ['123', undefined],
  ])('keyword of %j is %s', (sql, kw) => {
    expect(sqlKeyword(sql)).toBe(kw);
  });
});

describe('detect', () => {
  test.each([
    ['server greeting', 1 as const, F.greeting(), true],
    ['COM_QUERY', 0 as const, F.query('SELECT 1'), true],
    ['COM_PING', 0 as const, F.command(0x0e), true],
    ['COM_STMT_EXECUTE', 0 as const, F.stmtId(0x17, 1, Buffer.from([0, 1, 0, 0, 0])), true],
    ['HTTP request', 0 as const, Buffer.from('GET / HTTP/1.1\r\n\r\n'), false],
    ['TLS client hello', 0 as const, Buffer.from([0x16, 3, 1, 0, 0x40, 1, 0, 0, 0x3c]), false],
    ['query with seq 1', 0 as const, F.pkt(1, Buffer.from('\x03select 1')), false],
    ['query with binary text', 0 as const, F.command(0x03, Buffer.from([0, 1, 2, 3])), false],
    ['greeting with wrong protocol', 1 as const, F.pkt(0, Buffer.concat([Buffer.from([9]), F.greeting().subarray(5)])), false],
    ['short', 0 as const, Buffer.from([1, 0, 0]), false],
    ['length shorter than bytes', 0 as const, Buffer.concat([F.command(0x0e), Buffer.alloc(10)]), false],
  ])('%s → %s', (_n, dir, bytes, want) => {
    expect(parser.detect(dir, bytes, ctx())).toBe(want);
  });
});

describe('malformed', () => {
  test.each([
    ['unknown command byte', F.command(0xee, 'x'), 'unknown command 0xee'],
    ['empty command packet', F.pkt(0, Buffer.alloc(0)), 'empty command packet'],
  ])('%s → invalid', (_n, bytes, error) => {
    const st = parser.newState();
    st.phase = 'command';
    const r = parser.parse(0, bytes, st, ctx());
    expect(r).toMatchObject({ status: 'invalid', error });
    expect(r.consumed).toBe(bytes.length);
  });

  test.each([
    ['truncated ERR', F.pkt(1, Buffer.from([0xff, 0x7a]))],
    ['garbage column count', F.pkt(1, Buffer.from([0xfc, 1]))],
    ['greeting without NUL', F.pkt(0, Buffer.from([10, 0x41, 0x42]))],
  ])('%s does not throw and consumes the packet', (_n, bytes) => {
    const st = parser.newState();
    const r = parser.parse(1, bytes, st, ctx());
    expect(r.consumed).toBe(bytes.length);
  });
});
