// x_request_id_1 is stored as '' when the response echoes the request's X-Request-ID (schema v6); the l7_flow_log
// view must give every combination back as it was on the wire.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { importCaptures } from '../pipeline/import.js';
import { ebpfBundle } from '../test-support/ebpf-bundle.js';
import type { Endpoint } from '../test-support/ebpf-bundle.js';
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
  const b = ebpfBundle('node-a');
  const t0 = 1_700_000_000_000_000_000n;
  const curl = { pid: 100, tid: 101, comm: 'curl', role: 'client' } as const;
  CASES.forEach(([reqId, resId], k) => {
    const cli: Endpoint = ['10.0.0.1', 41000 + k];
    const srv: Endpoint = ['10.0.0.2', 8080];
    const at = t0 + BigInt(k) * 10_000_000n;
    const req = Buffer.from(`GET /case/${k} HTTP/1.1\r\nHost: shop\r\n${header(reqId)}\r\n`);
    const res = Buffer.from(`HTTP/1.1 200 OK\r\n${header(resId)}Content-Length: 0\r\n\r\n`);
    b.event(at, req, cli, srv, { ...curl, socketId: BigInt(k + 1), direction: 'egress', syscall: 'write', tcpSeq: 1000, capSeq: 1 });
    b.event(at + 500_000n, res, srv, cli, { ...curl, socketId: BigInt(k + 1), direction: 'ingress', syscall: 'read', tcpSeq: 7000, capSeq: 2 });
  });
  return b.save(path.join(dir, 'ids.pcapng'));
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
