// CLI journeys as a user runs them: the real `rewind` bin over the recorded loopback sample, in a temp folder.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'node_modules', '.bin', 'rewind');
const sample = path.join(root, 'sample-captures', 'loopback-http.pcap');
let dir = '';
let db = '';

function rewind(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: dir });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-cli-'));
  db = path.join(dir, 'sample.db');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rewind CLI', () => {
  test('the bin is linked by npm install', () => {
    expect(existsSync(bin)).toBe(true);
  });

  test('import prints a summary and creates the database', () => {
    const r = rewind('import', sample, '--db', db);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/loopback-http\.pcap: ok, \d+ packets, \d+ flows, \d+ L7 records/);
    expect(r.stdout).toMatch(/imported \d+ packets, \d+ flows, \d+ L7 records into/);
  });

  test('query answers in table, csv and json', () => {
    const sql = 'select count(*) as flows, sum(protocol = 6) as tcp from l4_flow_log';
    const j = rewind('query', db, sql, '--format', 'json');
    expect(j.code).toBe(0);
    const rows = JSON.parse(j.stdout) as { flows: number; tcp: number }[];
    expect(rows[0].flows).toBeGreaterThan(5);
    const c = rewind('query', db, sql, '--format', 'csv');
    expect(c.stdout.split('\r\n')[0]).toBe('flows,tcp');
    expect(c.stdout.split('\r\n')[1]).toBe(`${rows[0].flows},${rows[0].tcp}`);
    const t = rewind('query', db, sql);
    expect(t.stdout).toMatch(/^flows\s+tcp\n/);
    expect(t.stdout).toMatch(/\(1 row\)/);
  });

  test('the refused connections and resets of the sample are in the flow log', () => {
    const r = rewind('query', db, "select close_type, count(*) as n from l4_flow_log where protocol = 6 group by close_type order by close_type", '--format', 'json');
    const byType = Object.fromEntries((JSON.parse(r.stdout) as { close_type: string; n: number }[]).map((x) => [x.close_type, x.n]));
    expect(byType['server-reset-on-syn']).toBe(2); // two connects to the closed port 18081
    expect(byType['client-reset']).toBeGreaterThanOrEqual(1); // the client that gave up on /api/slow
    expect(byType['server-reset']).toBeGreaterThanOrEqual(1); // /api/crash
  });

  test('report renders Markdown and JSON', () => {
    const md = rewind('report', db);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('# Rewind incident report');
    expect(md.stdout).toContain('## Failed connections');
    expect(md.stdout).toContain('18081');
    // RED: the error share is of the responses (DeepFlow's error_ratio), so it never exceeds 100 %.
    expect(md.stdout).toMatch(/errors: \d+ \((\d+\.\d\d) % of \d+ responses\)/);
    const js = rewind('report', sample, '--format', 'json');
    expect(js.code).toBe(0);
    const rep = JSON.parse(js.stdout) as { totals: { flows: number }; failedConnections: unknown[]; red: { responses: number; errors: number; failingEndpoints: { error_pct: number; errors: number; responses: number }[] } };
    expect(rep.totals.flows).toBeGreaterThan(5);
    expect(rep.red.responses).toBeGreaterThan(0);
    for (const e of rep.red.failingEndpoints) expect(e.error_pct).toBe(e.responses > 0 ? Math.round((10000 * e.errors) / e.responses) / 100 : 0);
    expect(rep.failedConnections.length).toBeGreaterThanOrEqual(3);
  });

  test.each([
    ['write', 'delete from _l4_flow_log', /read-only/],
    ['attach', "attach database 'x.db' as x", /read-only|refused/],
    ['pragma set', 'pragma query_only = 0', /refused|read-only/],
    ['syntax', 'selec 1', /syntax error/],
  ])('query refuses %s with one clear line', (_name, sql, re) => {
    const r = rewind('query', db, sql);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  test('errors are one line and non-zero', () => {
    const missing = rewind('import', path.join(dir, 'nope.pcap'), '--db', db);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^rewind: cannot read .*nope\.pcap: no such file\n$/);
    const junk = path.join(dir, 'junk.pcap');
    writeFileSync(junk, 'this is not a capture at all, just text\n');
    const bad = rewind('import', junk, '--db', path.join(dir, 'junk.db'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/not a (pcap|capture)/i);
    const notDb = rewind('query', sample, 'select 1');
    expect(notDb.code).toBe(1);
    expect(notDb.stderr).toMatch(/not a Rewind database/);
    const usage = rewind('frobnicate');
    expect(usage.code).toBe(2);
  });
});
