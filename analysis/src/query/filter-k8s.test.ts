// Filter fields from auto-tagging (pod, namespace, workload, node, Kubernetes service) on a tagged sample incident:
// the request and flow logs return exactly the rows plain SQL on the same views selects.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCaptures } from '../pipeline/import.js';
import { openReadOnly } from '../store/store.js';
import type { Db } from '../store/store.js';
import { compileFilter, FLOW_FILTER, REQUEST_FILTER } from './filter.js';
import { flowLog, requestLog } from './views.js';

const sample = fileURLToPath(new URL('../../../sample-captures/bookinfo-errors.pcapng', import.meta.url));
let dir: string;
let db: Db;
const one = (sql: string, ...p: unknown[]): number => Number(db.prepare(sql).pluck().get(...p));
const str = (sql: string): string => String(db.prepare(sql).pluck().get());

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-k8s-filter-'));
  await importCaptures({ inputs: [sample], dbPath: join(dir, 'k.db') });
  db = openReadOnly(join(dir, 'k.db'));
}, 120_000);
afterAll(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every row the filter selects, by paging through the log (ids of the first column). */
function ids(log: typeof requestLog, filter: string): number[] {
  const out: number[] = [];
  for (let offset = 0; ; offset += 1000) {
    const p = log(db, { filter, limit: 1000, offset });
    out.push(...p.rows.map((r) => Number(r[0])));
    if (!p.hasMore) return out.sort((a, b) => a - b);
  }
}
const sqlIds = (sql: string, ...p: unknown[]): number[] => (db.prepare(sql).pluck().all(...p) as number[]).sort((a, b) => a - b);
/** Each filter selects exactly the ids plain SQL selects (and at least one row, so that the case says something). */
function expectSameRows(log: typeof requestLog, cases: [string, number[]][]): void {
  for (const [filter, want] of cases) {
    expect(want.length, filter).toBeGreaterThan(0);
    expect(ids(log, filter), filter).toEqual(want);
  }
}

describe('Kubernetes filter fields', () => {
  it('the sample is tagged: pods, namespaces, workloads, nodes and services are known', () => {
    expect(one('SELECT count(*) FROM l7_flow_log WHERE pod_1 IS NOT NULL AND service_1 IS NOT NULL')).toBeGreaterThan(10);
  });

  it('request log: pod, client_pod, server_pod, namespace, workload, node, k8s_service and service=<k8s name>', () => {
    const pod = str('SELECT pod_1 FROM l7_flow_log WHERE pod_1 IS NOT NULL GROUP BY pod_1 ORDER BY count(*) DESC LIMIT 1');
    const client = str('SELECT pod_0 FROM l7_flow_log WHERE pod_0 IS NOT NULL GROUP BY pod_0 ORDER BY count(*) DESC LIMIT 1');
    const ns = str('SELECT pod_ns_1 FROM l7_flow_log WHERE pod_ns_1 IS NOT NULL LIMIT 1');
    const wl = str('SELECT workload_1 FROM l7_flow_log WHERE workload_1 IS NOT NULL GROUP BY workload_1 ORDER BY count(*) LIMIT 1');
    const node = str('SELECT pod_node_1 FROM l7_flow_log WHERE pod_node_1 IS NOT NULL LIMIT 1');
    const svc = str('SELECT service_1 FROM l7_flow_log WHERE service_1 IS NOT NULL GROUP BY service_1 ORDER BY count(*) LIMIT 1');
    const cases: [string, number[]][] = [
      [`pod=${pod}`, sqlIds('SELECT id FROM l7_flow_log WHERE pod_0 = ? OR pod_1 = ?', pod, pod)],
      [`server_pod=${pod}`, sqlIds('SELECT id FROM l7_flow_log WHERE pod_1 = ?', pod)],
      [`pod_0=${client}`, sqlIds('SELECT id FROM l7_flow_log WHERE pod_0 = ?', client)],
      [`pod!=${pod}`, sqlIds('SELECT id FROM l7_flow_log WHERE coalesce(pod_0, \'\') != ? AND coalesce(pod_1, \'\') != ?', pod, pod)],
      [`ns=${ns.toUpperCase()}`, sqlIds('SELECT id FROM l7_flow_log WHERE ? IN (pod_ns_0, pod_ns_1, service_ns_1)', ns)],
      [`workload=${wl}`, sqlIds('SELECT id FROM l7_flow_log WHERE workload_0 = ? OR workload_1 = ?', wl, wl)],
      [`node=${node}`, sqlIds('SELECT id FROM l7_flow_log WHERE pod_node_0 = ? OR pod_node_1 = ?', node, node)],
      [`k8s_service=${svc}`, sqlIds('SELECT id FROM l7_flow_log WHERE service_1 = ?', svc)],
      [`pod~${pod.slice(0, 6)} status=error`, sqlIds(`SELECT id FROM l7_flow_log WHERE (pod_0 LIKE ? OR pod_1 LIKE ?) AND response_status IN ('client_error', 'server_error')`, `%${pod.slice(0, 6)}%`, `%${pod.slice(0, 6)}%`)],
    ];
    expectSameRows(requestLog, cases);
    // service=<name>: the request's domain (host or its first label) or the Kubernetes service.
    const byName = ids(requestLog, `service=${svc}`);
    for (const id of sqlIds('SELECT id FROM l7_flow_log WHERE service_1 = ?', svc)) expect(byName).toContain(id);
  });

  it('flow log: the same fields, and service=<k8s name> (names used to be refused for flows)', () => {
    const pod = str('SELECT pod_1 FROM l4_flow_log WHERE pod_1 IS NOT NULL GROUP BY pod_1 ORDER BY count(*) DESC LIMIT 1');
    const svc = str('SELECT service_1 FROM l4_flow_log WHERE service_1 IS NOT NULL LIMIT 1');
    const ns = str('SELECT pod_ns_0 FROM l4_flow_log WHERE pod_ns_0 IS NOT NULL LIMIT 1');
    const cases: [string, number[]][] = [
      [`pod=${pod}`, sqlIds('SELECT flow_id FROM l4_flow_log WHERE pod_0 = ? OR pod_1 = ?', pod, pod)],
      [`namespace=${ns}`, sqlIds('SELECT flow_id FROM l4_flow_log WHERE ? IN (pod_ns_0, pod_ns_1, service_ns_1)', ns)],
      [`service=${svc}`, sqlIds('SELECT flow_id FROM l4_flow_log WHERE service_1 = ?', svc)],
      [`k8s_service!=${svc}`, sqlIds('SELECT flow_id FROM l4_flow_log WHERE service_1 IS NULL OR service_1 != ?', svc)],
    ];
    expectSameRows(flowLog, cases);
  });

  it('the fields are listed for the filter bar and are row conditions (not flow-level)', () => {
    for (const t of [REQUEST_FILTER, FLOW_FILTER]) {
      for (const f of ['pod', 'client_pod', 'server_pod', 'namespace', 'workload', 'node', 'k8s_service']) expect(t.fields[f], f).toBeDefined();
    }
    const c = compileFilter('pod=x client=10.0.0.1', REQUEST_FILTER);
    expect(c.flowWhere).toContain('ip_0');
    expect(c.flowWhere).not.toContain('pod_');
    expect(c.rowWhere).toContain('pod_0');
  });
});
