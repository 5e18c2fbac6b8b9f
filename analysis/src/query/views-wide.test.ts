// The app's queries on a wide synthetic capture (60 services, thousands of clients, several intervals): timeline
// slots, the per-minute node table, client grouping on the service map, and the flow-first request-log path, each
// against plain SQL on the same database.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptures } from '../pipeline/import.js';
import { RRT_BUCKET_COLUMNS } from '../store/schema.js';
import { openReadOnly } from '../store/store.js';
import type { Db } from '../store/store.js';
import { MAP_MAX_CLIENT_NODES, overviewServices, overviewSummary, overviewTimeline, requestLog, serviceMap } from './views.js';

const generator = fileURLToPath(new URL('../../../bench/gen-http-capture.mjs', import.meta.url));
let dir: string;
let db: Db;
const rows = (sql: string, ...p: unknown[]): unknown[][] => db.prepare(sql).raw().all(...p) as unknown[][];
const one = (sql: string, ...p: unknown[]): number => Number(db.prepare(sql).pluck().get(...p));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-wide-'));
  const cap = join(dir, 'wide.pcap');
  const g = spawnSync(process.execPath, [generator, '--out', cap, '--packets', '120000', '--services', '60'], { encoding: 'utf8' });
  expect(g.status, g.stderr).toBe(0);
  await importCaptures({ inputs: [cap], dbPath: join(dir, 'w.db') });
  db = openReadOnly(join(dir, 'w.db'));
}, 120_000);
afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('wide capture', () => {
  it('timeline slots hold the requests that start in them', () => {
    const t = overviewTimeline(db, {}, 20);
    expect(t.points.length).toBeGreaterThan(5);
    const want = new Map(rows(`SELECT CAST((start_time - ?) / ? AS INTEGER), count(*) FROM l7_flow_log WHERE type != 'response' GROUP BY 1`, t.points[0].time, t.interval)
      .map(([k, n]) => [Number(k), Number(n)]));
    t.points.forEach((p, i) => expect(p.requests, `slot ${i}`).toBe(want.get(i) ?? 0));
  });

  it('metrics_app_node_1m is metrics_app_1s summed per minute', () => {
    const sums = ['request', 'response', 'error', 'timeout', 'rrt_sum', 'rrt_count', ...RRT_BUCKET_COLUMNS].map((c) => `sum(${c})`).join(', ');
    const key = 'CAST(time / 60000000 AS INTEGER), observation_point_id, ip_1, server_port, l7_protocol, endpoint';
    const a = rows(`SELECT ${key}, ${sums}, max(rrt_max) FROM _metrics_app_1s GROUP BY ${key} ORDER BY ${key}`);
    const b = rows(`SELECT ${key}, ${sums}, max(rrt_max) FROM _metrics_app_node_1m GROUP BY ${key} ORDER BY ${key}`);
    expect(b.length).toBeGreaterThan(60);
    expect(b).toEqual(a);
  });

  it('long ranges read the minute tables and count the same', () => {
    const first = one('SELECT min(first_time) FROM bundles');
    const last = one('SELECT max(last_time) FROM bundles');
    const minuteRange = { from: Math.floor(first / 60e6) * 60e6 - 11 * 60e6, to: last + 1 };
    const s = overviewSummary(db, minuteRange);
    expect(s.red.requests).toBe(one(`SELECT count(*) FROM l7_flow_log WHERE type != 'response'`));
    expect(s.red.errors).toBe(one(`SELECT count(*) FROM l7_flow_log WHERE response_status IN ('client_error','server_error')`));
    expect(overviewServices(db, minuteRange).services.reduce((n, x) => n + x.requests, 0)).toBe(s.red.requests);
  });

  it('the service map draws many clients per network and keeps every request', () => {
    const m = serviceMap(db);
    const clients = one('SELECT count(DISTINCT ip_0) FROM l7_flow_log');
    expect(clients).toBeGreaterThan(MAP_MAX_CLIENT_NODES);
    expect(m.nodes.filter((n) => n.kind === 'service').length).toBeGreaterThanOrEqual(60);
    const groups = m.nodes.filter((n) => n.kind === 'clients');
    expect(groups.length).toBeGreaterThan(0);
    expect(groups.reduce((n, g) => n + (g.members ?? 0), 0)).toBe(clients);
    expect(m.edges.reduce((n, e) => n + e.requests, 0)).toBe(one(`SELECT count(*) FROM l7_flow_log WHERE type != 'response'`));
    // One group's edge to one service: the requests of that network's clients to it.
    const e = m.edges.find((x) => x.source.endsWith('/24')) as (typeof m.edges)[number];
    const prefix = e.source.replace(/\.0\/24$/, '.');
    const [ip, port] = [e.target.slice(0, e.target.lastIndexOf(':')), Number(e.target.slice(e.target.lastIndexOf(':') + 1))];
    expect(e.requests).toBe(one(`SELECT count(*) FROM l7_flow_log WHERE type != 'response' AND ip_0 LIKE ? AND ip_1 = ? AND server_port = ?`, `${prefix}%`, ip, port));
  });

  it('the request log finds the same rows through the flows as through the rows', () => {
    const [ip, port] = rows('SELECT ip_1, server_port FROM l7_flow_log GROUP BY 1, 2 ORDER BY count(*) LIMIT 1')[0] as [string, number];
    const cases: [string, string, unknown[]][] = [
      [`service=${ip}:${port}`, 'ip_1 = ? AND server_port = ?', [ip, port]],
      [`service=${ip}:${port} status=error`, "ip_1 = ? AND server_port = ? AND response_status IN ('client_error','server_error')", [ip, port]],
      [`server=${ip} rrt>1ms`, 'ip_1 = ? AND response_duration > 1000', [ip]],
      [`port=${port} method=GET`, "server_port = ? AND request_type = 'GET'", [port]],
    ];
    for (const [f, where, params] of cases) {
      const got = requestLog(db, { filter: f, limit: 1000 }).rows.map((r) => r[0]);
      const want = db.prepare(`SELECT id FROM l7_flow_log WHERE ${where} ORDER BY start_time, id LIMIT 1000`).pluck().all(...params);
      expect(want.length, f).toBeGreaterThan(0);
      expect(got, f).toEqual(want);
    }
  });
});
