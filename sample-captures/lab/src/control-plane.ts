// The lab's control plane, run inside the underlay namespace: a Kubernetes API endpoint (list and watch of the lab's
// objects with resourceVersions, as the API server answers them) and an instance metadata endpoint at
// 169.254.169.254 (AWS IMDSv2, GCP and Azure shapes), which tells each node what it is by the caller's address.
//   node control-plane.js --api 192.168.50.2:6443 --metadata 169.254.169.254:80
// POST /_lab/replace-pod {"namespace","name","generation"} deletes a pod and adds its successor on the same IP (the
// lab's pod churn); POST /_lab/objects {"type","object"} applies any ADDED/MODIFIED/DELETED event.
import http from 'node:http';
import { parseArgs } from 'node:util';
import { COLLECTIONS, INSTANCE_TYPE, REGION, clusterObjects, endpointSliceObject, podObject } from './k8s-objects.js';
import type { K8sObject } from './k8s-objects.js';
import { NODES, PODS, POD_SPECS, SERVICES, makePod } from './topology.js';
import type { LabPod } from './topology.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
interface StoredEvent { rv: number; type: EventType; object: K8sObject }

const pathOfKind = new Map(Object.entries(COLLECTIONS).map(([p, c]) => [c.kind, p]));
const keyOf = (o: K8sObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ApiStore {
  private rv = 1000;
  readonly objects = new Map<string, Map<string, K8sObject>>();
  readonly events = new Map<string, StoredEvent[]>();
  private readonly watchers = new Map<string, Set<(e: StoredEvent) => void>>();
  pods: LabPod[] = [...PODS];

  constructor(initial: K8sObject[]) {
    for (const p of Object.keys(COLLECTIONS)) {
      this.objects.set(p, new Map());
      this.events.set(p, []);
      this.watchers.set(p, new Set());
    }
    for (const o of initial) this.apply('ADDED', o, false);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  apply(type: EventType, object: K8sObject, notify = true): void {
    const p = pathOfKind.get(object.kind);
    if (p === undefined) throw new Error(`unknown kind ${object.kind}`);
    const o = structuredClone(object);
    o.metadata.resourceVersion = String(++this.rv);
    const coll = this.objects.get(p) as Map<string, K8sObject>;
    if (type === 'DELETED') coll.delete(keyOf(o));
    else coll.set(keyOf(o), o);
    const e = { rv: this.rv, type, object: o };
    (this.events.get(p) as StoredEvent[]).push(e);
    if (notify) for (const w of this.watchers.get(p) ?? []) w(e);
  }

  list(p: string): { items: K8sObject[]; rv: number } {
    return { items: [...(this.objects.get(p)?.values() ?? [])], rv: this.rv };
  }

  watch(p: string, sinceRv: number, onEvent: (e: StoredEvent) => void): () => void {
    for (const e of this.events.get(p) ?? []) if (e.rv > sinceRv) onEvent(e);
    const set = this.watchers.get(p) as Set<(e: StoredEvent) => void>;
    set.add(onEvent);
    return () => set.delete(onEvent);
  }

  /** The pod leaves and a new pod of the same workload takes its IP (new name, uid and container id). */
  replacePod(namespace: string, name: string, generation: number): LabPod {
    const i = this.pods.findIndex((p) => p.namespace === namespace && p.name === name);
    if (i < 0) throw new Error(`no pod ${namespace}/${name}`);
    const old = this.pods[i];
    const spec = POD_SPECS.find((s) => s.namespace === namespace && s.workload.name === old.workload.name);
    if (!spec) throw new Error(`no spec for ${name}`);
    const successor = makePod({ ...spec, name: `${spec.name.replace(/-[a-z]{5}$/, '')}-${'bcdfghjklmnpqrstvwxz'[generation % 20]}${name.slice(-4)}` }, generation);
    const gone = podObject(old);
    gone.metadata.deletionTimestamp = new Date().toISOString();
    this.apply('DELETED', gone);
    this.pods[i] = successor;
    this.apply('ADDED', podObject(successor, new Date().toISOString()));
    for (const s of SERVICES.filter((x) => x.namespace === namespace && x.selector === old.labels.app)) {
      this.apply('MODIFIED', endpointSliceObject(s, this.pods));
    }
    return successor;
  }
}

function listResponse(p: string, store: ApiStore): unknown {
  const c = COLLECTIONS[p];
  const { items, rv } = store.list(p);
  return { apiVersion: c.apiVersion, kind: `${c.kind}List`, metadata: { resourceVersion: String(rv) }, items };
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function apiServer(store: ApiStore): http.Server {
  return http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://api');
      const json = (status: number, body: unknown): void => {
        const s = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
        res.end(s);
      };
      if (req.method === 'POST' && url.pathname === '/_lab/replace-pod') {
        const b = JSON.parse(await readBody(req)) as { namespace: string; name: string; generation: number };
        const pod = store.replacePod(b.namespace, b.name, b.generation);
        return json(200, pod);
      }
      if (req.method === 'POST' && url.pathname === '/_lab/objects') {
        const b = JSON.parse(await readBody(req)) as { type: EventType; object: K8sObject };
        store.apply(b.type, b.object);
        return json(200, { resourceVersion: store.resourceVersion });
      }
      if (url.pathname === '/version') return json(200, { major: '1', minor: '31', gitVersion: 'v1.31.0-rewind-lab', platform: 'linux/amd64' });
      if (url.pathname === '/healthz' || url.pathname === '/readyz') { res.writeHead(200); return res.end('ok'); }
      const p = url.pathname;
      if (!(p in COLLECTIONS) || req.method !== 'GET') {
        return json(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404, message: `${p} not found` });
      }
      if (url.searchParams.get('watch') !== 'true' && url.searchParams.get('watch') !== '1') return json(200, listResponse(p, store));
      const since = Number(url.searchParams.get('resourceVersion') ?? store.resourceVersion);
      const timeoutS = Number(url.searchParams.get('timeoutSeconds') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      // The API server answers a watch at once and streams events later: clients wait for these headers.
      res.flushHeaders();
      const stop = store.watch(p, Number.isFinite(since) ? since : store.resourceVersion, (e) => {
        res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
      });
      const end = (): void => { stop(); res.end(); };
      req.on('close', stop);
      if (timeoutS > 0) setTimeout(end, timeoutS * 1000).unref();
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
}

/** The node whose underlay address is `addr` (the metadata endpoint answers per caller). */
function nodeByAddress(addr: string | undefined): (typeof NODES)[number] | undefined {
  const a = (addr ?? '').replace(/^::ffff:/, '');
  return NODES.find((n) => n.ip === a) ?? NODES.find((n) => a.startsWith(n.podCidr.replace(/\.0\/24$/, '.')));
}

const IMDS_TOKEN = 'rewind-lab-imds-token';

/** `nodeFor` maps the caller's address to the node it is (tests on loopback give their own). */
export function metadataServer(nodeFor: (addr: string | undefined) => (typeof NODES)[number] | undefined = nodeByAddress): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://metadata');
    const node = nodeFor(req.socket.remoteAddress);
    const text = (status: number, body: string, type = 'text/plain'): void => {
      res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (node === undefined) return text(404, 'unknown caller');
    const p = url.pathname;
    // AWS IMDSv2: a session token first (PUT), then GETs that carry it.
    if (p === '/latest/api/token' && req.method === 'PUT') return text(200, IMDS_TOKEN);
    if (p.startsWith('/latest/')) {
      if (req.headers['x-aws-ec2-metadata-token'] !== IMDS_TOKEN) return text(401, 'Unauthorized');
      const mac = node.vtepMac;
      const aws: Record<string, string> = {
        '/latest/meta-data/instance-id': node.instanceId,
        '/latest/meta-data/instance-type': INSTANCE_TYPE,
        '/latest/meta-data/placement/region': REGION,
        '/latest/meta-data/placement/availability-zone': node.zone,
        '/latest/meta-data/local-ipv4': node.ip,
        '/latest/meta-data/hostname': node.name,
        '/latest/meta-data/mac': mac,
        [`/latest/meta-data/network/interfaces/macs/${mac}/vpc-id`]: 'vpc-0rewindlab',
        [`/latest/meta-data/network/interfaces/macs/${mac}/subnet-id`]: `subnet-${node.zone}`,
        '/latest/dynamic/instance-identity/document': JSON.stringify({
          accountId: '000000000000', region: REGION, availabilityZone: node.zone, instanceId: node.instanceId, instanceType: INSTANCE_TYPE,
          privateIp: node.ip, imageId: 'ami-rewindlab',
        }),
      };
      const v = aws[p];
      return v === undefined ? text(404, 'Not Found') : text(200, v, p.endsWith('/document') ? 'application/json' : 'text/plain');
    }
    if (p.startsWith('/computeMetadata/v1/')) {
      if (req.headers['metadata-flavor'] !== 'Google') return text(403, 'Missing Metadata-Flavor:Google header');
      const gcp: Record<string, string> = {
        '/computeMetadata/v1/instance/id': node.instanceId,
        '/computeMetadata/v1/instance/zone': `projects/000000000000/zones/${node.zone}`,
        '/computeMetadata/v1/instance/machine-type': `projects/000000000000/machineTypes/${INSTANCE_TYPE}`,
        '/computeMetadata/v1/instance/hostname': node.name,
        '/computeMetadata/v1/instance/network-interfaces/0/ip': node.ip,
        '/computeMetadata/v1/project/project-id': 'rewind-lab',
      };
      const v = gcp[p];
      return v === undefined ? text(404, 'Not Found') : text(200, v);
    }
    if (p === '/metadata/instance') {
      if (req.headers.metadata !== 'true') return text(400, JSON.stringify({ error: 'Bad request. Required metadata header not specified' }), 'application/json');
      return text(200, JSON.stringify({
        compute: { vmId: node.instanceId, name: node.name, location: REGION, zone: node.zone.slice(-1), vmSize: INSTANCE_TYPE, subscriptionId: '00000000-0000-0000-0000-000000000000' },
        network: { interface: [{ ipv4: { ipAddress: [{ privateIpAddress: node.ip }] } }] },
      }), 'application/json');
    }
    return text(404, 'Not Found');
  });
}

function hostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  return [s.slice(0, i), Number(s.slice(i + 1))];
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { api: { type: 'string' }, metadata: { type: 'string' } } });
  const store = new ApiStore(clusterObjects());
  if (values.api) {
    const [h, p] = hostPort(values.api);
    await new Promise<void>((r) => apiServer(store).listen(p, h, r));
  }
  if (values.metadata) {
    const [h, p] = hostPort(values.metadata);
    await new Promise<void>((r) => metadataServer().listen(p, h, r));
  }
  process.stdout.write(`control plane: api ${values.api ?? '-'}, metadata ${values.metadata ?? '-'}\n`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`control plane: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
