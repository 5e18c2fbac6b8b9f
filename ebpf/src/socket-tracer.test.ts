// The socket tracer on this kernel, for real: a child process makes a known HTTP-like exchange over loopback TCP and
// the tracer must see each message once per side, with the child's pid and comm, the 5-tuple, direction, role,
// TCP sequence numbers, per-socket cap_seq and DeepFlow-style syscall trace ids. Needs root (CI runs as root).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { SocketTracer, tracerUnavailableReason } from './loader.js';
import type { SocketEvent } from './event.js';

const why = tracerUnavailableReason();
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (why !== null) console.log(`socket tracer tests cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);

// The child: a server and a client in one process, on loopback; it starts when told on stdin and prints its port.
const CHILD = `
const net = require('net');
process.stdin.once('data', () => {
  const srv = net.createServer((c) => {
    c.once('data', (d) => {
      c.write('HTTP/1.1 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello', () => c.end());
    });
  });
  srv.listen(0, '127.0.0.1', () => {
    const port = srv.address().port;
    // Corked: two writes leave as one writev() with two iovecs.
    const cl = net.connect(port, '127.0.0.1', () => { cl.cork(); cl.write('GET /traced HTTP/1.1\\r\\n'); cl.write('Host: x\\r\\n\\r\\n'); process.nextTick(() => cl.uncork()); });
    cl.on('data', () => {});
    cl.on('end', () => { cl.end(); srv.close(() => { console.log(port); process.exit(0); }); });
  });
});
`;

describe.skipIf(why !== null && !ci)('eBPF socket tracer (root, this kernel)', () => {
  test('a loopback exchange appears once per side with process, socket and trace context', async () => {
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const tracer = new SocketTracer({ pid: child.pid, payloadBytes: 4096 });
    const seen: (SocketEvent & { text: string })[] = [];
    try {
      child.stdin.write('go\n');
      const exited = once(child, 'exit');
      let done = false;
      void exited.then(() => { done = true; });
      const deadline = Date.now() + 20_000;
      while (!done && Date.now() < deadline) {
        const { events } = tracer.poll(50);
        for (const e of events) seen.push({ ...e, text: e.payload.toString('latin1') }); // copy: the batch buffer is reused
        await new Promise((r) => setImmediate(r));
      }
      for (const e of tracer.poll(0).events) seen.push({ ...e, text: e.payload.toString('latin1') });
      const counters = tracer.counters();
      expect(counters.dropped).toBe(0);
      expect(counters.events).toBeGreaterThanOrEqual(seen.length);
    } finally {
      tracer.close();
      child.kill();
    }
    const port = Number(out.trim());
    expect(port).toBeGreaterThan(0);
    const mine = seen.filter((e) => e.pid === child.pid);
    const data = mine.filter((e) => e.kind === 1);
    expect(mine.length).toBe(seen.length); // the pid filter holds
    const req = data.filter((e) => e.text.startsWith('GET /traced'));
    const res = data.filter((e) => e.text.startsWith('HTTP/1.1 200 OK'));
    // Each message once on the client side (egress request, ingress response) and once on the server side.
    expect(req.map((e) => [e.direction, e.role]).sort()).toEqual([[0, 'client'], [1, 'server']]);
    expect(res.map((e) => [e.direction, e.role]).sort()).toEqual([[0, 'server'], [1, 'client']]);
    for (const e of [...req, ...res]) {
      expect(e.comm).toBe('node');
      expect(e.protocol).toBe(6);
      expect(e.family).toBe(4);
      expect(e.localAddr).toBe('127.0.0.1');
      expect(e.remoteAddr).toBe('127.0.0.1');
      expect(e.syscallLen).toBe(e.text.length); // payload views are only valid until the next poll: compare the copy
      expect(e.socketId).toBeGreaterThan(0n);
      expect(e.capSeq).toBeGreaterThan(0n);
    }
    const clientReq = req.find((e) => e.role === 'client') as SocketEvent & { text: string };
    expect(clientReq.syscall).toBe('writev');
    expect(clientReq.text).toBe('GET /traced HTTP/1.1\r\nHost: x\r\n\r\n');
    const serverReq = req.find((e) => e.role === 'server') as SocketEvent;
    const serverRes = res.find((e) => e.role === 'server') as SocketEvent;
    const clientRes = res.find((e) => e.role === 'client') as SocketEvent;
    expect(clientReq.remotePort).toBe(port);
    expect(serverReq.localPort).toBe(port);
    expect(serverReq.remotePort).toBe(clientReq.localPort);
    // Same bytes seen from both ends: the sender's write_seq equals the receiver's copied_seq.
    expect(serverReq.tcpSeq).toBe(clientReq.tcpSeq);
    expect(clientRes.tcpSeq).toBe(serverRes.tcpSeq);
    // The server thread's inbound request starts a trace id that its response carries.
    expect(serverReq.syscallTraceId).toBeGreaterThan(0n);
    expect(serverRes.syscallTraceId).toBe(serverReq.syscallTraceId);
    expect(serverRes.socketId).toBe(serverReq.socketId);
    expect(serverRes.capSeq).toBeGreaterThan(serverReq.capSeq);
    // close() of both ends is reported for the sockets the data came on.
    const closes = mine.filter((e) => e.kind === 3);
    expect(closes.map((e) => e.socketId)).toEqual(expect.arrayContaining([clientReq.socketId, serverReq.socketId]));
  }, 30_000);
});
