// The TypeScript decoder's sizes and offsets agree with socket_trace.h (compiled here with the C compiler), and a
// record encoded by hand decodes to its fields.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { decodeBatch, EVENT_HEADER_BYTES, EVENT_OFFSETS } from './event.js';

const header = fileURLToPath(new URL('./socket_trace.h', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-ebpf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('struct rw_event layout', () => {
  test('offsets and size equal the C header as the C compiler lays it out', () => {
    const fields = Object.keys(EVENT_OFFSETS);
    const src = `#include <stdio.h>
#include <stddef.h>
#include <linux/types.h>
#include "${header}"
int main(void) {
  printf("{\\"size\\":%zu", sizeof(struct rw_event));
${fields.map((f) => `  printf(",\\"${f}\\":%zu", offsetof(struct rw_event, ${f}));`).join('\n')}
  printf("}\\n");
  return 0;
}
`;
    const c = path.join(dir, 'layout.c');
    const exe = path.join(dir, 'layout');
    writeFileSync(c, src);
    execFileSync('cc', ['-o', exe, c]);
    const got = JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as Record<string, number>;
    expect(got.size).toBe(EVENT_HEADER_BYTES);
    for (const f of fields) expect({ field: f, offset: got[f] }).toEqual({ field: f, offset: EVENT_OFFSETS[f as keyof typeof EVENT_OFFSETS] });
  });

  test('a hand-made batch decodes field by field; a cut record is counted, not thrown', () => {
    const O = EVENT_OFFSETS;
    const payload = Buffer.from('GET / HTTP/1.1\r\n\r\n');
    const ev = Buffer.alloc(EVENT_HEADER_BYTES + payload.length);
    ev.writeBigUInt64LE(123456789n, O.ts_ns);
    ev.writeBigUInt64LE(7n, O.socket_id);
    ev.writeBigUInt64LE(42n, O.syscall_trace_id);
    ev.writeBigUInt64LE(3n, O.cap_seq);
    ev.writeUInt32LE(1000, O.pid);
    ev.writeUInt32LE(1001, O.tid);
    ev.writeInt32LE(9, O.fd);
    ev.writeUInt32LE(0xdeadbeef, O.tcp_seq);
    ev.writeUInt32LE(payload.length, O.syscall_len);
    ev.writeUInt32LE(payload.length, O.cap_len);
    ev[O.kind] = 1;
    ev[O.direction] = 0;
    ev[O.role] = 1;
    ev[O.syscall] = 1;
    ev[O.protocol] = 6;
    ev.writeUInt16LE(2, O.family);
    ev.writeUInt16LE(40000, O.sport);
    ev.writeUInt16LE(80, O.dport);
    Buffer.from([127, 0, 0, 1]).copy(ev, O.saddr);
    Buffer.from([127, 0, 0, 2]).copy(ev, O.daddr);
    ev.write('curl', O.comm, 'latin1');
    payload.copy(ev, EVENT_HEADER_BYTES);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(ev.length);
    const cut = Buffer.alloc(4);
    cut.writeUInt32LE(EVENT_HEADER_BYTES - 1);
    const batch = Buffer.concat([len, ev, cut, Buffer.alloc(EVENT_HEADER_BYTES - 1)]);
    const { events, malformed } = decodeBatch(batch, 2, batch.length);
    expect(malformed).toBe(1);
    expect(events).toHaveLength(1);
    const e = events[0];
    expect({ ...e, payload: e.payload.toString() }).toEqual({
      tsNs: 123456789n, socketId: 7n, syscallTraceId: 42n, capSeq: 3n, pid: 1000, tid: 1001, fd: 9, tcpSeq: 0xdeadbeef,
      syscallLen: payload.length, kind: 1, direction: 0, role: 'client', syscall: 'write', flags: 0, protocol: 6, family: 4,
      localAddr: '127.0.0.1', localPort: 40000, remoteAddr: '127.0.0.2', remotePort: 80, comm: 'curl', aux: 0, payload: payload.toString(),
    });
  });
});
