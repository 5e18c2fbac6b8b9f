// Import pipeline: bad input ends in a clear status and exact violation rows, never a crash.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { BundleWriter } from '../bundle/writer.js';
import { writePcap } from '../decode/test-support/capture-file.js';
import { eth, ipv4, tcp } from '../decode/test-support/frames.js';
import { openReadOnly } from '../store/store.js';
import { importCaptures } from './import.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const syn = eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sp: 40000, dp: 80, seq: 1, flags: 0x02 })));
const synAck = eth(0x0800, ipv4({ src: '10.0.0.2', dst: '10.0.0.1', proto: 6 }, tcp({ sp: 80, dp: 40000, seq: 9, ack: 2, flags: 0x12 })));

function bundle(file: string, opts: { formatVersion?: string; tsNs?: bigint[] } = {}): string {
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), { host: 'h1', formatVersion: opts.formatVersion });
  const i = w.addInterface({ linkType: 1, name: 'eth0' });
  const ts = opts.tsNs ?? [1_700_000_000_000_000_000n, 1_700_000_000_000_100_000n];
  w.writePacket(i, ts[0], syn);
  w.writePacket(i, ts[1], synAck);
  const p = path.join(dir, file);
  writeFileSync(p, Buffer.concat(parts));
  return p;
}

function rows(db: string, sql: string): Record<string, unknown>[] {
  const h = openReadOnly(db);
  try {
    return h.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    h.close();
  }
}

describe('importCaptures', () => {
  test('a bundle from a newer major format version is refused with both versions named', async () => {
    const db = path.join(dir, 'newer.db');
    const s = await importCaptures({ inputs: [bundle('newer.pcapng', { formatVersion: '2.0' })], dbPath: db });
    expect(s.bundles[0].status).toBe('failed');
    expect(s.bundles[0].error).toMatch(/2\.0/);
    expect(s.bundles[0].error).toMatch(/1\.\d/);
    expect(rows(db, 'select status, error from bundles')[0]).toMatchObject({ status: 'failed' });
  });

  test('a cut file keeps every whole packet and records the lost tail in bytes', async () => {
    const full = writePcap(1, [syn, synAck, syn]);
    const cut = path.join(dir, 'cut.pcap');
    writeFileSync(cut, full.subarray(0, full.length - 10));
    const db = path.join(dir, 'cut.db');
    const s = await importCaptures({ inputs: [cut], dbPath: db });
    const lost = 16 + syn.length - 10;
    expect(s.bundles[0]).toMatchObject({ status: 'partial', packets: 2, truncatedTailBytes: lost });
    expect(rows(db, "select kind, bytes_lost from ingest_violations")).toEqual([{ kind: 'truncated-tail', bytes_lost: lost }]);
  });

  test('an absurd timestamp is recorded and does not stall capture time', async () => {
    const db = path.join(dir, 'ts.db');
    const s = await importCaptures({
      inputs: [bundle('ts.pcapng', { tsNs: [1_700_000_000_000_000_000n, (1n << 64n) - 1n] })], dbPath: db,
    });
    expect(s.bundles[0]).toMatchObject({ status: 'partial', packets: 2, flows: 1 });
    expect(rows(db, 'select kind, frame_number from ingest_violations')).toEqual([{ kind: 'bad-timestamp', frame_number: 2 }]);
    expect(rows(db, 'select start_time, end_time from l4_flow_log')).toEqual([{ start_time: 1_700_000_000_000_000, end_time: 1_700_000_000_000_000 }]);
  });

  test('several files go into one database with distinct flow ids and observation points', async () => {
    const db = path.join(dir, 'multi.db');
    const a = bundle('a.pcapng');
    const b = path.join(dir, 'b.pcap');
    writeFileSync(b, writePcap(1, [syn, synAck]));
    const s = await importCaptures({ inputs: [a, b], dbPath: db });
    expect(s.bundles.map((x) => x.status)).toEqual(['ok', 'ok']);
    expect(rows(db, 'select flow_id, bundle, observation_point from l4_flow_log order by flow_id')).toEqual([
      { flow_id: 1, bundle: 'a.pcapng', observation_point: 'eth0' },
      { flow_id: 2, bundle: 'b.pcap', observation_point: 'b.pcap#0' },
    ]);
    // Importing again adds bundles and continues the flow numbering.
    await importCaptures({ inputs: [b], dbPath: db });
    expect(rows(db, 'select max(flow_id) as m, count(*) as n from bundles, l4_flow_log where bundles.id = l4_flow_log.bundle_id')).toEqual([{ m: 3, n: 3 }]);
  });
});

describe('reading a file in chunks', () => {
  test('a file of several 4 MiB chunks (one read ahead) arrives whole and in order', async () => {
    // The benchmark generator's capture: every packet, flow and request must be counted exactly once.
    const generator = fileURLToPath(new URL('../../../bench/gen-http-capture.mjs', import.meta.url));
    const cap = path.join(dir, 'chunks.pcap');
    const g = spawnSync(process.execPath, [generator, '--out', cap, '--packets', '30000', '--json'], { encoding: 'utf8' });
    expect(g.status, g.stderr).toBe(0);
    const stats = JSON.parse(g.stdout) as { packets: number; connections: number; requests: number; bytes: number };
    const size = statSync(cap).size;
    expect(size).toBeGreaterThan(3 * 4 * 1024 * 1024);
    expect(size % (4 * 1024 * 1024)).not.toBe(0);
    const db = path.join(dir, 'chunks.db');
    const s = await importCaptures({ inputs: [cap], dbPath: db, now: () => 1 });
    expect(s.bundles[0].status).toBe('ok');
    expect(s.packets).toBe(stats.packets);
    expect(s.flows).toBe(stats.connections);
    expect(rows(db, "SELECT count(*) AS n FROM l7_flow_log WHERE type != 'response'")[0].n).toBe(stats.requests);
    expect(rows(db, 'SELECT count(*) AS n FROM ingest_violations')[0].n).toBe(0);
  });
});

describe('import while another connection reads the database', () => {
  test('a reader holding a snapshot through the end of an import does not fail it: the database stays in WAL mode, complete', async () => {
    const db = path.join(dir, 'shared.db');
    await importCaptures({ inputs: [bundle('shared-1.pcapng')], dbPath: db });
    let reader: ReturnType<typeof openReadOnly> | null = null;
    try {
      const t0 = Date.now();
      // The reader arrives while the import runs (the database is in WAL mode then) and keeps an open read transaction,
      // as the app's views do while they read: the import's final checkpoint cannot truncate the WAL under it.
      const s = await importCaptures({
        inputs: [bundle('shared-2.pcapng')], dbPath: db,
        onProgress: () => {
          if (reader !== null) return;
          reader = openReadOnly(db);
          reader.exec('BEGIN');
          reader.prepare('SELECT count(*) AS n FROM l4_flow_log').get();
        },
      });
      expect(reader).not.toBeNull();
      expect(s.bundles[0].status).toBe('ok');
      expect(Date.now() - t0).toBeLessThan(4000);
      const r = reader as unknown as ReturnType<typeof openReadOnly>;
      r.exec('COMMIT');
      expect((r.prepare('SELECT count(*) AS n FROM l4_flow_log').get() as { n: number }).n).toBe(2);
    } finally {
      (reader as ReturnType<typeof openReadOnly> | null)?.close();
    }
    expect(rows(db, 'SELECT count(*) AS n FROM bundles')[0].n).toBe(2);
  });
});
