// Kubernetes and cloud records of a bundle → resources with validity intervals. Every agent of a cluster records
// the same objects (one snapshot each, then the same watch events): versions are told apart by uid and
// resourceVersion, so duplicates collapse. A version is valid from when it was seen (the first one: from the
// object's creationTimestamp, it existed before the snapshot) until the next version or its deletion.

export interface ResourceRow {
  id: number;
  source: 'k8s' | 'cloud';
  cluster: string | null;
  kind: string;
  uid: string | null;
  namespace: string | null;
  name: string;
  ip: string | null;
  node: string | null;
  workloadKind: string | null;
  workload: string | null;
  region: string | null;
  zone: string | null;
  labels: Record<string, string> | null;
  resourceVersion: string | null;
  validFrom: number;
  validTo: number | null;
  object: unknown;
}

export interface ServiceAddressRow {
  serviceId: number;
  role: 'front' | 'backend';
  ip: string;
  port: number | null;
  protocol: string | null;
  validFrom: number;
  validTo: number | null;
}

interface K8sObj {
  kind?: string;
  metadata?: {
    name?: string; namespace?: string; uid?: string; resourceVersion?: string; creationTimestamp?: string; labels?: Record<string, string>;
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
  };
  spec?: {
    nodeName?: string; clusterIP?: string; clusterIPs?: string[]; ports?: { port?: number; protocol?: string }[];
  };
  status?: { podIP?: string; containerStatuses?: { containerID?: string }[]; addresses?: { type?: string; address?: string }[] };
  endpoints?: { addresses?: string[] }[];
  ports?: { port?: number; protocol?: string }[];
}

interface Observation {
  tsUs: number;
  seq: number;
  type: 'SNAPSHOT' | 'ADDED' | 'MODIFIED' | 'DELETED';
  cluster: string | null;
  object: K8sObj;
}

export interface CloudRecord {
  host: string | null;
  tsUs: number;
  provider?: string;
  region?: string | null;
  zone?: string | null;
  instanceId?: string | null;
  privateIp?: string | null;
  [k: string]: unknown;
}

const str = (x: unknown): string | null => (typeof x === 'string' && x.length > 0 ? x : null);

export class ResourceCollector {
  private readonly observations: Observation[] = [];
  private readonly clouds: CloudRecord[] = [];
  private seq = 0;
  /** Records that were not what the format says (counted as violations by the caller). */
  malformed = 0;

  get empty(): boolean {
    return this.observations.length === 0 && this.clouds.length === 0;
  }

  snapshot(v: unknown): void {
    const s = v as { tsUs?: unknown; cluster?: unknown; objects?: unknown } | null;
    if (!s || typeof s.tsUs !== 'number' || !Array.isArray(s.objects)) {
      this.malformed++;
      return;
    }
    for (const o of s.objects) this.observe(s.tsUs, 'SNAPSHOT', str(s.cluster), o);
  }

  delta(v: unknown): void {
    const d = v as { tsUs?: unknown; type?: unknown; object?: unknown } | null;
    if (!d || typeof d.tsUs !== 'number' || (d.type !== 'ADDED' && d.type !== 'MODIFIED' && d.type !== 'DELETED')) {
      this.malformed++;
      return;
    }
    this.observe(d.tsUs, d.type, null, d.object);
  }

  cloud(host: string | null, v: unknown): void {
    const c = v as CloudRecord | null;
    if (!c || typeof c.tsUs !== 'number') {
      this.malformed++;
      return;
    }
    this.clouds.push({ ...c, host });
  }

  private observe(tsUs: number, type: Observation['type'], cluster: string | null, o: unknown): void {
    const obj = o as K8sObj | null;
    if (!obj || typeof obj.kind !== 'string' || !str(obj.metadata?.name)) {
      this.malformed++;
      return;
    }
    this.observations.push({ tsUs, seq: this.seq++, type, cluster, object: obj });
  }

  /** The resources (ids from `firstId`), the pods' container ids and the services' addresses. */
  build(bundleId: number, firstId: number): { resources: ResourceRow[]; containers: [string, number][]; addresses: ServiceAddressRow[] } {
    void bundleId;
    const obs = [...this.observations].sort((a, b) => a.tsUs - b.tsUs || a.seq - b.seq);
    const cluster = obs.find((o) => o.cluster !== null)?.cluster ?? null;
    // Owners first: a pod's ReplicaSet → its Deployment.
    const rsOwner = new Map<string, { kind: string; name: string }>();
    for (const o of obs) {
      if (o.object.kind !== 'ReplicaSet') continue;
      const ctl = o.object.metadata?.ownerReferences?.find((r) => r.controller) ?? o.object.metadata?.ownerReferences?.[0];
      if (ctl?.kind && ctl.name) rsOwner.set(`${o.object.metadata?.namespace ?? ''}/${o.object.metadata?.name}`, { kind: ctl.kind, name: ctl.name });
    }
    const resources: ResourceRow[] = [];
    const containers: [string, number][] = [];
    const open = new Map<string, ResourceRow>();
    const seenVersions = new Set<string>();
    let id = firstId;
    const close = (r: ResourceRow, ts: number): void => {
      r.validTo = Math.max(r.validFrom, ts);
    };
    for (const o of obs) {
      const m = o.object.metadata ?? {};
      const key = `${o.object.kind}/${m.namespace ?? ''}/${m.name}/${m.uid ?? ''}`;
      const rv = m.resourceVersion ?? null;
      const cur = open.get(key);
      if (o.type === 'DELETED') {
        if (cur) {
          close(cur, o.tsUs);
          open.delete(key);
        }
        continue;
      }
      const vkey = `${key}@${rv ?? `seq${o.seq}`}`;
      if (seenVersions.has(vkey) || (cur && rv !== null && cur.resourceVersion === rv)) continue;
      seenVersions.add(vkey);
      let validFrom = o.tsUs;
      if (!cur) {
        const created = m.creationTimestamp ? Date.parse(m.creationTimestamp) : NaN;
        if (o.type === 'SNAPSHOT' && Number.isFinite(created)) validFrom = Math.min(validFrom, created * 1000);
      } else {
        close(cur, o.tsUs);
      }
      const row = this.row(o, id++, cluster ?? o.cluster, validFrom, rsOwner);
      resources.push(row);
      open.set(key, row);
      if (o.object.kind === 'Pod') {
        for (const c of o.object.status?.containerStatuses ?? []) {
          const cid = str(c.containerID)?.replace(/^[a-z0-9-]+:\/\//, '');
          if (cid) containers.push([cid, row.id]);
        }
      }
    }
    for (const c of this.clouds) {
      resources.push({
        id: id++, source: 'cloud', cluster, kind: 'CloudInstance', uid: str(c.instanceId), namespace: null,
        name: str(c.instanceId) ?? c.host ?? 'instance', ip: str(c.privateIp), node: c.host, workloadKind: null, workload: null,
        region: str(c.region), zone: str(c.zone), labels: str(c.provider) ? { provider: c.provider as string } : null,
        resourceVersion: null, validFrom: 0, validTo: null, object: c,
      });
    }
    // Nodes without a zone label take their cloud instance's (the agent on that host read it).
    for (const r of resources) {
      if (r.kind !== 'Node') continue;
      const cloud = this.clouds.find((c) => c.host === r.name || (c.privateIp && c.privateIp === r.ip));
      if (cloud) {
        r.region ??= str(cloud.region);
        r.zone ??= str(cloud.zone);
      }
    }
    return { resources, containers, addresses: this.addresses(resources) };
  }

  private row(o: Observation, id: number, cluster: string | null, validFrom: number, rsOwner: Map<string, { kind: string; name: string }>): ResourceRow {
    const obj = o.object;
    const m = obj.metadata ?? {};
    const labels = m.labels && typeof m.labels === 'object' ? m.labels : null;
    let ip: string | null = null;
    let node: string | null = null;
    let workloadKind: string | null = null;
    let workload: string | null = null;
    let region: string | null = null;
    let zone: string | null = null;
    if (obj.kind === 'Pod') {
      ip = str(obj.status?.podIP);
      node = str(obj.spec?.nodeName);
      const ctl = m.ownerReferences?.find((r) => r.controller) ?? m.ownerReferences?.[0];
      if (ctl?.kind && ctl.name) {
        const up = ctl.kind === 'ReplicaSet' ? rsOwner.get(`${m.namespace ?? ''}/${ctl.name}`) : undefined;
        workloadKind = up?.kind ?? ctl.kind;
        workload = up?.name ?? ctl.name;
      }
    } else if (obj.kind === 'Node') {
      ip = str(obj.status?.addresses?.find((a) => a.type === 'InternalIP')?.address);
      node = str(m.name);
      region = str(labels?.['topology.kubernetes.io/region']);
      zone = str(labels?.['topology.kubernetes.io/zone']);
    } else if (obj.kind === 'Service') {
      const c = str(obj.spec?.clusterIP);
      ip = c === 'None' ? null : c;
    }
    return {
      id, source: 'k8s', cluster, kind: obj.kind as string, uid: str(m.uid), namespace: str(m.namespace), name: m.name as string, ip, node,
      workloadKind, workload, region, zone, labels, resourceVersion: str(m.resourceVersion), validFrom, validTo: null, object: obj,
    };
  }

  /** ClusterIP:port of each service version (front) and its EndpointSlices' addresses (backend). */
  private addresses(resources: ResourceRow[]): ServiceAddressRow[] {
    const out: ServiceAddressRow[] = [];
    const services = resources.filter((r) => r.kind === 'Service');
    for (const s of services) {
      const spec = (s.object as K8sObj).spec;
      const ips = [...new Set([s.ip, ...(spec?.clusterIPs ?? [])].filter((x): x is string => typeof x === 'string' && x !== 'None'))];
      for (const ip of ips) {
        for (const p of spec?.ports ?? [{}]) {
          out.push({ serviceId: s.id, role: 'front', ip, port: typeof p.port === 'number' ? p.port : null, protocol: str(p.protocol), validFrom: s.validFrom, validTo: s.validTo });
        }
      }
    }
    for (const es of resources.filter((r) => r.kind === 'EndpointSlice')) {
      const svcName = es.labels?.['kubernetes.io/service-name'];
      if (!svcName) continue;
      // The service version open when this slice version starts (else its latest).
      const cands = services.filter((s) => s.namespace === es.namespace && s.name === svcName);
      const svc = cands.find((s) => s.validFrom <= es.validFrom && (s.validTo === null || s.validTo > es.validFrom)) ?? cands[cands.length - 1];
      if (!svc) continue;
      const obj = es.object as K8sObj;
      for (const e of obj.endpoints ?? []) {
        for (const ip of e.addresses ?? []) {
          for (const p of obj.ports ?? [{}]) {
            out.push({ serviceId: svc.id, role: 'backend', ip, port: typeof p.port === 'number' ? p.port : null, protocol: str(p.protocol), validFrom: es.validFrom, validTo: es.validTo });
          }
        }
      }
    }
    return out;
  }
}
