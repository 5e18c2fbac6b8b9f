// The L7 stage over real captures with every registered parser: protocol choice and the h2c upgrade handover.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { importCaptures } from '../pipeline/import.js';
import { openReadOnly } from '../store/store.js';
import { corpusDir, isCI } from '../test-support/corpus.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-l7-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('HTTP/1.1 Upgrade: h2c hands the connection to the HTTP/2 parser', async (ctx) => {
  // tshark on this file: GET /robots.txt (HTTP/1.1, Upgrade: h2c) → 101, then HTTP/2 streams 1 (200) and 3 (GET /humans.txt → 404).
  const file = path.join(corpusDir, 'scapy/test/pcaps/http2_h2c.pcap');
  if (!existsSync(file)) {
    if (isCI) throw new Error(`corpus file missing in CI: ${file}`);
    console.warn(`not run: ${file} is missing`);
    ctx.skip();
    return;
  }
  const db = path.join(dir, 'h2c.db');
  await importCaptures({ inputs: [file], dbPath: db });
  const h = openReadOnly(db);
  const rows = h.prepare('SELECT l7_protocol, type, request_resource, request_id, response_code FROM l7_flow_log ORDER BY id').all();
  h.close();
  expect(rows).toEqual([
    { l7_protocol: 'HTTP', type: 'session', request_resource: '/robots.txt', request_id: null, response_code: 101 },
    { l7_protocol: 'HTTP2', type: 'session', request_resource: '/humans.txt', request_id: 3, response_code: 404 },
    // Stream 1 answers the HTTP/1.1 request that asked for the upgrade: the HTTP/2 side has no request for it.
    { l7_protocol: 'HTTP2', type: 'response', request_resource: null, request_id: 1, response_code: 200 },
  ]);
});
