// Auto-tagging of one imported bundle, in SQL on the stored flows once their rows are in: each flow's client and
// server resolved to the pod version valid at the flow's start (by IP), the service it was reached through (ClusterIP
// and port) or belongs to (EndpointSlice addresses), the real backend behind a ClusterIP (the same connection seen
// after DNAT: same client address and port, at about the same time), eBPF sockets' own pod by pid → container id →
// pod, the nodes, and where each packet observation point sits for that flow (client or server pod NIC, client or
// server node). Only runs when the bundle carried Kubernetes or cloud records: an untagged import pays nothing.
import type { ResourceRow, ServiceAddressRow } from './resources.js';

export type Statement = [sql: string, params: unknown[]];

const VALID = (r: string, t: string): string => `${r}.valid_from <= ${t} AND (${r}.valid_to IS NULL OR ${r}.valid_to > ${t})`;

/** The INSERTs of the resources, their containers and service addresses. */
export function resourceStatements(bundleId: number, resources: ResourceRow[], containers: [string, number][], addresses: ServiceAddressRow[]): Statement[] {
  const out: Statement[] = [];
  for (const r of resources) {
    out.push([`INSERT INTO resources(id, bundle_id, source, cluster, kind, uid, namespace, name, ip, node, workload_kind, workload, region, zone,
      labels, resource_version, valid_from, valid_to, object) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, [
      r.id, bundleId, r.source, r.cluster, r.kind, r.uid, r.namespace, r.name, r.ip, r.node, r.workloadKind, r.workload, r.region, r.zone,
      r.labels === null ? null : JSON.stringify(r.labels), r.resourceVersion, r.validFrom, r.validTo, JSON.stringify(r.object),
    ]]);
  }
  for (const [cid, rid] of containers) out.push(['INSERT INTO resource_containers(container_id, resource_id) VALUES (?, ?)', [cid, rid]]);
  for (const a of addresses) {
    out.push(['INSERT INTO service_addresses(service_id, role, ip, port, protocol, valid_from, valid_to) VALUES (?,?,?,?,?,?,?)',
      [a.serviceId, a.role, a.ip, a.port, a.protocol, a.validFrom, a.validTo]]);
  }
  return out;
}

/** Pod version with this IP at time t (the latest that started before t). */
const podAt = (ip: string, t: string): string => `(SELECT r.id FROM resources r WHERE r.ip = ${ip} AND r.kind = 'Pod' AND ${VALID('r', t)} ORDER BY r.valid_from DESC LIMIT 1)`;
const serviceAt = (role: 'front' | 'backend', ip: string, port: string, t: string): string =>
  `(SELECT a.service_id FROM service_addresses a WHERE a.ip = ${ip} AND a.role = '${role}' AND (a.port IS NULL OR a.port = ${port}) AND ${VALID('a', t)} LIMIT 1)`;
/** The node of a pod version, else the node whose address ip is. */
const nodeOf = (pod: string, ip: string, t: string): string => `coalesce(
  (SELECT n.id FROM resources p JOIN resources n ON n.kind = 'Node' AND n.name = p.node WHERE p.id = ${pod} AND ${VALID('n', t)} ORDER BY n.valid_from DESC LIMIT 1),
  (SELECT n.id FROM resources n WHERE n.ip = ${ip} AND n.kind = 'Node' AND ${VALID('n', t)} ORDER BY n.valid_from DESC LIMIT 1))`;

/** Where a packet observation point sits for one flow (needs the pod and node ids set first). */
const tapSide = (f: string): string => `(SELECT CASE
    WHEN json_extract(op.metadata, '$.kind') = 'pod-veth' THEN CASE
      WHEN json_extract(op.metadata, '$.pod') = (SELECT name FROM resources WHERE id = ${f}.pod_res_0) OR json_extract(op.metadata, '$.podIp') = ${f}.ip_0 THEN 'c'
      WHEN json_extract(op.metadata, '$.pod') = (SELECT name FROM resources WHERE id = ${f}.pod_res_1) OR json_extract(op.metadata, '$.podIp') = ${f}.ip_1 THEN 's'
    END
    WHEN json_extract(op.metadata, '$.kind') IN ('bridge', 'tunnel', 'host-nic') AND json_extract(op.metadata, '$.node') IS NOT NULL THEN CASE
      WHEN json_extract(op.metadata, '$.node') = (SELECT name FROM resources WHERE id = ${f}.node_res_0)
        AND json_extract(op.metadata, '$.node') = (SELECT name FROM resources WHERE id = ${f}.node_res_1) THEN 'local'
      WHEN json_extract(op.metadata, '$.node') = (SELECT name FROM resources WHERE id = ${f}.node_res_0) THEN 'c-nd'
      WHEN json_extract(op.metadata, '$.node') = (SELECT name FROM resources WHERE id = ${f}.node_res_1) THEN 's-nd'
    END
  END FROM observation_points op WHERE op.id = ${f}.observation_point_id)`;

/** The tagging pass over one bundle's flows, in order. */
export function autoTagStatements(bundleId: number): Statement[] {
  const b = [bundleId];
  const L4 = '_l4_flow_log';
  const L7 = '_l7_flow';
  // eBPF flows have no start time of their own: their first request's.
  const l7Start = `(SELECT min(l.start_time) FROM _l7_flow_log l WHERE l.flow_id = ${L7}.flow_id)`;
  return [
    // Packet flows: both ends by IP at the flow's start, the service the server address fronts.
    [`UPDATE ${L4} SET pod_res_0 = ${podAt(`${L4}.ip_0`, `${L4}.start_time`)}, pod_res_1 = ${podAt(`${L4}.ip_1`, `${L4}.start_time`)},
      service_res_1 = ${serviceAt('front', `${L4}.ip_1`, `${L4}.server_port`, `${L4}.start_time`)} WHERE bundle_id = ?`, b],
    // Behind a ClusterIP: the backend the same connection reached after DNAT (same client address, port and protocol).
    [`UPDATE ${L4} SET pod_res_1 = (SELECT g.pod_res_1 FROM ${L4} g WHERE g.bundle_id = ${L4}.bundle_id AND g.ip_0 = ${L4}.ip_0
        AND g.client_port = ${L4}.client_port AND g.protocol = ${L4}.protocol AND g.pod_res_1 IS NOT NULL AND g.service_res_1 IS NULL
        AND abs(g.start_time - ${L4}.start_time) < 2000000 ORDER BY abs(g.start_time - ${L4}.start_time) LIMIT 1)
      WHERE bundle_id = ? AND service_res_1 IS NOT NULL AND pod_res_1 IS NULL`, b],
    // A backend reached directly (or after DNAT) belongs to the service whose EndpointSlice lists it.
    [`UPDATE ${L4} SET service_res_1 = ${serviceAt('backend', `${L4}.ip_1`, `${L4}.server_port`, `${L4}.start_time`)}
      WHERE bundle_id = ? AND service_res_1 IS NULL AND pod_res_1 IS NOT NULL`, b],
    [`UPDATE ${L4} SET node_res_0 = ${nodeOf(`${L4}.pod_res_0`, `${L4}.ip_0`, `${L4}.start_time`)},
      node_res_1 = ${nodeOf(`${L4}.pod_res_1`, `${L4}.ip_1`, `${L4}.start_time`)} WHERE bundle_id = ?`, b],
    [`UPDATE ${L4} SET flow_tap_side = ${tapSide(L4)} WHERE bundle_id = ?`, b],
    // L7 flows of packets share their flow's id: the same tags.
    [`UPDATE ${L7} SET (pod_res_0, pod_res_1, service_res_1, node_res_0, node_res_1, flow_tap_side) =
      (SELECT f.pod_res_0, f.pod_res_1, f.service_res_1, f.node_res_0, f.node_res_1, f.flow_tap_side FROM ${L4} f WHERE f.flow_id = ${L7}.flow_id)
      WHERE bundle_id = ? AND signal_source = 0`, b],
    // eBPF sockets: both ends by IP first (a pod's socket has the pod's address) ...
    [`UPDATE ${L7} SET pod_res_0 = ${podAt(`${L7}.ip_0`, l7Start)}, pod_res_1 = ${podAt(`${L7}.ip_1`, l7Start)},
      service_res_1 = ${serviceAt('front', `${L7}.ip_1`, `${L7}.server_port`, l7Start)} WHERE bundle_id = ? AND signal_source = 3`, b],
    // ... then the socket's own end by its process: pid → container id (cgroup) → pod, which holds even without IPs.
    ...(['c-p', 's-p'] as const).map((side): Statement => {
      const col = side === 'c-p' ? 'pod_res_0' : 'pod_res_1';
      return [`UPDATE ${L7} SET ${col} = coalesce((SELECT rc.resource_id FROM processes pr JOIN resource_containers rc ON rc.container_id = pr.container_id
          WHERE pr.bundle_id = ${L7}.bundle_id AND pr.pid = ${L7}.process_id
            AND pr.host IS (SELECT host FROM observation_points WHERE id = ${L7}.observation_point_id)
          ORDER BY rc.resource_id DESC LIMIT 1), ${col})
        WHERE bundle_id = ? AND signal_source = 3 AND process_id IS NOT NULL
          AND observation_point_id IN (SELECT id FROM observation_points WHERE tap_side = '${side}')`, b];
    }),
    // A client socket connected to a ClusterIP: the backend its connection reached, from the packet flows.
    [`UPDATE ${L7} SET pod_res_1 = (SELECT g.pod_res_1 FROM ${L4} g WHERE g.bundle_id = ${L7}.bundle_id AND g.ip_0 = ${L7}.ip_0
        AND g.client_port = ${L7}.client_port AND g.pod_res_1 IS NOT NULL AND g.service_res_1 IS NOT NULL
        AND g.ip_1 != ${L7}.ip_1 ORDER BY abs(g.start_time - ${l7Start}) LIMIT 1)
      WHERE bundle_id = ? AND signal_source = 3 AND service_res_1 IS NOT NULL AND pod_res_1 IS NULL`, b],
    [`UPDATE ${L7} SET service_res_1 = ${serviceAt('backend', `${L7}.ip_1`, `${L7}.server_port`, l7Start)}
      WHERE bundle_id = ? AND signal_source = 3 AND service_res_1 IS NULL AND pod_res_1 IS NOT NULL`, b],
    [`UPDATE ${L7} SET node_res_0 = ${nodeOf(`${L7}.pod_res_0`, `${L7}.ip_0`, l7Start)}, node_res_1 = ${nodeOf(`${L7}.pod_res_1`, `${L7}.ip_1`, l7Start)}
      WHERE bundle_id = ? AND signal_source = 3`, b],
  ];
}
