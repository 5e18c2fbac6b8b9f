// l7_flow_log.attributes is stored once per distinct JSON text in _l7_attributes (schema v7): the view must give
// every row its own attributes back, merged from request and response, across imports into the same database.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { AttributesDictionary } from '../l7/record-row.js';
import { newMessage } from '../protocols/common/message.js';
import { importCaptures } from '../pipeline/import.js';
import { ebpfBundle } from '../test-support/ebpf-bundle.js';
import type { Endpoint } from '../test-support/ebpf-bundle.js';
import { openReadOnly } from './store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-attributes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Request User-Agent and response Content-Type per exchange (undefined: no header, so no attribute). */
const CASES: [string | undefined, string | undefined][] = [
  ['curl/8.5.0', 'text/html'],
  ['curl/8.5.0', 'text/html'],
  ['curl/8.5.0', 'application/json'],
  ['wget/1.21', undefined],
  [undefined, undefined],
  ['curl/8.5.0', 'text/html'],
];

function expectedJson(ua: string | undefined, ct: string | undefined): string | null {
  if (ua === undefined && ct === undefined) return null;
  const a: Record<string, string> = {};
  if (ua !== undefined) a['user-agent'] = ua;
  if (ct !== undefined) a['content-type'] = ct;
  return JSON.stringify(a);
}

function bundle(name: string, portBase: number): string {
  const b = ebpfBundle('node-a');
  const t0 = 1_700_000_000_000_000_000n;
  const curl = { pid: 100, tid: 101, comm: 'curl', role: 'client' } as const;
  CASES.forEach(([ua, ct], k) => {
    const cli: Endpoint = ['10.0.0.1', portBase + k];
    const srv: Endpoint = ['10.0.0.2', 8080];
    const at = t0 + BigInt(k) * 10_000_000n;
    const req = Buffer.from(`GET /case/${k} HTTP/1.1\r\nHost: shop\r\n${ua ? `User-Agent: ${ua}\r\n` : ''}\r\n`);
    const res = Buffer.from(`HTTP/1.1 200 OK\r\n${ct ? `Content-Type: ${ct}\r\n` : ''}Content-Length: 0\r\n\r\n`);
    b.event(at, req, cli, srv, { ...curl, socketId: BigInt(k + 1), direction: 'egress', syscall: 'write', tcpSeq: 1000, capSeq: 1 });
    b.event(at + 500_000n, res, srv, cli, { ...curl, socketId: BigInt(k + 1), direction: 'ingress', syscall: 'read', tcpSeq: 7000, capSeq: 2 });
  });
  return b.save(path.join(dir, name));
}

describe('attributes of l7_flow_log rows', () => {
  test('the view returns each row its merged attributes; each distinct text is stored once per import', async () => {
    const db = path.join(dir, 'attrs.db');
    await importCaptures({ inputs: [bundle('a.pcapng', 41000)], dbPath: db, now: () => 1 });
    // A second import into the same database continues the ids (and may store a text again under a new id).
    await importCaptures({ inputs: [bundle('b.pcapng', 42000)], dbPath: db, now: () => 1 });
    const h = openReadOnly(db);
    try {
      const rows = h.prepare('SELECT request_resource, attributes FROM l7_flow_log ORDER BY client_port').all();
      const want = [...CASES, ...CASES].map(([ua, ct], k) => ({ request_resource: `/case/${k % CASES.length}`, attributes: expectedJson(ua, ct) }));
      expect(rows).toEqual(want);
      const texts = h.prepare('SELECT id, json FROM _l7_attributes ORDER BY id').all() as { id: number; json: string }[];
      const distinct = new Set(CASES.map(([ua, ct]) => expectedJson(ua, ct)).filter((j) => j !== null));
      expect(texts.length).toBe(2 * distinct.size);
      expect(new Set(texts.map((t) => t.id)).size).toBe(texts.length);
      // Every stored id refers to a text; rows without attributes store none.
      expect(h.prepare('SELECT count(*) FROM _l7_flow_log l WHERE l.attributes_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM _l7_attributes a WHERE a.id = l.attributes_id)').pluck().get()).toBe(0);
      expect(h.prepare('SELECT count(*) FROM _l7_flow_log WHERE attributes_id IS NULL').pluck().get()).toBe(2);
      // SQL over the view reads the JSON as before.
      expect(h.prepare("SELECT count(*) FROM l7_flow_log WHERE json_extract(attributes, '$.user-agent') = 'curl/8.5.0'").pluck().get()).toBe(8);
    } finally {
      h.close();
    }
  });

  test('the dictionary: one id per text, found again by object or by text, merged with the response winning', () => {
    const emitted: [number, string][] = [];
    const d = new AttributesDictionary(10, (id, json) => emitted.push([id, json]));
    const req = newMessage('request', 1, 0, 0);
    const res = newMessage('response', 2, 0, 0);
    req.attributes = { 'user-agent': 'a', 'x': 'req' };
    res.attributes = { 'content-type': 'b', 'x': 'res' };
    const merged = d.idOf(req, res);
    expect(merged).toBe(10);
    expect(emitted).toEqual([[10, JSON.stringify({ 'user-agent': 'a', x: 'res', 'content-type': 'b' })]]);
    expect(d.idOf(req, res)).toBe(10); // the same objects again: no new text
    // A fresh object with the same values: found by its text.
    const req2 = newMessage('request', 3, 0, 0);
    req2.attributes = { 'user-agent': 'a', 'x': 'req' };
    expect(d.idOf(req2, res)).toBe(10);
    expect(d.idOf(req, undefined)).toBe(11);
    expect(d.idOf(undefined, res)).toBe(12);
    expect(d.idOf(newMessage('request', 4, 0, 0), undefined)).toBeNull();
    expect(emitted.map(([id]) => id)).toEqual([10, 11, 12]);
  });
});
