// Real servers under the recorder (root, this kernel): nginx (Debian) serving a static location and proxying /api
// to a Node backend, and redis-server, both on loopback. A client process makes a known set of requests; after
// recording and importing, every request is one request/response row on the client side (c-p) and one on the
// server side (s-p), with the right process, 5-tuple, method and status, and nginx's inbound /api request shares its
// syscall trace id with the upstream call it makes.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { buildReport, importCaptures, openReadOnly } from '@rewind/analysis';
import { tracerUnavailableReason } from '@rewind/ebpf';
import { recordEbpf } from './ebpf-recorder.js';
import { ci, freePort, nginxConfig, waitForPort } from './test-servers.js';

const why = tracerUnavailableReason()
  ?? (existsSync('/usr/sbin/nginx') ? null : 'nginx is not installed (apt-get install nginx-light)')
  ?? (existsSync('/usr/bin/redis-server') ? null : 'redis-server is not installed (apt-get install redis-server)');
if (why !== null) console.log(`real-server recording tests cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-servers-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});



// The client (and the backend nginx proxies to): HTTP through nginx, then RESP to redis; one request at a time.
const CLIENT = `
const http = require('http');
const net = require('net');
const [nginxPort, backendPort, redisPort] = process.argv.slice(1).map(Number);
const backend = http.createServer((req, res) => { res.writeHead(201, { 'content-type': 'application/json' }); res.end('{"from":"backend"}'); });
backend.listen(backendPort, '127.0.0.1', async () => {
  const get = (p) => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: nginxPort, path: p, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject);
  });
  await get('/static');
  await get('/api/orders');
  const r = net.connect(redisPort, '127.0.0.1');
  const send = (cmd) => new Promise((resolve) => { r.once('data', resolve); r.write(cmd); });
  await new Promise((resolve) => r.once('connect', resolve));
  await send('*1\\r\\n$4\\r\\nPING\\r\\n');
  await send('*3\\r\\n$3\\r\\nSET\\r\\n$5\\r\\nmykey\\r\\n$5\\r\\nhello\\r\\n');
  await send('*2\\r\\n$3\\r\\nGET\\r\\n$5\\r\\nmykey\\r\\n');
  r.end();
  backend.close();
  setTimeout(() => process.exit(0), 200);
});
`;

describe.skipIf(why !== null && !ci)('recording nginx and redis-server (root, this kernel)', () => {
  test('every request once per side, with processes, statuses and the proxy trace link', async () => {
    const [nginxPort, backendPort, redisPort] = [await freePort(), await freePort(), await freePort()];
    writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, `    listen 127.0.0.1:${nginxPort};
    location /static { return 200 'static ok'; }
    location /api { proxy_pass http://127.0.0.1:${backendPort}; proxy_http_version 1.1; }`));
    const nginx = spawn('/usr/sbin/nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
    const redis = spawn('/usr/bin/redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    children.push(nginx, redis);
    await waitForPort(nginxPort);
    await waitForPort(redisPort);

    const out = path.join(dir, 'servers.pcapng');
    const stop = new AbortController();
    const recording = recordEbpf({ out, signal: stop.signal, durationMs: 30_000, host: 'lab' });
    await new Promise((r) => setTimeout(r, 300));
    const client = spawn(process.execPath, ['-e', CLIENT, String(nginxPort), String(backendPort), String(redisPort)], { stdio: 'inherit' });
    children.push(client);
    const [code] = (await once(client, 'exit')) as [number];
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    const summary = await recording;
    expect(code).toBe(0);
    expect(summary.counters.dropped).toBe(0);

    const db = path.join(dir, 'servers.db');
    await importCaptures({ inputs: [out], dbPath: db });
    const h = openReadOnly(db);
    try {
      type Row = Record<string, unknown>;
      const rows = h.prepare(`SELECT tap_side, l7_protocol, request_type, request_resource, response_code, response_status, ip_0, ip_1, server_port,
        coalesce(process_id_0, process_id_1) AS pid, coalesce(process_kname_0, process_kname_1) AS comm,
        syscall_trace_id_request AS trace FROM l7_flow_log
        WHERE server_port IN (${nginxPort}, ${backendPort}, ${redisPort}) ORDER BY start_time`).all() as Row[];
      const pick = (port: number, side: string, what: (r: Row) => boolean): Row[] => rows.filter((r) => r.server_port === port && r.tap_side === side && what(r));
      // Through nginx: /static answered by nginx itself, /api/orders proxied to the backend (201).
      for (const [resource, status] of [['/static', 200], ['/api/orders', 201]] as const) {
        const c = pick(nginxPort, 'c-p', (r) => r.request_resource === resource);
        const s = pick(nginxPort, 's-p', (r) => r.request_resource === resource);
        expect(c).toHaveLength(1);
        expect(s).toHaveLength(1);
        expect(c[0]).toMatchObject({ l7_protocol: 'HTTP', request_type: 'GET', response_code: status, comm: 'node', pid: client.pid, ip_0: '127.0.0.1', ip_1: '127.0.0.1' });
        expect(s[0]).toMatchObject({ l7_protocol: 'HTTP', request_type: 'GET', response_code: status, comm: 'nginx' });
      }
      // The upstream call: nginx is the client (c-p) of the backend, the Node backend serves it (s-p).
      const upC = pick(backendPort, 'c-p', (r) => r.request_resource === '/api/orders');
      const upS = pick(backendPort, 's-p', (r) => r.request_resource === '/api/orders');
      expect(upC).toHaveLength(1);
      expect(upS).toHaveLength(1);
      expect(upC[0]).toMatchObject({ comm: 'nginx', response_code: 201 });
      expect(upS[0]).toMatchObject({ comm: 'node', pid: client.pid, response_code: 201 });
      // nginx's worker read the inbound request and then wrote the upstream request: one syscall trace id.
      const inbound = pick(nginxPort, 's-p', (r) => r.request_resource === '/api/orders')[0];
      expect(inbound.trace).toBeGreaterThan(0);
      expect(upC[0].trace).toBe(inbound.trace);
      // Redis: each command once per side.
      for (const cmd of ['PING', 'SET', 'GET']) {
        const c = pick(redisPort, 'c-p', (r) => r.request_type === cmd);
        const s = pick(redisPort, 's-p', (r) => r.request_type === cmd);
        expect({ cmd, c: c.length, s: s.length }).toEqual({ cmd, c: 1, s: 1 });
        expect(c[0]).toMatchObject({ l7_protocol: 'Redis', comm: 'node', response_status: 'ok' });
        expect(s[0]).toMatchObject({ l7_protocol: 'Redis', comm: 'redis-server', response_status: 'ok' });
      }
      // The report names the processes: nginx served 2 requests (s-p) and made 1 upstream call (c-p), redis-server
      // served 3 commands, the client made 5 requests; no errors.
      const procs = buildReport(h).processes;
      const proc = (comm: string, side: string): Record<string, unknown> | undefined => procs.find((p) => p.comm === comm && p.side === side);
      expect(proc('nginx', 'server')).toMatchObject({ requests: 2, errors: 0, protocols: 'HTTP' });
      expect(proc('nginx', 'client')).toMatchObject({ requests: 1, errors: 0 });
      expect(proc('redis-server', 'server')).toMatchObject({ requests: 3, errors: 0, protocols: 'Redis' });
      expect(proc('node', 'client')).toMatchObject({ pid: client.pid, requests: 5 });
      expect(String(proc('node', 'client')?.cmdline)).toContain('-e');
    } finally {
      h.close();
      nginx.kill();
      redis.kill();
    }
    expect(spawnSync('tshark', ['-r', out, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(6);
  }, 60_000);
});
