// The writer thread stores exactly what inline inserts store, reports its failures, and bounds its queue.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, test } from 'vitest';
import { importCaptures } from '../pipeline/import.js';
import { BulkWriter, writerWorkerUrl } from './bulk-writer.js';
import { newNetMetricsRow } from '../flows/net-metrics.js';
import { NET_METRIC_MAX_COLUMNS, NET_METRIC_SUM_COLUMNS } from './schema.js';
import { openReadOnly, openStore } from './store.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sample = fileURLToPath(new URL('../../../sample-captures/loopback-http.pcap', import.meta.url));

function dump(db: string): Record<string, unknown[]> {
  const h = openReadOnly(db);
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of ['_l4_flow_log', '_l7_flow', '_l7_flow_log', '_metrics_net_1s', '_metrics_net_1m', '_metrics_app_1s', '_metrics_app_1m', 'ingest_violations', 'observation_points', '_l7_protocols']) {
      out[t] = h.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).raw().all();
    }
    return out;
  } finally {
    h.close();
  }
}

describe('store writer thread', () => {
  test('the compiled worker script is found (npm test builds dist first)', () => {
    expect(writerWorkerUrl()).not.toBeNull();
  });

  test('a file database uses it, an in-memory one inserts inline', async () => {
    const s = openStore(path.join(dir, 'uses.db'));
    expect(s.usesWriterThread).toBe(true);
    await s.closeAsync();
    const m = openStore(':memory:');
    expect(m.usesWriterThread).toBe(false);
    m.close();
  });

  test('a writer thread gets packed batches when the SQLite extension is built (CI must have it), value arrays without', async () => {
    const s = openStore(path.join(dir, 'packs.db'));
    const why = s.packedRowsOff;
    await s.closeAsync();
    if (why !== null) process.stdout.write(`bulk-writer.test: batches are not packed here: ${why}\n`);
    if (process.env.CI === 'true') expect(why).toBeNull();
    const before = process.env.REWIND_PACKED_ROWS;
    process.env.REWIND_PACKED_ROWS = '0';
    try {
      const off = openStore(path.join(dir, 'packs-off.db'));
      expect(off.usesWriterThread).toBe(true);
      expect(off.packsRows).toBe(false);
      await off.closeAsync();
    } finally {
      if (before === undefined) delete process.env.REWIND_PACKED_ROWS;
      else process.env.REWIND_PACKED_ROWS = before;
    }
  });

  test('packed batches and value arrays store the same rows', async () => {
    const a = path.join(dir, 'packed.db');
    const b = path.join(dir, 'values.db');
    const before = process.env.REWIND_PACKED_ROWS;
    const sa = await importCaptures({ inputs: [sample], dbPath: a, now: () => 1 });
    process.env.REWIND_PACKED_ROWS = '0';
    try {
      const sb = await importCaptures({ inputs: [sample], dbPath: b, now: () => 1 });
      expect(sb.l7Records).toBe(sa.l7Records);
    } finally {
      if (before === undefined) delete process.env.REWIND_PACKED_ROWS;
      else process.env.REWIND_PACKED_ROWS = before;
    }
    const da = dump(a);
    expect(da._l7_flow_log.length).toBe(sa.l7Records);
    expect(da).toEqual(dump(b));
  });

  test('an import through the writer thread stores the same rows as an inline import', async () => {
    const a = path.join(dir, 'thread.db');
    const b = path.join(dir, 'inline.db');
    const sa = await importCaptures({ inputs: [sample], dbPath: a, now: () => 1 });
    const sb = await importCaptures({ inputs: [sample], dbPath: b, now: () => 1, writerThread: false });
    expect(sa.l7Records).toBeGreaterThan(0);
    expect(sa.l7Records).toBe(sb.l7Records);
    const da = dump(a);
    const db = dump(b);
    expect(da._l7_flow_log.length).toBe(sa.l7Records);
    expect(da._metrics_app_1s.length).toBeGreaterThan(0);
    expect(da).toEqual(db);
  });

  test('metrics_net_1m rows are the sums and maxima of their metrics_net_1s rows', () => {
    const h = openReadOnly(path.join(dir, 'thread.db'));
    try {
      const keys = 'observation_point_id, ip_0, ip_1, server_port, protocol';
      const agg = [...NET_METRIC_SUM_COLUMNS.map((c) => `sum(${c})`), ...NET_METRIC_MAX_COLUMNS.map((c) => `max(${c})`)].join(', ');
      const cols = [...NET_METRIC_SUM_COLUMNS, ...NET_METRIC_MAX_COLUMNS].join(', ');
      const fromSeconds = h.prepare(`SELECT (time / 60000000) * 60000000 AS m, ${keys}, ${agg} FROM _metrics_net_1s GROUP BY m, ${keys} ORDER BY m, ${keys}`).raw().all();
      const minutes = h.prepare(`SELECT time, ${keys}, ${cols} FROM _metrics_net_1m ORDER BY time, ${keys}`).raw().all();
      expect(minutes.length).toBeGreaterThan(0);
      expect(minutes).toEqual(fromSeconds);
    } finally {
      h.close();
    }
  });

  test('a minute of metrics_net_1m is written once a second 15 s past its end arrives, not at the end', async () => {
    const s = openStore(':memory:');
    try {
      const count = (): number => s.db.prepare('SELECT count(*) FROM _metrics_net_1m').pluck().get() as number;
      const t0 = 1_700_000_040_000_000; // a minute boundary
      const second = (sec: number, port: number): void => {
        const m = newNetMetricsRow(t0 + sec * 1_000_000, 1, '10.0.0.1', '10.0.0.2', port, 6);
        m.packetTx = 1;
        m.rttMax = sec;
        s.addNetMetrics(m);
        s.flush();
      };
      for (let sec = 0; sec < 60; sec++) second(sec, 80 + (sec % 2));
      for (let sec = 60; sec < 75; sec++) second(sec, 80);
      expect(count()).toBe(0); // up to 15 s late rows still count in the first minute
      second(75, 80);
      const first = s.db.prepare('SELECT server_port, packet_tx, rtt_max FROM _metrics_net_1m ORDER BY server_port').raw().all();
      expect(first).toEqual([[80, 30, 58], [81, 30, 59]]);
      await s.drain();
      expect(s.db.prepare('SELECT time, packet_tx FROM _metrics_net_1m WHERE server_port = 80 ORDER BY time').raw().all())
        .toEqual([[t0, 30], [t0 + 60_000_000, 16]]);
    } finally {
      s.close();
    }
  });

  test('a flush follows the flushFirst chain through a table with nothing pending', async () => {
    // l7_flow_log rows refer to _l7_flow and _l7_attributes rows: the writer must receive a row's referents first even
    // when the middle table has no rows pending.
    const file = path.join(dir, 'chain.db');
    const h = new Database(file);
    h.pragma('journal_mode = WAL');
    h.exec('CREATE TABLE seq (n INTEGER PRIMARY KEY AUTOINCREMENT, t TEXT NOT NULL, v INTEGER NOT NULL)');
    const insert = (t: string): string => `INSERT INTO seq(t, v) VALUES ('${t}', ?)`;
    const w = new BulkWriter(h, [
      { sql: insert('rows'), width: 1, flushFirst: 1 },
      { sql: insert('middle'), width: 1, flushFirst: 2 },
      { sql: insert('texts'), width: 1 },
    ], null, file);
    w.put(1, 1);
    w.put(0, 2); // flushes 'middle' first (it has a row), which flushes 'texts' (none yet)
    w.flush();
    w.put(2, 3);
    w.put(0, 4); // 'middle' has nothing pending: 'texts' must still go before 'rows'
    w.flush();
    await w.close();
    expect(h.prepare('SELECT t, v FROM seq ORDER BY n').raw().all()).toEqual([['middle', 1], ['rows', 2], ['texts', 3], ['rows', 4]]);
    h.close();
  });

  test('a failing statement in the writer thread rejects drain() with its message', async () => {
    const file = path.join(dir, 'bad.db');
    const h = new Database(file);
    h.exec('CREATE TABLE t (a INTEGER NOT NULL)');
    const w = new BulkWriter(h, [{ sql: 'INSERT INTO t(a) VALUES (?)', width: 1 }], null, file);
    expect(w.usesWorker).toBe(true);
    w.put(0, null);
    await expect(w.drain()).rejects.toThrow(/NOT NULL/);
    w.abort();
    h.close();
  });

  test('the producer is asked to wait while the writer thread is behind, and every row arrives', async () => {
    const file = path.join(dir, 'pressure.db');
    const h = new Database(file);
    h.pragma('journal_mode = WAL');
    h.exec('CREATE TABLE t (a INTEGER NOT NULL, b TEXT)');
    const w = new BulkWriter(h, [{ sql: 'INSERT INTO t(a, b) VALUES (?, ?)', width: 2 }], null, file);
    let waited = 0;
    const total = 200_000;
    for (let i = 0; i < total; i++) {
      if (i % 2 === 0) {
        w.put(0, i, `row ${i}`);
      } else {
        // The hot tables' way: straight into the reused batch array.
        const out = w.batch(0);
        const o = w.offset(0);
        out[o] = i;
        out[o + 1] = `row ${i}`;
        w.end(0);
      }
      const p = w.pressure();
      if (p !== null) {
        waited++;
        await p;
      }
    }
    await w.close();
    expect(waited).toBeGreaterThan(0);
    expect(h.prepare('SELECT count(*) AS n, sum(a) AS s FROM t').get()).toEqual({ n: total, s: (total * (total - 1)) / 2 });
    // Batch arrays are reused: every row still carries its own values (the last batch is a partial one).
    expect(h.prepare("SELECT count(*) FROM t WHERE b = 'row ' || a").pluck().get()).toBe(total);
    expect(() => w.put(0, 1)).toThrow(/1 values for a table of 2 columns/);
    h.close();
  });
});
