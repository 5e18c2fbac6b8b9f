// eBPF socket data in a bundle becomes l7_flow_log rows through the same parsers as packets: one row per request on
// each side (c-p for the client process, s-p for the server process), with the process, the syscall trace ids and
// capture sequences, and the TCP sequence numbers that join both sides.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RecordType } from '../bundle/constants.js';
import { ebpfBundle } from '../test-support/ebpf-bundle.js';
import type { Endpoint } from '../test-support/ebpf-bundle.js';
import { openReadOnly } from '../store/store.js';
import { importCaptures } from './import.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-ebpf-ingest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REQ = Buffer.from('GET /orders/7 HTTP/1.1\r\nHost: shop\r\nX-Request-ID: r-1\r\n\r\n');
const RES = Buffer.from('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n');

function bundle(): string {
  const b = ebpfBundle('node-a');
  const w = b.writer;
  w.writeRecord(RecordType.PROCESS_TABLE, {
    snapshot: true, tsUs: 1_700_000_000_000_000,
    processes: [{ pid: 100, ppid: 1, comm: 'curl', cmdline: ['curl', 'http://shop/orders/7'], containerId: null, cgroup: '/', startTimeUs: 1 }, { nopid: true }],
  });
  const t0 = 1_700_000_000_000_000_000n;
  const ev = b.event;
  const cli: Endpoint = ['10.0.0.1', 41000];
  const srv: Endpoint = ['10.0.0.2', 8080];
  // client writes the request, server reads it, server writes the response, client reads it
  ev(t0, REQ, cli, srv, { pid: 100, tid: 101, comm: 'curl', socketId: 1n, direction: 'egress', role: 'client', syscall: 'write', tcpSeq: 1000, capSeq: 1 });
  ev(t0 + 50_000n, REQ, cli, srv, { pid: 200, tid: 201, comm: 'nginx', socketId: 2n, direction: 'ingress', role: 'server', syscall: 'read', tcpSeq: 1000, syscallTraceId: 9n, capSeq: 1 });
  ev(t0 + 900_000n, RES, srv, cli, { pid: 200, tid: 201, comm: 'nginx', socketId: 2n, direction: 'egress', role: 'server', syscall: 'write', tcpSeq: 7000, syscallTraceId: 9n, capSeq: 2 });
  ev(t0 + 950_000n, RES, srv, cli, { pid: 100, tid: 101, comm: 'curl', socketId: 1n, direction: 'ingress', role: 'client', syscall: 'read', tcpSeq: 7000, syscallTraceId: 4n, capSeq: 2 });
  return b.save(path.join(dir, 'ebpf.pcapng'));
}

describe('eBPF socket data import', () => {
  test('each side becomes one l7_flow_log row with its process and syscall context', async () => {
    const db = path.join(dir, 'ebpf.db');
    const s = await importCaptures({ inputs: [bundle()], dbPath: db, now: () => 1 });
    expect(s.l7Records).toBe(2);
    const h = openReadOnly(db);
    try {
      const rows = h.prepare(`SELECT tap_side, observation_point, signal_source, l7_protocol, ip_0, ip_1, client_port, server_port, request_type,
        request_resource, response_code, response_status, x_request_id_0, req_tcp_seq, resp_tcp_seq, rrt, process_id_0, process_id_1,
        process_kname_0, process_kname_1, syscall_trace_id_request, syscall_trace_id_response, syscall_thread_0, syscall_thread_1,
        syscall_cap_seq_0, syscall_cap_seq_1 FROM l7_flow_log ORDER BY tap_side`).all();
      const common = {
        signal_source: 'ebpf', l7_protocol: 'HTTP', ip_0: '10.0.0.1', ip_1: '10.0.0.2', client_port: 41000, server_port: 8080,
        request_type: 'GET', request_resource: '/orders/7', response_code: 503, response_status: 'server_error', x_request_id_0: 'r-1',
        req_tcp_seq: 1000, resp_tcp_seq: 7000, syscall_cap_seq_0: 1, syscall_cap_seq_1: 2,
      };
      expect(rows).toEqual([
        { ...common, tap_side: 'c-p', observation_point: 'ebpf@node-a c-p', rrt: 950, process_id_0: 100, process_id_1: null,
          process_kname_0: 'curl', process_kname_1: null, syscall_trace_id_request: 0, syscall_trace_id_response: 4,
          syscall_thread_0: 101, syscall_thread_1: 101 },
        { ...common, tap_side: 's-p', observation_point: 'ebpf@node-a s-p', rrt: 850, process_id_0: null, process_id_1: 200,
          process_kname_0: null, process_kname_1: 'nginx', syscall_trace_id_request: 9, syscall_trace_id_response: 9,
          syscall_thread_0: 201, syscall_thread_1: 201 },
      ]);
      // The process table resolves the pids; a process entry without a pid is a recorded violation.
      expect(h.prepare('SELECT pid, ppid, comm, cmdline, snapshot FROM processes').all()).toEqual([
        { pid: 100, ppid: 1, comm: 'curl', cmdline: 'curl http://shop/orders/7', snapshot: 1 },
      ]);
      expect(h.prepare("SELECT count FROM ingest_violations WHERE kind = 'process-table-malformed'").all()).toEqual([{ count: 1 }]);
      // No packet flows: eBPF data is not traffic on a wire.
      expect(h.prepare('SELECT count(*) AS n FROM l4_flow_log').get()).toEqual({ n: 0 });
    } finally {
      h.close();
    }
  });
});
