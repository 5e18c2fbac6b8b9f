// Recording for real (root, this kernel): a child process makes a known HTTP exchange over loopback; the bundle the
// recorder writes holds each message once per side as exported PDUs with their eBPF context, our reader reads it,
// and tshark dissects the requests and responses from it.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { packetEbpfContext, parseExportedPdu, readCaptureFile, RecordType } from '@rewind/analysis/bundle';
import type { EbpfContext } from '@rewind/analysis/bundle';
import { importCaptures, openReadOnly } from '@rewind/analysis';
import { tracerUnavailableReason } from '@rewind/ebpf';
import { dissectorFor, recordEbpf } from './ebpf-recorder.js';

const why = tracerUnavailableReason();
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (why !== null) console.log(`eBPF recorder tests cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CHILD = `
const net = require('net');
process.stdin.once('data', () => {
  const srv = net.createServer((c) => c.once('data', () => c.write('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok', () => c.end())));
  srv.listen(0, '127.0.0.1', () => {
    const cl = net.connect(srv.address().port, '127.0.0.1', () => cl.write('GET /recorded HTTP/1.1\\r\\nHost: lab\\r\\n\\r\\n'));
    cl.on('data', () => {});
    cl.on('end', () => { cl.end(); srv.close(() => process.exit(0)); });
  });
});
`;

test.each([
  ['GET / HTTP/1.1\r\n', 40000, 80, 'http'],
  ['HTTP/1.1 404 Not Found\r\n', 80, 40000, 'http'],
  ['*1\r\n$4\r\nPING\r\n', 40000, 6379, 'resp'],
  ['\x16\x03\x01', 40000, 443, 'data'],
])('dissector for %j (%d → %d) is %s', (payload, lp, rp, name) => {
  expect(dissectorFor(Buffer.from(payload, 'latin1'), lp, rp)).toBe(name);
});

describe.skipIf(why !== null && !ci)('eBPF recorder (root, this kernel)', () => {
  test('a recorded loopback exchange reads back with its context and tshark dissects it', async () => {
    const out = path.join(dir, 'ebpf.pcapng');
    const child = spawn(process.execPath, ['-e', CHILD], { stdio: ['pipe', 'ignore', 'inherit'] });
    const stop = new AbortController();
    void once(child, 'exit').then(() => setTimeout(() => stop.abort(), 100));
    const recording = recordEbpf({ out, pid: child.pid, signal: stop.signal, durationMs: 20_000, host: 'test-host', ifaces: ['lo'], filter: 'tcp' });
    setTimeout(() => child.stdin.write('go\n'), 200);
    const summary = await recording;
    expect(summary.counters.dropped).toBe(0);
    expect(summary.events).toBeGreaterThanOrEqual(4);

    const pdus: { ctx: EbpfContext; text: string; src?: string; dstPort?: number }[] = [];
    const processes: { pid: number; comm: string; cmdline: string[] }[] = [];
    let coverage: Record<string, unknown> | undefined;
    let pcapCoverage: Record<string, unknown> | undefined;
    const read = await readCaptureFile(out, {
      custom(c) {
        if (c.recordType === RecordType.PROCESS_TABLE) processes.push(...(c.json as { processes: typeof processes }).processes);
        if (c.recordType === RecordType.COVERAGE_STATS) {
          const sources = (c.json as { sources: Record<string, unknown>[] }).sources;
          coverage = sources.find((x) => x.source === 'ebpf');
          pcapCoverage = sources.find((x) => x.source === 'pcap');
        }
      },
      packet(p) {
        const ctx = packetEbpfContext(p);
        const pdu = parseExportedPdu(p.data);
        if (ctx && pdu) pdus.push({ ctx, text: p.data.toString('latin1', pdu.payloadOffset), src: pdu.src, dstPort: pdu.dstPort });
      },
    });
    expect(read.truncatedTailBytes).toBe(0);
    // Coverage: every event the kernel emitted is in the bundle; events and drops also per CPU, summing up.
    expect(coverage).toBeDefined();
    const perCpu = coverage!.eventsPerCpu as number[];
    expect(perCpu.length).toBeGreaterThanOrEqual(os.cpus().length); // possible CPUs
    expect(perCpu.reduce((a, b) => a + b, 0)).toBe(coverage!.events);
    expect((coverage!.droppedPerCpu as number[]).reduce((a, b) => a + b, 0)).toBe(coverage!.dropped);
    expect(coverage!.written).toBe(coverage!.events);
    // libpcap's counters for lo: every written packet was received (lo counts each twice), none dropped.
    expect(pcapCoverage).toMatchObject({ device: 'lo', packets: summary.packets.lo, dropped: 0 });
    expect(pcapCoverage!.received as number).toBeGreaterThanOrEqual(summary.packets.lo);
    // The traced child is in the process table (snapshot at start: it was already running).
    const me = processes.find((p) => p.pid === child.pid);
    expect(me).toMatchObject({ comm: 'node' });
    expect(me?.cmdline).toContain('-e');
    const req = pdus.filter((p) => p.text.startsWith('GET /recorded'));
    const res = pdus.filter((p) => p.text.startsWith('HTTP/1.1 200 OK'));
    expect(req.map((p) => `${p.ctx.direction}/${p.ctx.role}`).sort()).toEqual(['egress/client', 'ingress/server']);
    expect(res.map((p) => `${p.ctx.direction}/${p.ctx.role}`).sort()).toEqual(['egress/server', 'ingress/client']);
    for (const p of [...req, ...res]) {
      expect(p.ctx.pid).toBe(child.pid);
      expect(p.ctx.comm).toBe('node');
      expect(p.src).toBe('127.0.0.1');
    }

    const t = spawnSync('tshark', ['-r', out, '-Y', 'http', '-T', 'fields', '-e', 'frame.interface_name', '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.response.code'], { encoding: 'utf8' });
    expect(t.status).toBe(0);
    const lines = t.stdout.trim().split('\n').map((l) => l.split('\t'));
    const onEbpf = lines.filter((l) => l[0] === 'ebpf@test-host');
    expect(onEbpf.filter((l) => l[1] === 'GET' && l[2] === '/recorded')).toHaveLength(2); // client and server side
    expect(onEbpf.filter((l) => l[3] === '200')).toHaveLength(2);
    // The packet side decodes as well: the same request and response on the loopback interface.
    const onLo = lines.filter((l) => l[0] === 'lo');
    expect(onLo.filter((l) => l[1] === 'GET' && l[2] === '/recorded')).toHaveLength(1);
    expect(summary.packets.lo).toBeGreaterThan(0);

    // The engine turns the recording into one request/response row per side, with the process and trace context.
    const db = path.join(dir, 'ebpf.db');
    await importCaptures({ inputs: [out], dbPath: db });
    const h = openReadOnly(db);
    try {
      const rows = h.prepare(`SELECT tap_side, signal_source, request_resource, response_code, process_id_0, process_id_1,
        process_kname_0, process_kname_1, syscall_trace_id_request, syscall_trace_id_response, req_tcp_seq, resp_tcp_seq
        FROM l7_flow_log WHERE request_resource = '/recorded' ORDER BY tap_side`).all() as Record<string, unknown>[];
      expect(rows.filter((r) => r.signal_source === 'packet').map((r) => r.response_code)).toEqual([200]);
      rows.splice(rows.findIndex((r) => r.signal_source === 'packet'), 1);
      expect(rows.map((r) => [r.tap_side, r.signal_source, r.response_code])).toEqual([['c-p', 'ebpf', 200], ['s-p', 'ebpf', 200]]);
      expect(rows[0]).toMatchObject({ process_id_0: child.pid, process_kname_0: 'node', process_id_1: null });
      expect(rows[1]).toMatchObject({ process_id_1: child.pid, process_kname_1: 'node', process_id_0: null });
      // Both sides carry the same TCP sequence numbers (the join across observation points), and the server's
      // inbound request and its response share one syscall trace id.
      expect(rows[0].req_tcp_seq).toBe(rows[1].req_tcp_seq);
      expect(rows[0].resp_tcp_seq).toBe(rows[1].resp_tcp_seq);
      expect(rows[1].syscall_trace_id_request).toBeGreaterThan(0);
      expect(rows[1].syscall_trace_id_response).toBe(rows[1].syscall_trace_id_request);
      // The pid resolves to the process through the process table.
      expect(h.prepare('SELECT comm, cmdline FROM processes WHERE pid = ?').get(child.pid)).toMatchObject({ comm: 'node' });
      // The TCP lifecycle: the client socket's close() (the server's socket goes with the process's exit, which is no
      // close() call), and the state changes of the connection as the stack made them, on the server's port.
      const port = h.prepare("SELECT server_port FROM l7_flow_log WHERE request_resource = '/recorded' LIMIT 1").pluck().get();
      const closes = h.prepare(`SELECT pid, role FROM tcp_events WHERE type = 'close' AND (local_port = ? OR remote_port = ?) ORDER BY role`).all(port, port);
      expect(closes).toContainEqual({ pid: child.pid, role: 'client' });
      const states = h.prepare(`SELECT old_state || '>' || new_state AS s FROM tcp_events WHERE type = 'state' AND (local_port = ? OR remote_port = ?)`)
        .pluck().all(port, port) as string[];
      expect(states).toContain('ESTABLISHED>FIN_WAIT1');
      for (const r of h.prepare('SELECT time FROM tcp_events').pluck().all() as number[]) expect(Math.abs(r / 1000 - Date.now())).toBeLessThan(120_000);
    } finally {
      h.close();
    }
  }, 30_000);
});
