// Unit tests of the PostgreSQL parser: every message type, sessions, pipelining, splits, stitching, malformed input.
import { describe, expect, test } from 'vitest';
import type { ParseContext } from '../types.js';
import { parser } from './index.js';
import { statusOfSqlState } from './sqlstate.js';
import { firstKeyword } from './sql-text.js';
import { drive } from './test-support/drive.js';
import { haveTshark, tsharkPgsql } from './test-support/pcap.js';
import type { Segment } from './test-support/pcap.js';
import { be, fe, msg } from './test-support/pg-messages.js';
import { MAX_PORTALS, MAX_STATEMENTS } from './types.js';

const ctx: ParseContext = { tsUs: 1, tcpSeq: 7, transport: 'tcp', serverPort: 5432 };
const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);

// ------------------------------------------------------------------ fixtures (what tshark 4.0.17 decodes from them)

// tshark: 'Startup message' (user=alice, database=shop, application_name=psql) → 'Authentication request' ×3 (SASL,
// SASL continue, SASL final), 'Authentication request' (ok), 'Parameter status' server_version=16.2, 'Backend key
// data', 'Ready for query'; client 'SASLInitialResponse message', 'SASLResponse message' in between.
const login: Segment[] = [
  { dir: 0, data: fe.startup({ user: 'alice', database: 'shop', application_name: 'psql' }) },
  { dir: 1, data: be.authSasl() },
  { dir: 0, data: fe.password('n,,n=,r=abc') },
  { dir: 1, data: be.authSaslContinue('r=abcdef,s=salt,i=4096') },
  { dir: 0, data: fe.password('c=biws,r=abcdef,p=proof') },
  { dir: 1, data: cat(be.authSaslFinal('v=sig'), be.authOk(), be.parameterStatus('server_version', '16.2'), be.backendKey(4242, 99), be.ready()) },
];
// tshark: 'Simple query' pgsql.query="SELECT id FROM t" → 'Row description', 'Data row' ×2, 'Command completion'
// pgsql.tag="SELECT 2", 'Ready for query'.
const simple: Segment[] = [
  { dir: 0, data: fe.query('SELECT id FROM t') },
  { dir: 1, data: cat(be.rowDescription(['id']), be.dataRow(['1']), be.dataRow(['2']), be.commandComplete('SELECT 2'), be.ready()) },
];
// tshark: 'Parse' (statement s1, query "SELECT $1"), 'Bind' (statement s1), 'Describe', 'Execute', 'Sync' →
// 'Parse completion', 'Bind completion', 'No data', 'Error' pgsql.code=42P01, 'Ready for query'.
const extendedError: Segment[] = [
  { dir: 0, data: cat(fe.parse('s1', 'SELECT $1'), fe.bind('', 's1', ['7']), fe.describe('P', ''), fe.execute(''), fe.sync()) },
  { dir: 1, data: cat(be.parseComplete(), be.bindComplete(), be.noData(), be.error('42P01', 'relation "t" does not exist'), be.ready('E')) },
];
// tshark: 'Bind' (statement s1), 'Execute', 'Sync' → 'Bind completion', 'Data row', 'Command completion'
// pgsql.tag="SELECT 1", 'Ready for query' (the statement was parsed in an earlier batch).
const reExecute: Segment[] = [
  { dir: 0, data: cat(fe.bind('', 's1', ['8']), fe.execute(''), fe.sync()) },
  { dir: 1, data: cat(be.bindComplete(), be.dataRow(['8']), be.commandComplete('SELECT 1'), be.ready()) },
];
// tshark: 'Simple query' "COPY t FROM STDIN" → 'CopyIn response'; client 'Copy data' ×2, 'Copy completion' →
// 'Command completion' pgsql.tag="COPY 2", 'Ready for query'.
const copyIn: Segment[] = [
  { dir: 0, data: fe.query('COPY t FROM STDIN') },
  { dir: 1, data: be.copyInResponse() },
  { dir: 0, data: cat(fe.copyData('1\n'), fe.copyData('2\n'), fe.copyDone()) },
  { dir: 1, data: cat(be.commandComplete('COPY 2'), be.ready()) },
];
// tshark: 'Simple query' "COPY t TO STDOUT" → 'CopyOut response', 'Copy data', 'Copy completion', 'Command
// completion' pgsql.tag="COPY 1", 'Ready for query'; then 'Termination'.
const copyOut: Segment[] = [
  { dir: 0, data: fe.query('COPY t TO STDOUT') },
  { dir: 1, data: cat(be.copyOutResponse(), be.copyData('1\n'), be.copyDone(), be.commandComplete('COPY 1'), be.ready()) },
  { dir: 0, data: fe.terminate() },
];
// tshark: 'Close' (statement s1), 'Flush', 'Sync' → 'Close completion', 'Ready for query'; 'Function call' →
// 'Function call response', 'Ready for query'; 'Simple query' "" → 'Empty query', 'Ready for query'; then
// 'Notification' and 'Notice' pgsql.code=01000 while idle.
const misc: Segment[] = [
  { dir: 0, data: cat(fe.close('S', 's1'), fe.flush(), fe.sync()) },
  { dir: 1, data: cat(be.closeComplete(), be.ready()) },
  { dir: 0, data: fe.functionCall(1598) },
  { dir: 1, data: cat(be.functionResult('1'), be.ready()) },
  { dir: 0, data: fe.query('') },
  { dir: 1, data: cat(be.emptyQuery(), be.ready()) },
  { dir: 1, data: cat(be.notification(77, 'jobs', 'new'), be.notice('01000', 'careful')) },
];
// tshark: 'Parse' "SELECT * FROM big WHERE id = $1", 'Describe' (statement), 'Sync' → 'Parse completion', 'Parameter
// description', 'Row description', 'Ready for query'; then 'Bind', 'Execute' (max rows 1), 'Sync' → 'Bind
// completion', 'Data row', 'Portal suspended', 'Ready for query'.
const describeSuspend: Segment[] = [
  { dir: 0, data: cat(fe.parse('big', 'SELECT * FROM big WHERE id = $1', [23]), fe.describe('S', 'big'), fe.sync()) },
  { dir: 1, data: cat(be.parseComplete(), be.parameterDescription([23]), be.rowDescription(['id']), be.ready()) },
  { dir: 0, data: cat(fe.bind('p1', 'big', ['1']), fe.execute('p1', 1), fe.sync()) },
  { dir: 1, data: cat(be.bindComplete(), be.dataRow(['1']), be.portalSuspended(), be.ready()) },
];
// tshark: 'SSL request' → a 1-byte answer 'S' shown without a pgsql type, then TLS (here one fake record).
const sslAccepted: Segment[] = [
  { dir: 0, data: fe.sslRequest() },
  { dir: 1, data: Buffer.from('S') },
  { dir: 0, data: Buffer.from([0x16, 0x03, 0x01, 0x00, 0x02, 0x01, 0x00]) },
  { dir: 1, data: Buffer.from([0x16, 0x03, 0x03, 0x00, 0x02, 0x02, 0x00]) },
];
// tshark: 'Cancel request' (its own connection, no answer).
const cancel: Segment[] = [{ dir: 0, data: fe.cancel(4242, 99) }];
// tshark: 'Startup message' (user=bob) → 'Authentication request' (MD5); 'Password message' → 'Error'
// pgsql.code=28P01 (FATAL), and the server closes.
const loginFail: Segment[] = [
  { dir: 0, data: fe.startup({ user: 'bob' }) },
  { dir: 1, data: be.authMd5() },
  { dir: 0, data: fe.password('md5abc') },
  { dir: 1, data: be.error('28P01', 'password authentication failed for user "bob"', 'FATAL') },
];

const fixtures: { name: string; segments: Segment[]; tshark: string[]; fields?: Record<string, string[]> }[] = [
  { name: 'login', segments: login, tshark: ['Startup message', 'Authentication request', 'SASLInitialResponse message', 'Authentication request', 'SASLResponse message', 'Authentication request,Authentication request,Parameter status,Backend key data,Ready for query'], fields: { 'pgsql.parameter_value': ['alice', 'shop', 'psql', '16.2'] } },
  { name: 'simple', segments: simple, tshark: ['Simple query', 'Row description,Data row,Data row,Command completion,Ready for query'], fields: { 'pgsql.query': ['SELECT id FROM t'], 'pgsql.tag': ['SELECT 2'] } },
  { name: 'extendedError', segments: extendedError, tshark: ['Parse,Bind,Describe,Execute,Sync', 'Parse completion,Bind completion,No data,Error,Ready for query'], fields: { 'pgsql.query': ['SELECT $1'], 'pgsql.code': ['42P01'] } },
  { name: 'reExecute', segments: reExecute, tshark: ['Bind,Execute,Sync', 'Bind completion,Data row,Command completion,Ready for query'] },
  { name: 'copyIn', segments: copyIn, tshark: ['Simple query', 'CopyIn response', 'Copy data,Copy data,Copy completion', 'Command completion,Ready for query'] },
  { name: 'copyOut', segments: copyOut, tshark: ['Simple query', 'CopyOut response,Copy data,Copy completion,Command completion,Ready for query', 'Termination'] },
  { name: 'misc', segments: misc, tshark: ['Close,Flush,Sync', 'Close completion,Ready for query', 'Function call', 'Function call response,Ready for query', 'Simple query', 'Empty query,Ready for query', 'Notification,Notice'] },
  { name: 'describeSuspend', segments: describeSuspend, tshark: ['Parse,Describe,Sync', 'Parse completion,Parameter description,Row description,Ready for query', 'Bind,Execute,Sync', 'Bind completion,Data row,Portal suspended,Ready for query'] },
  { name: 'sslAccepted', segments: sslAccepted, tshark: ['SSL request', '', '', ''] },
  { name: 'cancel', segments: cancel, tshark: ['Cancel request'] },
  { name: 'loginFail', segments: loginFail, tshark: ['Startup message', 'Authentication request', 'Password message', 'Error'], fields: { 'pgsql.code': ['28P01'] } },
];

describe('fixtures decode in tshark as their comments say', () => {
  const ok = haveTshark();
  test.each(fixtures)('$name', ({ segments, tshark, fields }) => {
    if (!ok) {
      if (process.env.CI === 'true') throw new Error('tshark missing in CI');
      console.warn('tshark not installed: fixture comments not verified');
      return;
    }
    const names = Object.keys(fields ?? {});
    const layers = tsharkPgsql(segments, ['pgsql.type', ...names]);
    expect(layers.map((l) => (l['pgsql.type'] ?? []).join(','))).toEqual(tshark);
    for (const f of names) expect(layers.flatMap((l) => l[f] ?? [])).toEqual(fields?.[f]);
  });
});

// ------------------------------------------------------------------ sessions

describe('sessions', () => {
  test('login: startup is a request answered by the whole authentication exchange', () => {
    const d = drive(login);
    expect(d.errors).toEqual([]);
    expect(d.records).toHaveLength(1);
    const [r] = d.records;
    expect(r.status).toBe('ok');
    expect(r.request).toMatchObject({ requestType: 'STARTUP', requestDomain: 'shop', version: '3.0', attributes: { user: 'alice', application_name: 'psql' } });
    expect(r.response).toMatchObject({ responseStatus: 'ok', attributes: { auth: 'SCRAM-SHA-256', server_version: '16.2', backend_pid: 4242 } });
    // Password messages are 'other' and never carry the secret.
    const others = d.messages.filter((m) => m.type === 'other');
    expect(others.map((m) => m.requestType)).toEqual(['PASSWORD', 'PASSWORD']);
    expect(JSON.stringify(others)).not.toContain('proof');
  });

  test('simple query after login: domain, resource, endpoint, rows, tag', () => {
    const d = drive([...login, ...simple]);
    const r = d.records[1];
    expect(r.request).toMatchObject({ requestType: 'QUERY', requestDomain: 'shop', requestResource: 'SELECT id FROM t', endpoint: 'SELECT', length: 22 });
    expect(r.response).toMatchObject({ responseStatus: 'ok', responseResult: 'SELECT 2', attributes: { rows: 2, transaction: 'I' } });
    expect(r.response?.length).toBe(simple[1].data.length);
  });

  test('extended query: Parse/Bind/Execute/Sync is one EXECUTE request; the error ends the response', () => {
    const d = drive([...extendedError, ...reExecute]);
    expect(d.errors).toEqual([]);
    expect(d.records).toHaveLength(2);
    expect(d.records[0]).toMatchObject({ status: 'client_error', request: { requestType: 'EXECUTE', requestResource: 'SELECT $1', endpoint: 'SELECT', attributes: { statement: 's1' } } });
    // 42P01 is not all digits: no numeric responseCode, the SQLSTATE text is in attributes.sqlstate.
    expect(d.records[0].response?.responseCode).toBeUndefined();
    expect(d.records[0].response).toMatchObject({ responseException: 'relation "t" does not exist', attributes: { sqlstate: '42P01', severity: 'ERROR' } });
    expect(d.records[1]).toMatchObject({ status: 'ok', request: { requestType: 'EXECUTE', requestResource: 'SELECT $1' }, response: { responseResult: 'SELECT 1', attributes: { rows: 1 } } });
  });

  test('COPY in and out fold into the COPY request; Terminate is other', () => {
    const d = drive([...copyIn, ...copyOut]);
    expect(d.records.map((r) => [r.request?.requestResource, r.response?.responseResult, r.status])).toEqual([
      ['COPY t FROM STDIN', 'COPY 2', 'ok'],
      ['COPY t TO STDOUT', 'COPY 1', 'ok'],
    ]);
    expect(d.records[1].response?.attributes).toMatchObject({ copy_data: 1 });
    expect(d.messages.at(-1)).toMatchObject({ type: 'other', requestType: 'TERMINATE' });
  });

  test('Close/Flush/Sync, function call, empty query, idle notification and notice', () => {
    const d = drive(misc);
    expect(d.records.map((r) => [r.request?.requestType, r.response?.responseResult, r.status])).toEqual([
      ['CLOSE', undefined, 'ok'],
      ['FUNCTION_CALL', undefined, 'ok'],
      ['QUERY', 'EMPTY', 'ok'],
    ]);
    expect(d.messages.filter((m) => m.type === 'push')).toMatchObject([
      { requestType: 'NOTIFICATION', requestResource: 'jobs', responseResult: 'new' },
      { requestType: 'NOTICE', responseResult: 'careful', attributes: { sqlstate: '01000' } },
    ]);
  });

  test('Describe-only batch is PARSE; a named portal with max rows is EXECUTE with its statement', () => {
    const d = drive(describeSuspend);
    expect(d.records.map((r) => [r.request?.requestType, r.request?.requestResource, r.request?.attributes?.portal, r.status])).toEqual([
      ['PARSE', 'SELECT * FROM big WHERE id = $1', undefined, 'ok'],
      ['EXECUTE', 'SELECT * FROM big WHERE id = $1', 'p1', 'ok'],
    ]);
  });

  test('SSLRequest accepted: one record with tls, everything after is opaque', () => {
    const d = drive(sslAccepted);
    expect(d.errors).toEqual([]);
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ status: 'ok', request: { requestType: 'SSL_REQUEST', length: 8 }, response: { responseResult: 'S', attributes: { tls: 'accepted' } } });
    expect(d.state.encrypted).toBe(true);
  });

  test('SSLRequest refused then plain startup', () => {
    const d = drive([{ dir: 0, data: fe.sslRequest() }, { dir: 1, data: Buffer.from('N') }, ...login]);
    expect(d.records.map((r) => [r.request?.requestType, r.response?.attributes?.tls])).toEqual([['SSL_REQUEST', 'refused'], ['STARTUP', undefined]]);
  });

  test('CancelRequest is a lone request with status ok', () => {
    const d = drive(cancel);
    expect(d.records).toEqual([{ request: expect.objectContaining({ requestType: 'CANCEL', attributes: { backend_pid: 4242 } }), status: 'ok' }]);
  });

  test('login failure: 28P01 is a client error', () => {
    const d = drive(loginFail);
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ status: 'client_error', request: { requestDomain: 'bob' }, response: { responseException: 'password authentication failed for user "bob"', attributes: { sqlstate: '28P01', severity: 'FATAL', auth: 'md5' } } });
  });

  test('pipelined simple queries in one segment and all responses in one segment', () => {
    const d = drive([
      { dir: 0, data: cat(fe.query('SELECT 1'), fe.query('SELECT 2'), fe.query('BOOM')) },
      { dir: 1, data: cat(be.commandComplete('SELECT 1'), be.ready(), be.commandComplete('SELECT 1'), be.ready(), be.error('42601', 'syntax error at or near "BOOM"'), be.ready()) },
    ]);
    expect(d.records.map((r) => [r.request?.requestResource, r.status, r.response?.responseCode])).toEqual([
      ['SELECT 1', 'ok', undefined],
      ['SELECT 2', 'ok', undefined],
      ['BOOM', 'client_error', 42601],
    ]);
  });

  test('multi-statement query: rows and commands are counted, the last tag is the result', () => {
    const d = drive([
      { dir: 0, data: fe.query('SELECT 1; SELECT 2') },
      { dir: 1, data: cat(be.rowDescription(['a']), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.rowDescription(['b']), be.dataRow(['2']), be.commandComplete('SELECT 1'), be.ready()) },
    ]);
    expect(d.records[0].response).toMatchObject({ responseResult: 'SELECT 1', attributes: { rows: 2, commands: 2 } });
  });

  test('two Executes before one Sync make one request (one ReadyForQuery)', () => {
    const d = drive([
      { dir: 0, data: cat(fe.parse('', 'BEGIN'), fe.bind('', ''), fe.execute(''), fe.parse('', 'SELECT 1'), fe.bind('', ''), fe.execute(''), fe.sync()) },
      { dir: 1, data: cat(be.parseComplete(), be.bindComplete(), be.commandComplete('BEGIN'), be.parseComplete(), be.bindComplete(), be.dataRow(['1']), be.commandComplete('SELECT 1'), be.ready('T')) },
    ]);
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ status: 'ok', request: { requestType: 'EXECUTE', requestResource: 'BEGIN', attributes: { executes: 2 } }, response: { attributes: { transaction: 'T' } } });
  });
});

// ------------------------------------------------------------------ every message type, one at a time

describe('message types', () => {
  const afterStartup = () => {
    const s = parser.newState();
    s.startupDone = true;
    return s;
  };
  test.each([
    ['Q', fe.query('select 1'), 'ok'],
    ['P', fe.parse('a', 'select 1'), 'ignored'],
    ['B', fe.bind('', 'a'), 'ignored'],
    ['D', fe.describe('S', 'a'), 'ignored'],
    ['E', fe.execute(''), 'ignored'],
    ['C', fe.close('P', ''), 'ignored'],
    ['H', fe.flush(), 'ignored'],
    ['S', fe.sync(), 'ok'],
    ['X', fe.terminate(), 'ok'],
    ['d', fe.copyData('x'), 'ignored'],
    ['c', fe.copyDone(), 'ignored'],
    ['f', fe.copyFail('no'), 'ignored'],
    ['F', fe.functionCall(1), 'ok'],
    ['p', fe.password('x'), 'ok'],
  ] as const)('frontend %s', (_t, bytes, status) => {
    const r = parser.parse(0, bytes, afterStartup(), ctx);
    expect(r).toMatchObject({ status, consumed: bytes.length });
  });

  test.each([
    ['R', be.authOk(), 'ignored'],
    ['S', be.parameterStatus('a', 'b'), 'ignored'],
    ['K', be.backendKey(1, 2), 'ignored'],
    ['Z', be.ready(), 'ok'],
    ['T', be.rowDescription(['a']), 'ignored'],
    ['D', be.dataRow(['a']), 'ignored'],
    ['C', be.commandComplete('SELECT 1'), 'ignored'],
    ['E', be.error('XX000', 'boom'), 'ok'],
    ['N', be.notice('01000', 'n'), 'ignored'],
    ['G', be.copyInResponse(), 'ignored'],
    ['H', be.copyOutResponse(), 'ignored'],
    ['W', msg('W', Buffer.from([0, 0, 0])), 'ignored'],
    ['d', be.copyData('x'), 'ignored'],
    ['c', be.copyDone(), 'ignored'],
    ['1', be.parseComplete(), 'ignored'],
    ['2', be.bindComplete(), 'ignored'],
    ['3', be.closeComplete(), 'ignored'],
    ['n', be.noData(), 'ignored'],
    ['s', be.portalSuspended(), 'ignored'],
    ['I', be.emptyQuery(), 'ignored'],
    ['t', be.parameterDescription([23]), 'ignored'],
    ['A', be.notification(1, 'c', 'p'), 'ignored'],
    ['V', be.functionResult('1'), 'ignored'],
    ['v', msg('v', Buffer.from([0, 0, 0, 0, 0, 0, 0, 0])), 'ignored'],
  ] as const)('backend %s (inside a response cycle)', (_t, bytes, status) => {
    const s = afterStartup();
    s.outstanding = 1;
    const r = parser.parse(1, bytes, s, ctx);
    expect(r).toMatchObject({ status, consumed: bytes.length });
  });

  test('an ErrorResponse with a class-XX code is a server error; the following ReadyForQuery is skipped', () => {
    const s = afterStartup();
    s.outstanding = 1;
    const e = parser.parse(1, be.error('XX000', 'internal'), s, ctx);
    expect(e.message).toMatchObject({ type: 'response', responseStatus: 'server_error', responseException: 'internal', attributes: { sqlstate: 'XX000' } });
    expect(e.message?.responseCode).toBeUndefined();
    expect(parser.parse(1, be.ready(), s, ctx)).toMatchObject({ status: 'ignored', consumed: 6 });
    expect(s.cycle).toBeNull();
  });
});

// ------------------------------------------------------------------ splits and large bodies

describe('split at every byte boundary', () => {
  test.each([
    ['startup', 0, fe.startup({ user: 'u', database: 'd' })],
    ['query', 0, fe.query('SELECT * FROM t WHERE a = 1')],
    ['parse', 0, fe.parse('n', 'SELECT 1')],
    ['error', 1, be.error('23505', 'duplicate key')],
    ['ready', 1, be.ready()],
    ['command complete', 1, be.commandComplete('INSERT 0 1')],
  ] as const)('%s', (_n, dir, bytes) => {
    const whole = parser.parse(dir, bytes, parser.newState(), ctx);
    for (let cut = 0; cut < bytes.length; cut++) {
      const s = parser.newState();
      expect(parser.parse(dir, bytes.subarray(0, cut), s, ctx)).toEqual({ status: 'needs-more', consumed: 0 });
      expect(parser.parse(dir, bytes, s, ctx)).toEqual(whole);
    }
  });

  test('a whole session split into 1..7-byte segments gives the same records', () => {
    const all = [...login, ...simple, ...extendedError, ...copyIn];
    const expected = drive(all).records;
    for (const size of [1, 2, 3, 7]) {
      const segs: Segment[] = all.flatMap((s) => {
        const out: Segment[] = [];
        for (let i = 0; i < s.data.length; i += size) out.push({ dir: s.dir, data: s.data.subarray(i, i + size) });
        return out;
      });
      const got = drive(segs).records;
      // Timestamps differ (more segments), the rest must not.
      const strip = (r: typeof got) => r.map((x) => [x.status, x.request?.requestType, x.request?.requestResource, x.request?.length, x.response?.length, x.response?.responseResult]);
      expect(strip(got)).toEqual(strip(expected));
    }
  });

  test('a 1 MiB DataRow is not buffered: the header is enough, the body is skipped', () => {
    const big = be.dataRow(['x'.repeat(1 << 20)]);
    const s = parser.newState();
    s.outstanding = 1;
    expect(parser.parse(1, big.subarray(0, 3), s, ctx).status).toBe('needs-more');
    const r = parser.parse(1, big.subarray(0, 1000), s, ctx);
    expect(r).toEqual({ status: 'ignored', consumed: 1000 });
    expect(s.skip[1]).toBe(big.length - 1000);
    const r2 = parser.parse(1, cat(big.subarray(1000), be.commandComplete('SELECT 1')), s, ctx);
    expect(r2).toEqual({ status: 'ignored', consumed: big.length - 1000 });
    expect(s.cycle?.rows).toBe(1);
  });

  test('a huge query waits for 16 KiB at most and keeps 512 characters of SQL', () => {
    const q = fe.query(`INSERT INTO t VALUES ${'(1),'.repeat(100_000)}(1)`);
    const s = parser.newState();
    s.startupDone = true;
    expect(parser.parse(0, q.subarray(0, 16 * 1024 - 1), s, ctx).status).toBe('needs-more');
    const r = parser.parse(0, q.subarray(0, 16 * 1024), s, ctx);
    expect(r.status).toBe('ok');
    expect(r.message).toMatchObject({ requestType: 'QUERY', endpoint: 'INSERT', length: q.length });
    expect(r.message?.requestResource).toHaveLength(512);
    expect(s.skip[0]).toBe(q.length - 16 * 1024);
  });
});

// ------------------------------------------------------------------ stitching

describe('stitching', () => {
  test('a query without answer is a timeout at the end of the flow, and waits before it', () => {
    const d = drive([{ dir: 0, data: fe.query('SELECT pg_sleep(100)') }], false);
    expect(d.records).toEqual([]);
    const s = parser.stitch([], [], d.state, true);
    expect(s.records).toEqual([]);
    const d2 = drive([{ dir: 0, data: fe.query('SELECT pg_sleep(100)') }]);
    expect(d2.records.map((r) => r.status)).toEqual(['timeout']);
  });

  test('a batch cut before Sync and a response cut before ReadyForQuery are flushed at the end', () => {
    const d = drive([
      { dir: 0, data: cat(fe.parse('', 'SELECT 1'), fe.bind('', ''), fe.execute('')) },
      { dir: 1, data: cat(be.parseComplete(), be.bindComplete(), be.dataRow(['1'])) },
    ]);
    expect(d.records).toHaveLength(1);
    expect(d.records[0]).toMatchObject({ status: 'unknown', request: { requestType: 'EXECUTE', requestResource: 'SELECT 1' }, response: { attributes: { rows: 1, incomplete: 1 } } });
    expect(d.state.batch).toBeNull();
    expect(d.state.cycle).toBeNull();
  });

  test('a response without request (capture started mid-connection) is reported', () => {
    const d = drive([{ dir: 1, data: cat(be.commandComplete('SELECT 0'), be.ready()) }]);
    expect(d.records).toMatchObject([{ status: 'ok', response: { responseResult: 'SELECT 0' } }]);
    expect(d.errors).toEqual(['response without request']);
  });

  test('the statement map is bounded', () => {
    const s = parser.newState();
    s.startupDone = true;
    for (let i = 0; i < MAX_STATEMENTS + 50; i++) parser.parse(0, cat(fe.parse(`s${i}`, 'SELECT 1'), fe.bind(`p${i}`, `s${i}`)), s, ctx);
    for (let i = 0; i < MAX_STATEMENTS + 50; i++) parser.parse(0, fe.bind(`p${i}`, `s${i}`), s, ctx);
    expect(s.statements.size).toBe(MAX_STATEMENTS);
    expect(s.portals.size).toBe(MAX_PORTALS);
    expect(s.statements.has('s0')).toBe(false);
  });
});

// ------------------------------------------------------------------ malformed input, detection, mappings

describe('malformed input', () => {
  test.each([
    ['unknown frontend type', 0, Buffer.from('zzzzzzzz')],
    ['Sync with a body', 0, msg('S', Buffer.from([1]))],
    ['length below 4', 0, Buffer.from([0x51, 0, 0, 0, 2, 0])],
    ['unknown backend type', 1, Buffer.from('?\0\0\0\x04')],
    ['ReadyForQuery of length 6', 1, msg('Z', Buffer.from('II'))],
    ['length over 1 GiB', 1, Buffer.from([0x44, 0x7f, 0xff, 0xff, 0xff])],
  ] as const)('%s is invalid and consumed', (_n, dir, bytes) => {
    const s = parser.newState();
    s.startupDone = true;
    const r = parser.parse(dir, bytes, s, ctx);
    expect(r.status).toBe('invalid');
    expect(r.consumed).toBe(bytes.length);
    expect(r.error).toBeTruthy();
  });

  test('an untyped message that is no startup is invalid', () => {
    expect(parser.parse(0, Buffer.from([0, 0, 0, 8, 0, 9, 9, 9]), parser.newState(), ctx).status).toBe('invalid');
  });

  test('a NUL byte after the startup phase is invalid', () => {
    const s = parser.newState();
    s.startupDone = true;
    expect(parser.parse(0, fe.startup({ user: 'x' }), s, ctx).status).toBe('invalid');
  });

  test('strings without NUL inside a message do not break parsing', () => {
    const s = parser.newState();
    s.startupDone = true;
    const r = parser.parse(0, msg('Q', Buffer.from('SELECT 1')), s, ctx);
    expect(r.message).toMatchObject({ requestResource: 'SELECT 1' });
    const e = parser.parse(1, msg('E', Buffer.from('CXX0')), s, ctx);
    expect(e.message).toMatchObject({ responseStatus: 'server_error', attributes: { sqlstate: 'XX0' } });
  });
});

describe('detection', () => {
  test.each([
    [0, fe.startup({ user: 'u' }), true],
    [0, fe.sslRequest(), true],
    [0, fe.cancel(1, 2), true],
    [0, fe.gssencRequest(), true],
    [0, fe.query('select 1'), true],
    [0, cat(fe.parse('', 'x'), fe.sync()), true],
    [1, cat(be.authOk(), be.ready()), true],
    [1, be.ready(), true],
    [0, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), false],
    [1, Buffer.from('HTTP/1.1 200 OK\r\n'), false],
    [0, Buffer.from('DELETE /x HTTP/1.1\r\n'), false],
    [0, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), false],
    [0, Buffer.alloc(0), false],
    [1, Buffer.from('+OK\r\n'), false],
  ] as const)('dir %i %#', (dir, bytes, expected) => {
    expect(parser.detect(dir, bytes, ctx)).toBe(expected);
  });
});

describe('SQLSTATE → status', () => {
  test.each([
    ['08006', 'server_error'], ['53100', 'server_error'], ['54000', 'server_error'], ['57P01', 'server_error'],
    ['58030', 'server_error'], ['XX000', 'server_error'], ['F0000', 'server_error'],
    ['22012', 'client_error'], ['23505', 'client_error'], ['42601', 'client_error'], ['28P01', 'client_error'],
    ['40001', 'client_error'], ['0A000', 'client_error'], ['01000', 'ok'], ['', 'unknown'], ['123', 'unknown'],
  ] as const)('%s → %s', (code, status) => {
    expect(statusOfSqlState(code)).toBe(status);
  });

  test.each([
    ['SELECT 1', 'SELECT'], ['  -- c\n/* x */ (select 1)', 'SELECT'], ['with x as (select 1) select * from x', 'WITH'],
    ['', undefined], ['/* never closed', undefined], ['123', undefined],
  ] as const)('first keyword of %j', (sql, kw) => {
    expect(firstKeyword(sql)).toBe(kw);
  });
});
