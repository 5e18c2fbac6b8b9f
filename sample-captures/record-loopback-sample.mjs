#!/usr/bin/env node
// Records sample-captures/loopback-http.pcap: real loopback traffic (Node HTTP server and clients, a UDP service,
// a refused connection, client and server resets, a slow endpoint), captured with tcpdump. Needs root (tcpdump on lo).
// Only 127.0.0.1 is used; every loop is bounded.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? path.join(here, 'loopback-http.pcap');
const HTTP_PORT = 18080;
const CLOSED_PORT = 18081;
const UDP_PORT = 18053;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startTcpdump() {
  const filter = `tcp port ${HTTP_PORT} or tcp port ${CLOSED_PORT} or udp port ${UDP_PORT}`;
  const p = spawn('tcpdump', ['-i', 'lo', '-s', '0', '-U', '-n', '-w', out, filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${err}`)), 5000);
    p.stderr.on('data', (d) => {
      err += d;
      if (/listening on/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    p.on('error', (e) => reject(new Error(`cannot run tcpdump (apt-get install tcpdump; needs root): ${e.message}`)));
    p.on('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err.trim()}`)));
  });
  return p;
}

function startHttpServer() {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (url.startsWith('/api/slow')) {
        setTimeout(() => res.end(JSON.stringify({ slow: true, waited_ms: 150 })), 150);
      } else if (url.startsWith('/api/error')) {
        res.statusCode = 500;
        res.end(JSON.stringify({ error: 'database connection reset' }));
      } else if (url.startsWith('/api/crash')) {
        req.socket.resetAndDestroy(); // server-side reset mid-request
      } else if (url.startsWith('/api/big')) {
        res.setHeader('content-type', 'application/octet-stream');
        res.end(Buffer.alloc(30_000, 0x61));
      } else {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ items: [1, 2, 3], echo: body.length }));
      }
    });
  });
  server.keepAliveTimeout = 2000;
  return new Promise((resolve) => server.listen(HTTP_PORT, '127.0.0.1', () => resolve(server)));
}

function request(agent, method, p, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: HTTP_PORT, method, path: p, agent, headers: { 'x-request-id': `req-${p}-${Math.random().toString(16).slice(2, 10)}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(-1));
    if (body) req.write(body);
    req.end();
  });
}

async function keepAliveClient(id) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const paths = ['/api/items', '/api/items?page=2', '/api/slow', '/api/error', '/api/big'];
  for (let i = 0; i < 12; i++) {
    const p = paths[(i + id) % paths.length];
    await request(agent, i % 4 === 0 ? 'POST' : 'GET', p, i % 4 === 0 ? JSON.stringify({ client: id, i }) : undefined);
    await sleep(5);
  }
  agent.destroy();
}

async function refusedConnection() {
  await new Promise((resolve) => {
    const s = net.connect(CLOSED_PORT, '127.0.0.1');
    s.on('error', resolve);
    s.on('connect', () => { s.destroy(); resolve(); });
  });
}

async function clientReset() {
  await new Promise((resolve) => {
    const s = net.connect(HTTP_PORT, '127.0.0.1', () => {
      s.write('GET /api/slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      setTimeout(() => { s.resetAndDestroy(); resolve(); }, 30); // client gives up before the slow answer
    });
    s.on('error', resolve);
  });
}

async function udpExchange() {
  const server = dgram.createSocket('udp4');
  server.on('message', (msg, rinfo) => server.send(Buffer.concat([Buffer.from('ack:'), msg]), rinfo.port, rinfo.address));
  await new Promise((r) => server.bind(UDP_PORT, '127.0.0.1', r));
  const client = dgram.createSocket('udp4');
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => {
      client.once('message', resolve);
      client.send(Buffer.from(`lookup service-${i}`), UDP_PORT, '127.0.0.1');
      setTimeout(resolve, 500);
    });
  }
  client.close();
  server.close();
}

const tcpdump = await startTcpdump();
const server = await startHttpServer();
try {
  await Promise.all([0, 1, 2, 3].map(keepAliveClient));
  await refusedConnection();
  await refusedConnection();
  await clientReset();
  await request(new http.Agent({ keepAlive: false }), 'GET', '/api/crash');
  await udpExchange();
  await sleep(300);
} finally {
  server.close();
  server.closeAllConnections?.();
  await sleep(300);
  tcpdump.kill('SIGINT');
  await new Promise((r) => tcpdump.on('exit', r));
}
process.stdout.write(`recorded ${out}\n`);
