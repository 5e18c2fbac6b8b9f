// The engine service: HTTP + WebSocket on 127.0.0.1 over one Rewind database, for the desktop app's renderer and for
// browsers in web mode. Every API call and socket needs the service's random token; requests whose Host is not this
// loopback address are refused (DNS rebinding), the SQL console is read-only with row and time limits, and the
// renderer's files are served with a strict Content-Security-Policy. The contract is app/src/common/api.ts.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import {
  bundleInfo, ENGINE_VERSION, exportFlowPcap, ExportError, flowPcapName, filterHelp, FilterError, FLOW_FILTER, flowDetail, flowLog, openReadOnly,
  overviewServices, overviewSummary, overviewTimeline, REQUEST_FILTER, requestDetail, requestLog, requestPayload, serviceMap, topEndpoints,
} from '@rewind/analysis';
import type { Db } from '@rewind/analysis';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import { OPERATION_NAMES, TOKEN_PROTOCOL_PREFIX } from '../common/api.js';
import type { ApiError, ApiResponse, ErrorCode, IngestProgress, OperationName, Operations, ServiceEvent, ServiceHealth } from '../common/api.js';
import type { IngestJob, IngestMessage } from './ingest-worker.js';
import { PREWARM } from './prewarm-worker.js';
import type { PrewarmJob, PrewarmResult } from './prewarm-worker.js';
import { listSamples, webRecentFile } from './library.js';
import { compiledScript } from './paths.js';
import { isCapturePath, RecentFiles } from './recent.js';
import { SqlPool, SqlQueryError, SqlTimeoutError } from './sql-pool.js';

export interface ServiceOptions {
  /** The database to serve (created by the ingest when `ingest` is given). */
  dbPath: string;
  /** Captures to import into dbPath in the background (progress over the socket). */
  ingest?: string[];
  /** 0 (default) = a free port. */
  port?: number;
  /** Default: 32 random bytes, hex. */
  token?: string;
  /** The built renderer (index.html and its assets); default app/dist/renderer; null = API only. */
  rendererDir?: string | null;
  /** SQL console limits (defaults 10 000 rows, 5 s; a call may ask for less, never for more). */
  sqlMaxRows?: number;
  sqlTimeoutMs?: number;
  /** The recent-files list of web mode (default $XDG_CONFIG_HOME/rewind/recent.json). */
  recentFile?: string;
  /** Exit this process when the parent process (e.g. the Electron main process) is gone. */
  parentPid?: number;
}

export interface RunningService {
  url: string;
  port: number;
  token: string;
  /** The web-mode address to open (token in the fragment, never sent to the server in a Referer). */
  openUrl: string;
  /** Resolves when the background ingest (if any) has ended. */
  ingestDone: Promise<IngestProgress>;
  close(): Promise<void>;
}

export const HOST = '127.0.0.1';
const MAX_BODY = 1024 * 1024;
/** Operations whose answer depends only on the database and the parameters (cached while it does not change). */
const CACHEABLE = new Set(['overview.summary', 'overview.timeline', 'overview.services', 'overview.endpoints', 'map.graph', 'bundle.info', 'requests.list', 'flows.list']);
const CACHE_ENTRIES = 200;

/** JSON with object keys sorted and undefined dropped: equal parameters give equal cache keys. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}
const APP_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export class ApiFailure extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly details?: Record<string, unknown>, readonly status = 400) {
    super(message);
  }
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.json': 'application/json', '.woff2': 'font/woff2', '.ico': 'image/x-icon',
  '.map': 'application/json',
};

/** The built renderer: dist/renderer beside dist/service (also when this module runs from its sources, in tests). */
function defaultRendererDir(): string {
  return fileURLToPath(new URL('../renderer/', import.meta.url)).replace(/([\\/])src([\\/])renderer([\\/]?)$/, '$1dist$2renderer$3');
}

function csp(port: number): string {
  return [
    "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:", "font-src 'self'",
    `connect-src 'self' ws://${HOST}:${port} ws://localhost:${port}`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

function tokenEquals(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const num = (v: unknown, name: string, opt = true): number | undefined => {
  if (v === undefined || v === null) {
    if (opt) return undefined;
    throw new ApiFailure('bad_request', `${name} is required`);
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ApiFailure('bad_request', `${name} must be a number`);
  return v;
};
const str = (v: unknown, name: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ApiFailure('bad_request', `${name} must be a string`);
  return v;
};
const range = (p: Record<string, unknown>) => ({ from: num(p.from, 'from'), to: num(p.to, 'to') });

export async function startService(opts: ServiceOptions): Promise<RunningService> {
  const token = opts.token ?? randomBytes(32).toString('hex');
  if (!/^[A-Za-z0-9_-]{16,}$/.test(token)) throw new Error('the token must be at least 16 characters of [A-Za-z0-9_-]');
  const rendererDir = opts.rendererDir === undefined ? defaultRendererDir() : opts.rendererDir;
  const sqlMaxRows = opts.sqlMaxRows ?? 10_000;
  const sqlTimeoutMs = opts.sqlTimeoutMs ?? 5_000;
  let dbPath = resolve(opts.dbPath);
  const recent = new RecentFiles(opts.recentFile ?? webRecentFile());
  let opened = 0;
  const sql = new SqlPool();
  const sockets = new Set<WebSocket>();
  let db: Db | null = null;
  let port = 0;
  const exports = new Map<string, { flowId: number; expires: number }>();

  const progress: IngestProgress = { state: 'idle', file: null, bytesDone: 0, bytesTotal: 0, packets: 0, error: null };
  // Answers of the pure query operations, while the database does not change (never during an import). Filled ahead
  // by the prewarm worker with what the views ask first; `X-Rewind-No-Cache: 1` bypasses it (benchmarks).
  const cache = new Map<string, unknown>();
  let cacheEpoch = 0;
  const cacheKey = (op: string, params: Record<string, unknown>): string => `${op} ${canonicalJson(params)}`;
  const clearCache = (): void => {
    cache.clear();
    cacheEpoch++;
  };
  let prewarmWorker: Worker | null = null;
  /** Answers the prewarm worker is computing: a call for one of them waits for it rather than computing it again. */
  const pending = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  const prewarm = (): void => {
    if (prewarmWorker !== null || progress.state === 'importing' || !existsSync(dbPath)) return;
    const epoch = cacheEpoch;
    const w = new Worker(compiledScript('prewarm-worker.js'), { workerData: { dbPath } satisfies PrewarmJob });
    prewarmWorker = w;
    for (const item of PREWARM) {
      let resolve!: () => void;
      const promise = new Promise<void>((ok) => {
        resolve = ok;
      });
      pending.set(cacheKey(item.op, item.params), { promise, resolve });
    }
    const settle = (key: string): void => {
      pending.get(key)?.resolve();
      pending.delete(key);
    };
    w.on('message', (m: PrewarmResult) => {
      const key = cacheKey(m.op, m.params);
      if (epoch === cacheEpoch && !cache.has(key)) cache.set(key, m.result);
      settle(key);
    });
    const done = (): void => {
      if (prewarmWorker === w) prewarmWorker = null;
      for (const key of [...pending.keys()]) settle(key);
    };
    w.on('error', done);
    w.on('exit', done);
  };
  const broadcast = (e: ServiceEvent): void => {
    const text = JSON.stringify(e);
    for (const s of sockets) if (s.readyState === s.OPEN) s.send(text);
  };

  const database = (): Db => {
    if (db !== null) return db;
    if (!existsSync(dbPath)) {
      throw new ApiFailure('no_database', progress.state === 'importing' ? 'the database is being created: try again in a moment' : `no database at ${dbPath}`, undefined, 503);
    }
    try {
      db = openReadOnly(dbPath);
    } catch (err) {
      throw new ApiFailure('no_database', err instanceof Error ? err.message : String(err), undefined, 503);
    }
    return db;
  };

  const health = (): ServiceHealth => ({ name: 'rewind', version: APP_VERSION, engineVersion: ENGINE_VERSION, database: dbPath, ingest: { ...progress } });

  let openFile: (path: string) => Promise<{ database: string }> = () => Promise.reject(new Error('not ready'));
  type Handler = (p: Record<string, unknown>) => unknown;
  const handlers: { [K in OperationName]: Handler } = {
    'service.health': () => health(),
    'ingest.status': () => ({ ...progress }),
    'bundle.info': () => bundleInfo(database()),
    'overview.summary': (p) => overviewSummary(database(), range(p)),
    'overview.timeline': (p) => overviewTimeline(database(), range(p), Math.min(2000, num(p.points, 'points') ?? 300)),
    'overview.services': (p) => overviewServices(database(), range(p), Math.min(500, num(p.sparkPoints, 'sparkPoints') ?? 30)),
    'overview.endpoints': (p) => {
      const by = str(p.by, 'by') ?? 'errors';
      if (by !== 'errors' && by !== 'latency') throw new ApiFailure('bad_request', 'by must be errors or latency');
      return topEndpoints(database(), range(p), Math.min(1000, num(p.limit, 'limit') ?? 10), by);
    },
    'map.graph': (p) => {
      const layer = str(p.layer, 'layer') ?? 'app';
      if (layer !== 'app' && layer !== 'network') throw new ApiFailure('bad_request', 'layer must be app or network');
      return serviceMap(database(), range(p), layer);
    },
    'requests.list': (p) => requestLog(database(), logParams(p)),
    'requests.get': (p) => {
      const r = requestDetail(database(), num(p.id, 'id', false) as number);
      if (r === null) throw new ApiFailure('not_found', `no request ${String(p.id)}`, undefined, 404);
      return r;
    },
    'requests.payload': (p) => requestPayload(database(), num(p.id, 'id', false) as number),
    'flows.list': (p) => flowLog(database(), logParams(p)),
    'flows.get': (p) => {
      const r = flowDetail(database(), num(p.flowId, 'flowId', false) as number);
      if (r === null) throw new ApiFailure('not_found', `no flow ${String(p.flowId)}`, undefined, 404);
      return r;
    },
    'flows.exportPcap': (p) => {
      const flowId = num(p.flowId, 'flowId', false) as number;
      const flow = flowDetail(database(), flowId);
      if (flow === null) throw new ApiFailure('not_found', `no flow ${flowId}`, undefined, 404);
      // A one-use download id, so that the token does not have to travel in a URL.
      const id = randomBytes(16).toString('hex');
      const now = Date.now();
      for (const [k, v] of exports) if (v.expires < now || exports.size > 1000) exports.delete(k);
      exports.set(id, { flowId, expires: now + 5 * 60_000 });
      return { url: `/download/${id}`, fileName: flowPcapName(flowId, flow) };
    },
    'library.list': () => ({ samples: listSamples(), recent: recent.list(), database: dbPath }),
    'library.open': (p) => {
      const path = str(p.path, 'path');
      if (!path) throw new ApiFailure('bad_request', 'path is required');
      return openFile(path);
    },
    'filter.help': (p) => filterHelp(str(p.table, 'table') === 'flows' ? FLOW_FILTER : REQUEST_FILTER),
    'sql.query': async (p) => {
      const text = str(p.sql, 'sql');
      if (!text || !text.trim()) throw new ApiFailure('bad_request', 'sql is required');
      const maxRows = Math.max(1, Math.min(sqlMaxRows, num(p.maxRows, 'maxRows') ?? sqlMaxRows));
      const timeoutMs = Math.max(1, Math.min(sqlTimeoutMs, num(p.timeoutMs, 'timeoutMs') ?? sqlTimeoutMs));
      database();
      try {
        return await sql.query(dbPath, text, maxRows, timeoutMs);
      } catch (err) {
        if (err instanceof SqlTimeoutError) throw new ApiFailure('sql_timeout', err.message, { timeoutMs }, 408);
        if (err instanceof SqlQueryError) throw new ApiFailure(err.code, err.message);
        throw err;
      }
    },
  };

  const logParams = (p: Record<string, unknown>) => ({
    ...range(p), filter: str(p.filter, 'filter'), sort: str(p.sort, 'sort'),
    desc: p.desc === undefined || p.desc === null ? undefined : Boolean(p.desc), offset: num(p.offset, 'offset'), limit: num(p.limit, 'limit'),
  });

  const hostAllowed = (req: IncomingMessage): boolean => {
    const h = req.headers.host;
    return h === `${HOST}:${port}` || h === `localhost:${port}`;
  };
  const authorized = (req: IncomingMessage): boolean => {
    const auth = req.headers.authorization;
    const given = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7)
      : typeof req.headers['x-rewind-token'] === 'string' ? req.headers['x-rewind-token'] : '';
    return tokenEquals(given, token);
  };

  const send = (res: ServerResponse, status: number, body: ApiResponse<unknown>): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, error: ApiError): void => send(res, status, { ok: false, error });

  const readBody = (req: IncomingMessage): Promise<string> => new Promise((ok, ko) => {
    const parts: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        ko(new ApiFailure('bad_request', `request body over ${MAX_BODY} bytes`, undefined, 413));
        req.destroy();
        return;
      }
      parts.push(c);
    });
    req.on('end', () => ok(Buffer.concat(parts).toString('utf8')));
    req.on('error', ko);
  });

  const api = async (req: IncomingMessage, res: ServerResponse, op: string): Promise<void> => {
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      fail(res, 405, { code: 'bad_request', message: 'API calls are POST' });
      return;
    }
    if (!(OPERATION_NAMES as readonly string[]).includes(op)) {
      fail(res, 404, { code: 'not_found', message: `no operation ${op}`, details: { operations: [...OPERATION_NAMES] } });
      return;
    }
    let params: Record<string, unknown> = {};
    const body = await readBody(req);
    if (body.trim()) {
      try {
        const v = JSON.parse(body) as unknown;
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
        params = v as Record<string, unknown>;
      } catch {
        throw new ApiFailure('bad_request', 'the body must be a JSON object of parameters');
      }
    }
    const cacheable = CACHEABLE.has(op) && progress.state !== 'importing' && req.headers['x-rewind-no-cache'] !== '1';
    const key = cacheable ? cacheKey(op, params) : '';
    if (cacheable && !cache.has(key) && pending.has(key)) await pending.get(key)?.promise;
    if (cacheable && cache.has(key)) {
      res.setHeader('x-rewind-cache', 'hit');
      send(res, 200, { ok: true, result: cache.get(key) });
      return;
    }
    if (cacheable) res.setHeader('x-rewind-cache', 'miss');
    const epoch = cacheEpoch;
    const result = await handlers[op as OperationName](params);
    if (cacheable && epoch === cacheEpoch) {
      if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(key, result);
    }
    send(res, 200, { ok: true, result });
  };

  const download = async (res: ServerResponse, id: string): Promise<void> => {
    const e = exports.get(id);
    exports.delete(id);
    if (!e || e.expires < Date.now()) throw new ApiFailure('not_found', 'no such download (they are valid once, for 5 minutes)', undefined, 404);
    const r = await exportFlowPcap(database(), e.flowId);
    res.writeHead(200, {
      'content-type': 'application/x-pcapng', 'content-length': r.pcap.length, 'cache-control': 'no-store',
      'content-disposition': `attachment; filename="${r.fileName}"`, 'x-rewind-packets': String(r.packets),
    });
    res.end(r.pcap);
  };

  const staticFile = (req: IncomingMessage, res: ServerResponse, url: URL): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const headers = {
      'content-security-policy': csp(port), 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin', 'x-frame-options': 'DENY',
    };
    if (rendererDir === null || !existsSync(join(rendererDir, 'index.html'))) {
      res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      res.end('The renderer is not built (npm run build); the API is at /api/<operation>.\n');
      return;
    }
    const root = resolve(rendererDir);
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith('/')) rel += 'index.html';
    let file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403, headers).end();
      return;
    }
    // Unknown paths without an extension are the app's own routes: serve the app.
    if (!existsSync(file) || !statSync(file).isFile()) {
      if (extname(rel) !== '') {
        res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      file = join(root, 'index.html');
    }
    const ext = extname(file);
    const body = readFileSync(file);
    res.writeHead(200, {
      ...headers, 'content-type': MIME[ext] ?? 'application/octet-stream', 'content-length': body.length,
      'cache-control': ext === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    if (!hostAllowed(req)) {
      fail(res, 403, { code: 'forbidden', message: 'this service answers only to its own loopback address' });
      return;
    }
    const isApi = url.pathname.startsWith('/api/');
    const isDownload = url.pathname.startsWith('/download/');
    // Downloads carry a one-use id minted by an authorised call (flows.exportPcap): the id is the credential, so a
    // plain link (<a download>, which cannot send headers) works and the token never appears in a URL.
    if (isApi && !authorized(req)) {
      fail(res, 401, { code: 'unauthorized', message: 'missing or wrong token' });
      return;
    }
    const work = isApi ? api(req, res, url.pathname.slice(5)) : isDownload ? download(res, url.pathname.slice(10)) : Promise.resolve(staticFile(req, res, url));
    work.catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof ApiFailure) fail(res, err.status, { code: err.code, message: err.message, details: err.details });
      else if (err instanceof FilterError) fail(res, 400, { code: 'bad_filter', message: err.message, details: { position: err.position } });
      else if (err instanceof ExportError) fail(res, err.code === 'not_found' ? 404 : 409, { code: err.code === 'not_found' ? 'not_found' : 'bad_request', message: err.message });
      else if (err instanceof RangeError) fail(res, 400, { code: 'bad_request', message: err.message });
      else fail(res, 500, { code: 'internal', message: err instanceof Error ? err.message : String(err) });
    });
  });

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => {
      for (const p of protocols) if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p;
      return false;
    },
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${HOST}:${port}`);
    const offered = String(req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim());
    const given = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))?.slice(TOKEN_PROTOCOL_PREFIX.length) ?? '';
    const origin = req.headers.origin;
    const originOk = origin === undefined || origin === `http://${HOST}:${port}` || origin === `http://localhost:${port}` || origin === 'file://';
    if (url.pathname !== '/ws' || !hostAllowed(req) || !originOk || !tokenEquals(given, token)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('error', () => sockets.delete(ws));
      ws.send(JSON.stringify({ type: 'hello', health: health() } satisfies ServiceEvent));
    });
  });

  await new Promise<void>((ok, ko) => {
    server.once('error', ko);
    server.listen(opts.port ?? 0, HOST, () => {
      server.off('error', ko);
      ok();
    });
  });
  port = (server.address() as AddressInfo).port;

  // Background ingest (at start, and when Home opens another capture).
  let ingestWorker: Worker | null = null;
  let resolveIngest!: (p: IngestProgress) => void;
  const ingestDone = new Promise<IngestProgress>((ok) => {
    resolveIngest = ok;
  });
  let firstIngest = true;
  const startIngest = (inputs: string[]): void => {
    progress.state = 'importing';
    progress.file = inputs[0];
    progress.bytesDone = 0;
    progress.bytesTotal = 0;
    progress.packets = 0;
    progress.error = null;
    clearCache();
    const w = new Worker(compiledScript('ingest-worker.js'), { workerData: { inputs, dbPath } satisfies IngestJob });
    ingestWorker = w;
    const mine = (): boolean => ingestWorker === w;
    const finish = (state: 'done' | 'failed', error: string | null): void => {
      if (!mine() || progress.state !== 'importing') return;
      progress.state = state;
      progress.error = error;
      if (state === 'done') progress.bytesDone = progress.bytesTotal;
      // A connection opened while the schema was young still sees everything (WAL); reopen anyway for fresh stats.
      db?.close();
      db = null;
      clearCache();
      broadcast({ type: state === 'done' ? 'ingest.done' : 'ingest.failed', progress: { ...progress } });
      if (firstIngest) resolveIngest({ ...progress });
      firstIngest = false;
      prewarm();
    };
    w.on('message', (m: IngestMessage) => {
      if (!mine()) return;
      if (m.type === 'progress') {
        progress.file = m.file;
        progress.bytesDone = m.bytesRead;
        progress.bytesTotal = m.totalBytes;
        progress.packets = m.packets;
        broadcast({ type: 'ingest.progress', progress: { ...progress } });
      } else if (m.type === 'done') {
        progress.packets = m.packets;
        finish(m.failed.length > 0 ? 'failed' : 'done', m.failed.length > 0 ? m.failed.join('; ') : null);
      } else {
        finish('failed', m.message);
      }
    });
    w.on('error', (err) => finish('failed', err.message));
    w.on('exit', (code) => finish(code === 0 ? 'done' : 'failed', code === 0 ? null : `the import stopped (exit code ${code})`));
  };

  /** Serves another file: a Rewind database as it is, a capture imported into a new temporary database. */
  openFile = async (path: string): Promise<{ database: string }> => {
    const file = resolve(path);
    if (!existsSync(file) || !statSync(file).isFile()) throw new ApiFailure('not_found', `no such file ${file}`, undefined, 404);
    const capture = isCapturePath(file);
    if (!capture && !/\.db$/i.test(file)) throw new ApiFailure('bad_request', `${file} is neither a capture (pcap, pcapng, .gz) nor a Rewind database (.db)`);
    const old = ingestWorker;
    ingestWorker = null;
    await old?.terminate();
    await prewarmWorker?.terminate();
    db?.close();
    db = null;
    clearCache();
    if (capture) {
      const dir = join(tmpdir(), 'rewind-serve');
      mkdirSync(dir, { recursive: true });
      dbPath = join(dir, `${basename(file).replace(/[^A-Za-z0-9._-]+/g, '_')}-${process.pid}-${++opened}.db`);
      for (const x of ['', '-wal', '-shm']) rmSync(dbPath + x, { force: true });
      startIngest([file]);
    } else {
      try {
        openReadOnly(file).close();
      } catch (err) {
        throw new ApiFailure('bad_request', (err as Error).message);
      }
      dbPath = file;
      progress.state = 'idle';
      progress.file = null;
      progress.error = null;
      broadcast({ type: 'ingest.done', progress: { ...progress } });
      prewarm();
    }
    recent.add(file);
    return { database: dbPath };
  };

  if (opts.ingest && opts.ingest.length > 0) {
    for (const f of opts.ingest) if (existsSync(f)) recent.add(resolve(f));
    startIngest(opts.ingest);
  } else {
    resolveIngest({ ...progress });
    prewarm();
  }

  // Orphan check: the Electron main process passes its pid; when it is gone, so is the service.
  let orphanTimer: NodeJS.Timeout | null = null;
  const close = async (): Promise<void> => {
    if (orphanTimer) clearInterval(orphanTimer);
    for (const s of sockets) s.terminate();
    wss.close();
    sql.close();
    await ingestWorker?.terminate();
    await prewarmWorker?.terminate();
    const closed = new Promise<void>((ok) => server.close(() => ok()));
    server.closeAllConnections();
    await closed;
    db?.close();
    db = null;
  };
  if (opts.parentPid !== undefined) {
    const parent = opts.parentPid;
    orphanTimer = setInterval(() => {
      try {
        process.kill(parent, 0);
      } catch {
        void close().finally(() => process.exit(0));
      }
    }, 1000);
    orphanTimer.unref();
  }

  const url = `http://${HOST}:${port}`;
  return { url, port, token, openUrl: `${url}/#token=${token}`, ingestDone, close };
}

export type { Operations };
