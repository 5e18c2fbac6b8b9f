// The engine service for real: a database imported from the sample capture, HTTP and WebSocket clients on loopback.
// Security: the token, the Host check, loopback-only binding, a SQL console that cannot write or attach files.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { connect } from 'node:net';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCaptures } from '@rewind/analysis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ApiResponse, ServiceEvent } from '../common/api.js';
import { startService } from './server.js';
import type { RunningService } from './server.js';

const sample = fileURLToPath(new URL('../../../sample-captures/loopback-http.pcap', import.meta.url));
let dir: string;
let dbPath: string;
let svc: RunningService;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function http(method: string, path: string, opts: { body?: string; headers?: Record<string, string>; port?: number } = {}): Promise<Reply> {
  return new Promise((ok, ko) => {
    const req = request({ host: '127.0.0.1', port: opts.port ?? svc.port, method, path, headers: opts.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', ko);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

async function call<T>(op: string, params: unknown = {}, token = svc.token): Promise<{ status: number; body: ApiResponse<T> }> {
  const r = await http('POST', `/api/${op}`, { body: JSON.stringify(params), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  return { status: r.status, body: JSON.parse(r.body.toString('utf8')) as ApiResponse<T> };
}

async function ok<T>(op: string, params: unknown = {}): Promise<T> {
  const r = await call<T>(op, params);
  if (!r.body.ok) throw new Error(`${op}: ${r.body.error.code} ${r.body.error.message}`);
  return r.body.result;
}

const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-svc-'));
  dbPath = join(dir, 's.db');
  await importCaptures({ inputs: [sample], dbPath });
  svc = await startService({ dbPath, rendererDir: null, sqlTimeoutMs: 1500, recentFile: join(dir, 'recent.json') });
});

afterAll(async () => {
  await svc?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('token', () => {
  it('refuses API calls without the token or with a wrong one', async () => {
    const none = await http('POST', '/api/overview.summary', { body: '{}' });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body.toString()).error.code).toBe('unauthorized');
    const wrong = await call('overview.summary', {}, 'x'.repeat(svc.token.length));
    expect(wrong.status).toBe(401);
    const shorter = await call('overview.summary', {}, svc.token.slice(1));
    expect(shorter.status).toBe(401);
    const right = await call('overview.summary');
    expect(right.status).toBe(200);
    expect(right.body.ok).toBe(true);
  });

  it('accepts the token in X-Rewind-Token too, and tokens are random per start', async () => {
    const r = await http('POST', '/api/service.health', { body: '{}', headers: { 'x-rewind-token': svc.token } });
    expect(r.status).toBe(200);
    expect(svc.token).toMatch(/^[0-9a-f]{64}$/);
    const other = await startService({ dbPath, rendererDir: null });
    try {
      expect(other.token).not.toBe(svc.token);
      expect(other.port).not.toBe(svc.port);
    } finally {
      await other.close();
    }
  });

  it('refuses downloads without a minted id, and WebSockets without the token', async () => {
    expect((await http('GET', '/download/abc')).status).toBe(404);
    expect((await http('GET', `/download/abc?token=${svc.token}`)).status).toBe(404);
    const refused = await new Promise<string>((done) => {
      const ws = new WebSocket(`ws://127.0.0.1:${svc.port}/ws`, ['rewind.wrong-token-0123456789']);
      ws.on('open', () => done('open'));
      ws.on('error', (e) => done(`error: ${e.message}`));
      ws.on('unexpected-response', (_req, res) => done(`status ${res.statusCode}`));
    });
    expect(refused).toMatch(/401|error/);
    const hello = await new Promise<ServiceEvent>((done, fail) => {
      const ws = new WebSocket(`ws://127.0.0.1:${svc.port}/ws`, [`rewind.${svc.token}`]);
      ws.on('message', (m) => {
        done(JSON.parse(String(m)) as ServiceEvent);
        ws.close();
      });
      ws.on('error', fail);
    });
    expect(hello.type).toBe('hello');
  });
});

describe('loopback only', () => {
  it('listens on 127.0.0.1 and nowhere else', async () => {
    expect(svc.url).toBe(`http://127.0.0.1:${svc.port}`);
    const others = Object.values(networkInterfaces()).flat().filter((a) => a && a.family === 'IPv4' && !a.internal).map((a) => a?.address as string);
    for (const addr of others) {
      const result = await new Promise<string>((done) => {
        const s = connect({ host: addr, port: svc.port });
        s.once('connect', () => {
          s.destroy();
          done('connected');
        });
        s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? 'error'));
      });
      expect(result, `port open on ${addr}`).toBe('ECONNREFUSED');
    }
  });

  it('answers only requests addressed to its own loopback name (DNS rebinding)', async () => {
    const r = await http('POST', '/api/service.health', { body: '{}', headers: { authorization: `Bearer ${svc.token}`, host: `evil.example:${svc.port}` } });
    expect(r.status).toBe(403);
    const l = await http('POST', '/api/service.health', { body: '{}', headers: { authorization: `Bearer ${svc.token}`, host: `localhost:${svc.port}` } });
    expect(l.status).toBe(200);
  });
});

describe('SQL console', () => {
  it('runs read-only queries with a row limit', async () => {
    const r = await ok<{ columns: string[]; rows: unknown[][]; truncated: boolean }>('sql.query', { sql: 'SELECT id FROM l7_flow_log ORDER BY id', maxRows: 5 });
    expect(r.columns).toEqual(['id']);
    expect(r.rows).toHaveLength(5);
    expect(r.truncated).toBe(true);
  });

  it('cannot write, attach files or change settings, and the database file stays unchanged', async () => {
    const before = sha(dbPath);
    const attempts = [
      'DELETE FROM _l7_flow_log', "UPDATE bundles SET path = 'x'", 'DROP TABLE _l4_flow_log', 'CREATE TABLE t(x)',
      "INSERT INTO meta VALUES ('k', 'v')", `ATTACH DATABASE '${join(dir, 'other.db')}' AS o`, `VACUUM INTO '${join(dir, 'copy.db')}'`,
      'PRAGMA journal_mode = DELETE', 'PRAGMA query_only = 0', 'SELECT 1; DELETE FROM bundles', "SELECT load_extension('/tmp/x')",
      'REINDEX', 'ANALYZE',
    ];
    for (const sql of attempts) {
      const r = await call('sql.query', { sql });
      expect(r.body.ok, sql).toBe(false);
      if (!r.body.ok) expect(['sql_refused', 'bad_request'], `${sql}: ${r.body.error.message}`).toContain(r.body.error.code);
    }
    expect(existsSync(join(dir, 'other.db'))).toBe(false);
    expect(existsSync(join(dir, 'copy.db'))).toBe(false);
    expect(sha(dbPath)).toBe(before);
    expect(statSync(dbPath).size).toBeGreaterThan(0);
    expect((await ok<{ rows: unknown[][] }>('sql.query', { sql: 'SELECT count(*) FROM bundles' })).rows[0][0]).toBe(1);
  });

  it('stops a query past its time limit and goes on answering', async () => {
    const t0 = Date.now();
    const r = await call('sql.query', { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', timeoutMs: 300 });
    expect(r.status).toBe(408);
    expect(!r.body.ok && r.body.error.code).toBe('sql_timeout');
    expect(Date.now() - t0).toBeLessThan(3000);
    // A call may not raise the service's limit.
    const capped = await call('sql.query', { sql: 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', timeoutMs: 60_000 });
    expect(!capped.body.ok && capped.body.error.details?.timeoutMs).toBe(1500);
    expect((await ok<{ rows: unknown[][] }>('sql.query', { sql: 'SELECT 40 + 2' })).rows).toEqual([[42]]);
  });
});

describe('operations', () => {
  it('the overview equals SQL on the same database', async () => {
    const s = await ok<{ red: { requests: number; errors: number } }>('overview.summary');
    const q = await ok<{ rows: unknown[][] }>('sql.query', {
      sql: `SELECT sum(type != 'response'), sum(response_status IN ('client_error','server_error')) FROM l7_flow_log`,
    });
    expect([s.red.requests, s.red.errors]).toEqual(q.rows[0]);
  });

  it('errors have a code, a message and details', async () => {
    const bad = await call('requests.list', { filter: 'status>=500 nosuch=1' });
    expect(bad.status).toBe(400);
    expect(!bad.body.ok && bad.body.error).toMatchObject({ code: 'bad_filter', details: { position: 12 } });
    const missing = await call('requests.get', { id: 999999999 });
    expect(missing.status).toBe(404);
    expect(!missing.body.ok && missing.body.error.code).toBe('not_found');
    const unknown = await call('no.such');
    expect(unknown.status).toBe(404);
    const typed = await call('requests.get', { id: 'one' });
    expect(!typed.body.ok && typed.body.error.code).toBe('bad_request');
    const notJson = await http('POST', '/api/overview.summary', { body: '[1,2', headers: { authorization: `Bearer ${svc.token}` } });
    expect(notJson.status).toBe(400);
    const get = await http('GET', '/api/overview.summary', { headers: { authorization: `Bearer ${svc.token}` } });
    expect(get.status).toBe(405);
  });

  it('returns a request\'s bytes', async () => {
    const rows = await ok<{ rows: unknown[][] }>('sql.query', { sql: "SELECT id, request_length FROM l7_flow_log WHERE type = 'session' LIMIT 1" });
    const [id, len] = rows.rows[0] as [number, number];
    const p = await ok<{ request: { base64: string; length: number } | null }>('requests.payload', { id });
    expect(p.request?.length).toBe(len);
    expect(Buffer.from(p.request?.base64 ?? '', 'base64').toString('latin1')).toMatch(/^[A-Z]+ \S+ HTTP\/1\.1\r\n/);
  });

  it('exports a flow\'s packets through a one-use download', async () => {
    const rows = await ok<{ rows: unknown[][] }>('sql.query', { sql: 'SELECT flow_id, packet_tx + packet_rx FROM l4_flow_log WHERE protocol = 6 LIMIT 1' });
    const [flowId, packets] = rows.rows[0] as [number, number];
    const ex = await ok<{ url: string; fileName: string }>('flows.exportPcap', { flowId });
    expect(ex.url).not.toContain(svc.token);
    // The one-use id is the credential (a plain link cannot send the token).
    const r = await http('GET', ex.url);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-pcapng');
    expect(Number(r.headers['x-rewind-packets'])).toBe(packets);
    expect(r.body.readUInt32LE(0)).toBe(0x0a0d0d0a); // a pcapng section header
    expect((await http('GET', ex.url)).status).toBe(404);
  });
});

describe('result cache', () => {
  it('answers repeated calls from the cache, the prewarmed ones at once, and bypasses it on request', async () => {
    // The prewarm worker computed the overview at start: the first call is already a hit.
    await new Promise((r) => setTimeout(r, 1500));
    const first = await http('POST', '/api/overview.summary', { body: '{}', headers: { authorization: `Bearer ${svc.token}` } });
    expect(first.headers['x-rewind-cache']).toBe('hit');
    const body = { filter: 'status>=500', limit: 5 };
    const a = await http('POST', '/api/requests.list', { body: JSON.stringify(body), headers: { authorization: `Bearer ${svc.token}` } });
    const b = await http('POST', '/api/requests.list', { body: JSON.stringify({ limit: 5, filter: 'status>=500' }), headers: { authorization: `Bearer ${svc.token}` } });
    expect([a.headers['x-rewind-cache'], b.headers['x-rewind-cache']]).toEqual(['miss', 'hit']);
    expect(JSON.parse(b.body.toString()).result.rows).toEqual(JSON.parse(a.body.toString()).result.rows);
    const c = await http('POST', '/api/requests.list', { body: JSON.stringify(body), headers: { authorization: `Bearer ${svc.token}`, 'x-rewind-no-cache': '1' } });
    expect(c.headers['x-rewind-cache']).toBeUndefined();
    // Not cached: SQL, details.
    const d = await http('POST', '/api/sql.query', { body: JSON.stringify({ sql: 'SELECT 1' }), headers: { authorization: `Bearer ${svc.token}` } });
    expect(d.headers['x-rewind-cache']).toBeUndefined();
  });
});

describe('prewarm', () => {
  it('a call for an answer being prewarmed waits for it instead of computing it again', async () => {
    const s3 = await startService({ dbPath, rendererDir: null, recentFile: join(dir, 'recent4.json') });
    try {
      // At once after start: the worker is still on it.
      const r = await http('POST', '/api/map.graph', { port: s3.port, body: JSON.stringify({ layer: 'app' }), headers: { authorization: `Bearer ${s3.token}` } });
      expect(r.status).toBe(200);
      expect(r.headers['x-rewind-cache']).toBe('hit');
      const mine = await ok<{ edges: unknown[] }>('map.graph', { layer: 'app' });
      expect((JSON.parse(r.body.toString()) as { result: { edges: unknown[] } }).result.edges).toEqual(mine.edges);
    } finally {
      await s3.close();
    }
  });
});

describe('library (Home)', () => {
  it('lists the sample incidents with their README descriptions, opens one, and remembers it', async () => {
    const s2 = await startService({ dbPath: join(dir, 'lib.db'), ingest: [sample], rendererDir: null, recentFile: join(dir, 'recent2.json') });
    try {
      await s2.ingestDone;
      const lib = async (op: string, params: unknown = {}) => {
        const r = await http('POST', `/api/${op}`, { port: s2.port, body: JSON.stringify(params), headers: { authorization: `Bearer ${s2.token}` } });
        return { status: r.status, body: JSON.parse(r.body.toString()) as ApiResponse<Record<string, unknown>> };
      };
      const l = await lib('library.list');
      const result = l.body.ok ? (l.body.result as { samples: { name: string; description: string; path: string }[]; recent: string[]; database: string }) : null;
      const s = result?.samples.find((x) => x.name === 'loopback-http.pcap');
      expect(s?.description).toMatch(/^Recorded by record-loopback-sample.mjs /);
      expect(result?.recent).toEqual([sample]);
      expect(result?.database).toBe(join(dir, 'lib.db'));
      // Open the sample again: a new database, imported in the background, then served.
      const o = await lib('library.open', { path: s?.path });
      expect(o.status).toBe(200);
      const newDb = o.body.ok ? String(o.body.result.database) : '';
      expect(newDb).not.toBe(join(dir, 'lib.db'));
      for (let i = 0; i < 100; i++) {
        const st = await lib('ingest.status');
        if (st.body.ok && st.body.result.state === 'done') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const sum = await lib('overview.summary');
      const mine = await ok<{ red: { requests: number } }>('overview.summary');
      expect(sum.body.ok && (sum.body.result as { red: { requests: number } }).red.requests).toBe(mine.red.requests);
      expect((await lib('library.open', { path: join(dir, 'nope.pcap') })).status).toBe(404);
      expect((await lib('library.open', { path: join(dir, 'recent2.json') })).status).toBe(400);
      // A database opens as it is.
      const asDb = await lib('library.open', { path: dbPath });
      expect(asDb.body.ok && asDb.body.result.database).toBe(dbPath);
      rmSync(newDb, { force: true });
    } finally {
      await s2.close();
    }
  });
});

describe('ingest', () => {
  it('imports a capture in the background and pushes its progress over the socket', async () => {
    const db2 = join(dir, 'live.db');
    const s2 = await startService({ dbPath: db2, ingest: [sample], rendererDir: null, recentFile: join(dir, 'recent3.json') });
    try {
      const events: ServiceEvent[] = [];
      const ws = new WebSocket(`ws://127.0.0.1:${s2.port}/ws`, [`rewind.${s2.token}`]);
      ws.on('message', (m) => events.push(JSON.parse(String(m)) as ServiceEvent));
      const done = await s2.ingestDone;
      expect(done.state).toBe('done');
      expect(done.packets).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 200));
      ws.close();
      expect(events[0]?.type).toBe('hello');
      const r = await http('POST', '/api/overview.summary', { port: s2.port, body: '{}', headers: { authorization: `Bearer ${s2.token}` } });
      const body = JSON.parse(r.body.toString()) as ApiResponse<{ red: { requests: number } }>;
      const mine = await ok<{ red: { requests: number } }>('overview.summary');
      expect(body.ok && body.result.red.requests).toBe(mine.red.requests);
    } finally {
      await s2.close();
    }
  });
});
