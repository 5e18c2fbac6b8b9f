// The sample incidents recorded by the lab: what an investigator should conclude from each (the samples' READMEs),
// asserted through the real `rewind` bin, and what the tags cost in database size.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'node_modules', '.bin', 'rewind');
const samples = path.join(root, 'sample-captures');
let dir = '';

function rewind(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(bin, args, { encoding: 'utf8', cwd: dir, maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Bytes of the pages in use (page count less the free list): what the data takes, whatever the file's slack. */
function usedBytes(db: string): number {
  const d = new Database(db, { readonly: true });
  try {
    const n = (d.pragma('page_count', { simple: true }) as number) - (d.pragma('freelist_count', { simple: true }) as number);
    return n * (d.pragma('page_size', { simple: true }) as number);
  } finally {
    d.close();
  }
}

interface Report {
  findings: {
    failing: { service: string; origin: boolean; pods: string[]; errors: number; requests: number; propagatedTo: string[];
      dependencies: { service: string; pods: string; resets: number; refused: number }[] }[];
    latency: { pod: string | null; serverPod: string; clientPod: string; from: string; to: string; addedUs: number; where: string }[];
  };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-samples-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sample incidents', () => {
  test.each(['bookinfo-latency.pcapng', 'bookinfo-errors.pcapng'])('%s is under 20 MB and imports with tags', (f) => {
    const file = path.join(samples, f);
    expect(statSync(file).size).toBeLessThan(20 << 20);
    const db = path.join(dir, `${f}.db`);
    const r = rewind('import', file, '--db', db);
    expect(r.code, r.stderr).toBe(0);
    const d = new Database(db, { readonly: true });
    try {
      const n = (sql: string): number => d.prepare(sql).pluck().get() as number;
      expect(n("select count(*) from resources where kind = 'Pod'")).toBeGreaterThanOrEqual(9);
      expect(n("select count(distinct host) from observation_points")).toBe(2);
      // Pod labels as DeepFlow's k8s.label.* columns: reviews-v1 and -v2 told apart by their version label.
      expect(n(`select count(distinct "k8s.label.version_1") from l7_flow_log where "k8s.label.app_1" = 'reviews'`)).toBe(2);
      // Requests between pods carry both pods (the eBPF view of an unconnected UDP server socket has no peer).
      expect(n("select count(*) from l7_flow_log where ip_0 like '10.244.%' and ip_1 like '10.%' and (pod_0 is null or pod_1 is null)")).toBe(0);
    } finally {
      d.close();
    }
  });

  test('bookinfo-latency: the service map names services, pods and nodes from the tags', async () => {
    const { openReadOnly, serviceMap } = await import('@rewind/analysis');
    const db = openReadOnly(path.join(dir, 'bookinfo-latency.pcapng.db'));
    try {
      const labels = new Map(serviceMap(db).nodes.map((n) => [n.id, n.label]));
      expect(labels.get('10.96.0.12:9080')).toBe('reviews.shop:9080');
      expect(labels.get('10.244.2.21:9080')).toMatch(/^reviews-v2-[a-z0-9]+-[a-z0-9]+:9080$/);
      expect(labels.get('10.244.2.23:3306')).toBe('mariadb-0:3306');
      expect(labels.get('10.244.1.10')).toMatch(/^loadgen-/);
    } finally {
      db.close();
    }
  });

  test('bookinfo-latency: the report names the delayed pod and the hop where the delay is added', () => {
    const md = rewind('report', path.join(samples, 'bookinfo-latency.pcapng'), '--db', path.join(dir, 'lat-report.db'));
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/Latency added inside server pod reviews-v2-[a-z0-9-]+, between its network interface \(veth[0-9a-f]+ on node-b\) and its process\*\*: \+1\d\d ms/);
    const json = rewind('report', path.join(dir, 'lat-report.db'), '--format', 'json');
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as Report;
    expect(r.findings.latency.length).toBeGreaterThan(0);
    const top = r.findings.latency[0];
    expect(top.pod).toMatch(/^reviews-v2-/);
    expect(`${top.from}>${top.to}`).toMatch(/^(s>s-p|c-p>c)$/);
    expect(top.addedUs).toBeGreaterThan(80_000);
    expect(top.addedUs).toBeLessThan(130_000);
    // Every hop found lies in the same pod: nothing else added latency.
    for (const h of r.findings.latency) expect(h.pod).toBe(top.pod);
    expect(r.findings.failing).toEqual([]);
  });

  test('bookinfo-errors: the report names the failing service and its database', () => {
    const md = rewind('report', path.join(samples, 'bookinfo-errors.pcapng'), '--db', path.join(dir, 'err-report.db'));
    expect(md.code, md.stderr).toBe(0);
    expect(md.stdout).toMatch(/Failing service: ratings\*\* \(namespace shop\)/);
    expect(md.stdout).toMatch(/its dependency \*\*mariadb\*\* \(mariadb-0\): .*connection\(s\) reset/);
    const json = rewind('report', path.join(dir, 'err-report.db'), '--format', 'json');
    const r = JSON.parse(json.stdout) as Report;
    const origins = r.findings.failing.filter((f) => f.origin);
    expect(origins.map((f) => f.service)).toEqual(['ratings']);
    const db = origins[0].dependencies.find((d) => d.service === 'mariadb');
    expect(db?.pods).toBe('mariadb-0');
    expect((db?.resets ?? 0) + (db?.refused ?? 0)).toBeGreaterThan(10);
    expect(origins[0].propagatedTo).toEqual(['reviews']);
    expect(r.findings.failing.filter((f) => !f.origin).map((f) => f.service).sort()).toEqual(['productpage', 'reviews']);
    expect(r.findings.latency.filter((h) => h.addedUs > 50_000 && !h.serverPod.startsWith('ratings') && !h.clientPod.startsWith('ratings'))).toEqual([]);
  });

  test.each(['bookinfo-latency.pcapng', 'bookinfo-errors.pcapng'])('%s: storing the tags adds less than 10 percent to the database size', (f) => {
    const tagged = path.join(dir, `${f}.tagged.db`);
    const untagged = path.join(dir, `${f}.untagged.db`);
    expect(rewind('import', path.join(samples, f), '--db', tagged, '-q').code).toBe(0);
    expect(rewind('import', path.join(samples, f), '--db', untagged, '-q', '--no-tags').code).toBe(0);
    const t = usedBytes(tagged);
    const u = usedBytes(untagged);
    process.stdout.write(`${f}: tagged ${t} bytes, untagged ${u} bytes: +${((100 * (t - u)) / u).toFixed(2)} %\n`);
    expect(t / u).toBeLessThan(1.10);
  });
});
