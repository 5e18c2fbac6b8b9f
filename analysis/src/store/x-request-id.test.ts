// x_request_id_1 is stored as '' when the response echoes the request's X-Request-ID (schema v6); the l7_flow_log
// view must give every combination back as it was on the wire.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { BundleWriter } from '../bundle/writer.js';
import type { EbpfContext } from '../bundle/ebpf-context.js';
import { LINKTYPE_WIRESHARK_UPPER_PDU } from '../bundle/constants.js';
import { importCaptures } from '../pipeline/import.js';
import { openReadOnly } from './store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-x-request-id-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Request and response X-Request-ID per exchange (undefined: no header). */
const CASES: [string | undefined, string | undefined][] = [
  ['same-1', 'same-1'],
  ['req-2', 'res-2'],
  ['req-3', undefined],
  [undefined, 'res-4'],
  [undefined, undefined],
];

function header(id: string | undefined): string {
  return id === undefined ? '' : `X-Request-ID: ${id}\r\n`;
}

function bundle(): string {
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), { host: 'node-a' });
  const i = w.addInterface({ linkType: LINKTYPE_WIRESHARK_UPPER_PDU, name: 'ebpf@node-a', observationPoint: { kind: 'ebpf', host: 'node-a' } });
  const t0 = 1_700_000_000_000_000_000n;
  const base = { fd: 5, tls: false, capturedLen: 0, syscallLen: 0 } as const;
  const ev = (ts: bigint, payload: Buffer, src: [string, number], dst: [string, number], ctx: Partial<EbpfContext>): void => {
    w.writeExportedPdu(i, ts, { proto: 'http', ipVersion: 4, src: src[0], srcPort: src[1], dst: dst[0], dstPort: dst[1], portType: 2 }, payload, {
      ebpf: { ...base, pid: 100, tid: 101, comm: 'curl', socketId: 0n, direction: 'unknown', syscall: 'write', tcpSeq: 0, syscallTraceId: 0n, capSeq: 0, ...ctx, syscallLen: payload.length, capturedLen: payload.length },
    });
  };
  CASES.forEach(([reqId, resId], k) => {
    const cli: [string, number] = ['10.0.0.1', 41000 + k];
    const srv: [string, number] = ['10.0.0.2', 8080];
    const at = t0 + BigInt(k) * 10_000_000n;
    const req = Buffer.from(`GET /case/${k} HTTP/1.1\r\nHost: shop\r\n${header(reqId)}\r\n`);
    const res = Buffer.from(`HTTP/1.1 200 OK\r\n${header(resId)}Content-Length: 0\r\n\r\n`);
    ev(at, req, cli, srv, { socketId: BigInt(k + 1), direction: 'egress', role: 'client', syscall: 'write', tcpSeq: 1000, capSeq: 1 });
    ev(at + 500_000n, res, srv, cli, { socketId: BigInt(k + 1), direction: 'ingress', role: 'client', syscall: 'read', tcpSeq: 7000, capSeq: 2 });
  });
  w.writeSummary();
  const p = path.join(dir, 'ids.pcapng');
  writeFileSync(p, Buffer.concat(parts));
  return p;
}

describe('X-Request-ID of request and response', () => {
  test('the view returns both ids as seen; an echoed id is stored once', async () => {
    const db = path.join(dir, 'ids.db');
    const s = await importCaptures({ inputs: [bundle()], dbPath: db, now: () => 1 });
    expect(s.l7Records).toBe(CASES.length);
    const h = openReadOnly(db);
    try {
      const rows = h.prepare('SELECT request_resource, x_request_id_0, x_request_id_1 FROM l7_flow_log ORDER BY start_time').all();
      expect(rows).toEqual(CASES.map(([a, b], k) => ({ request_resource: `/case/${k}`, x_request_id_0: a ?? null, x_request_id_1: b ?? null })));
      const stored = h.prepare('SELECT x_request_id_1 FROM _l7_flow_log ORDER BY start_time').pluck().all();
      expect(stored).toEqual(['', 'res-2', null, 'res-4', null]);
      // Filters on the view see the id given back.
      expect(h.prepare("SELECT count(*) FROM l7_flow_log WHERE x_request_id_1 = 'same-1'").pluck().get()).toBe(1);
    } finally {
      h.close();
    }
  });
});
