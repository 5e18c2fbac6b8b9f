// The loader builds socket-data EPBs in C (the recorder writes them as they come): its bytes must equal what
// BundleWriter.writeExportedPdu writes for the same event in TypeScript, for every syscall, address family,
// dissector guess and flag. Runs without root: only the native addon is needed (CI builds it; it fails there if not).
import { describe, expect, test } from 'vitest';
import { BundleWriter, LINKTYPE_WIRESHARK_UPPER_PDU } from '@rewind/analysis/bundle';
import type { EbpfContext } from '@rewind/analysis/bundle';
import { addonBuilt, blocksFromRecords, EVENT_HEADER_BYTES, EVENT_OFFSETS, SYSCALL_NAMES } from '@rewind/ebpf';
import type { SocketEvent } from '@rewind/ebpf';
import { decodeBatch } from '@rewind/ebpf';
import { dissectorFor } from './ebpf-recorder.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
if (!addonBuilt()) console.log(`EPB builder tests cannot run here: the native loader is not built${ci ? ' (CI: failing instead of skipping)' : ''}`);
const run = addonBuilt() || ci ? describe : describe.skip;

interface Spec {
  syscall: number; dir: 0 | 1; family: 2 | 10; proto: 6 | 17; payload: string; lport: number; rport: number; flags?: number; role?: number;
  pid?: number; comm?: string; kind?: number;
}

function record(s: Spec, i: number): Buffer {
  const O = EVENT_OFFSETS;
  const payload = Buffer.from(s.payload, 'latin1');
  const ev = Buffer.alloc(EVENT_HEADER_BYTES + payload.length);
  ev.writeBigUInt64LE(1_000_000_000n + BigInt(i) * 1_234_567n, O.ts_ns);
  ev.writeBigUInt64LE(BigInt(100 + i), O.socket_id);
  ev.writeBigUInt64LE(BigInt(7 + i), O.syscall_trace_id);
  ev.writeBigUInt64LE(BigInt(i + 1), O.cap_seq);
  ev.writeUInt32LE(s.pid ?? 4242, O.pid);
  ev.writeUInt32LE((s.pid ?? 4242) + 1, O.tid);
  ev.writeInt32LE(5 + i, O.fd);
  ev.writeUInt32LE((0xfffffff0 + i) >>> 0, O.tcp_seq);
  ev.writeUInt32LE(payload.length + (s.flags && s.flags & 2 ? 100 : 0), O.syscall_len);
  ev.writeUInt32LE(payload.length, O.cap_len);
  ev[O.kind] = s.kind ?? 1;
  ev[O.direction] = s.dir;
  ev[O.role] = s.role ?? 0;
  ev[O.syscall] = s.syscall;
  ev[O.flags] = s.flags ?? 0;
  ev[O.protocol] = s.proto;
  ev.writeUInt16LE(s.family, O.family);
  ev.writeUInt16LE(s.lport, O.sport);
  ev.writeUInt16LE(s.rport, O.dport);
  if (s.family === 2) {
    Buffer.from([10, 0, 0, 1 + i]).copy(ev, O.saddr);
    Buffer.from([10, 0, 1, 2]).copy(ev, O.daddr);
  } else {
    Buffer.from('fd000000000000000000000000000001', 'hex').copy(ev, O.saddr);
    Buffer.from('fd00000000000000000000000000abcd', 'hex').copy(ev, O.daddr);
  }
  ev.write(s.comm ?? 'nginx', O.comm, 'latin1');
  payload.copy(ev, EVENT_HEADER_BYTES);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(ev.length);
  return Buffer.concat([len, ev]);
}

const BUNDLE_SYSCALL: Record<string, EbpfContext['syscall']> = {
  write: 'write', read: 'read', writev: 'writev', readv: 'readv', sendto: 'sendto', recvfrom: 'recvfrom', sendmsg: 'sendmsg', recvmsg: 'recvmsg',
  sendmmsg: 'sendmmsg', recvmmsg: 'recvmmsg', ssl_write: 'ssl_write', ssl_read: 'ssl_read',
};

/** What the recorder wrote in TypeScript before the loader built EPBs (the reference). */
function reference(events: SocketEvent[], offsetNs: bigint): Buffer {
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), { host: 'h' });
  const iface = w.addInterface({ linkType: LINKTYPE_WIRESHARK_UPPER_PDU, name: 'ebpf@h' });
  parts.length = 0;
  for (const e of events) {
    const egress = e.direction === 0;
    w.writeExportedPdu(iface, e.tsNs + offsetNs, {
      proto: dissectorFor(e.payload, e.localPort, e.remotePort), ipVersion: e.family,
      src: egress ? e.localAddr : e.remoteAddr, dst: egress ? e.remoteAddr : e.localAddr,
      srcPort: egress ? e.localPort : e.remotePort, dstPort: egress ? e.remotePort : e.localPort, portType: e.protocol === 17 ? 3 : 2,
    }, e.payload, {
      ebpf: {
        pid: e.pid, tid: e.tid, comm: e.comm, fd: e.fd, socketId: e.socketId, direction: egress ? 'egress' : 'ingress',
        syscall: BUNDLE_SYSCALL[e.syscall] ?? 'unknown', tcpSeq: e.tcpSeq, syscallTraceId: e.syscallTraceId, capSeq: Number(e.capSeq),
        syscallLen: e.syscallLen, capturedLen: e.payload.length, tls: (e.flags & 1) !== 0, role: e.role,
      },
    });
  }
  return Buffer.concat(parts);
}

const SPECS: Spec[] = [
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'GET /a/b HTTP/1.1\r\nHost: x\r\n\r\n', lport: 40000, rport: 80, role: 1 },
  { syscall: 2, dir: 1, family: 2, proto: 6, payload: 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', lport: 40000, rport: 80, role: 1 },
  { syscall: 9, dir: 0, family: 10, proto: 6, payload: 'HTTP/1.0 404 Not Found\r\n\r\n', lport: 8080, rport: 51000, role: 2 },
  { syscall: 10, dir: 1, family: 10, proto: 6, payload: 'POST /x HTTP/2', lport: 8080, rport: 51000, role: 2, flags: 2 },
  { syscall: 3, dir: 0, family: 2, proto: 6, payload: '*1\r\n$4\r\nPING\r\n', lport: 40001, rport: 6379 },
  { syscall: 4, dir: 1, family: 2, proto: 6, payload: '+PONG\r\n', lport: 40001, rport: 6379 },
  { syscall: 11, dir: 0, family: 2, proto: 17, payload: '\x12\x34\x01\x00\x00\x01', lport: 53000, rport: 53 },
  { syscall: 12, dir: 1, family: 2, proto: 17, payload: 'x', lport: 53000, rport: 53 },
  { syscall: 13, dir: 0, family: 10, proto: 17, payload: 'abc', lport: 1, rport: 2 },
  { syscall: 14, dir: 1, family: 10, proto: 17, payload: '', lport: 1, rport: 2 },
  { syscall: 15, dir: 0, family: 2, proto: 6, payload: 'GET / HTTP/1.1\r\n\r\n', lport: 40002, rport: 443, flags: 1, role: 1 },
  { syscall: 16, dir: 1, family: 2, proto: 6, payload: 'HTTP/1.1 204 No Content\r\n\r\n', lport: 40002, rport: 443, flags: 1, role: 1 },
  // near misses of the HTTP guess: no space, no digit, a tab, past the 32-byte head, a lower-case method
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'GET  HTTP/1.1', lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'GET /x HTTP/x', lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'GET /x\tHTTP/1.1', lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: `GET /${'a'.repeat(30)} HTTP/1.1`, lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'get / HTTP/1.1', lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'HTTP/1.1 20 OK', lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'GET /\xa0 HTTP/1.1', lport: 1, rport: 2 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: '\x00PING', lport: 1, rport: 6379 },
  { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'x'.repeat(4096), lport: 1, rport: 2, comm: 'a-long-comm-nam' },
];

run('EPBs built by the loader', () => {
  test('equal BundleWriter.writeExportedPdu byte for byte', () => {
    const records = Buffer.concat(SPECS.map((s, i) => record(s, i)));
    const offsetNs = 1_700_000_000_000_000_000n;
    const expected = decodeBatch(records, SPECS.length, records.length).events;
    expect(expected).toHaveLength(SPECS.length);
    const got = blocksFromRecords(records, SPECS.length, 0, offsetNs);
    expect(got.epbs).toBe(SPECS.length);
    const want = reference(expected, offsetNs);
    // block by block first (a readable failure), then the whole
    let off = 0;
    for (let i = 0; i < SPECS.length; i++) {
      const len = want.readUInt32LE(off + 4);
      expect({ i, block: got.blocks.subarray(off, off + len).toString('hex') }).toEqual({ i, block: want.subarray(off, off + len).toString('hex') });
      off += len;
    }
    expect(got.blocks.equals(want)).toBe(true);
    expect(got.firstUs).toBe(Number((expected[0].tsNs + offsetNs) / 1000n));
    expect(got.lastUs).toBe(Number((expected[SPECS.length - 1].tsNs + offsetNs) / 1000n));
    // every syscall code the tracer has is named for the bundle (no 'unknown' in the context)
    for (const name of Object.values(SYSCALL_NAMES)) if (!['connect', 'accept', 'accept4', 'close'].includes(name)) expect(BUNDLE_SYSCALL[name]).toBeDefined();
  });

  test('other events and first-seen processes go to the side records', () => {
    const specs: Spec[] = [
      { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'a', lport: 1, rport: 2, pid: 10 },
      { syscall: 1, dir: 0, family: 2, proto: 6, payload: 'b', lport: 1, rport: 2, pid: 10 },
      { syscall: 7, dir: 0, family: 2, proto: 6, payload: '', lport: 1, rport: 2, pid: 11, kind: 3 },
      { syscall: 0, dir: 0, family: 2, proto: 6, payload: '', lport: 1, rport: 2, pid: 12, kind: 4 },
    ];
    const records = Buffer.concat(specs.map((s, i) => record(s, i)));
    const got = blocksFromRecords(records, specs.length, 0, 0n);
    expect(got.epbs).toBe(2);
    expect(got.side.map((e) => [e.kind, e.pid])).toEqual([[100, 10], [100, 11], [3, 11], [100, 12], [4, 12]]);
  });
});
