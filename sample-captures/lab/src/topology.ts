// The lab's cluster as data: two nodes, their pods, the services in front of them and every address. Everything the
// lab builds (namespaces, links, NAT rules, DNS records, Kubernetes objects) is derived from this one description.
import { createHash } from 'node:crypto';

/** Prefix of every network namespace, link name and state path the lab owns: `down` removes exactly these. */
export const LAB_PREFIX = 'rwlab';
/** The underlay ("physical network" between the nodes), a namespace of its own with no link to the host. */
export const UNDERLAY_NS = `${LAB_PREFIX}-net`;
export const UNDERLAY_CIDR = '192.168.50.0/24';
/** The fake Kubernetes API server and the cloud metadata endpoint live on the underlay. */
export const API_SERVER_IP = '192.168.50.2';
export const API_SERVER_PORT = 6443;
export const METADATA_IP = '169.254.169.254';
export const CLUSTER_NAME = 'rewind-lab';
export const CLUSTER_DOMAIN = 'cluster.local';
export const SERVICE_CIDR = '10.96.0.0/16';
export const VXLAN_ID = 1;
export const VXLAN_PORT = 8472; // flannel's default VXLAN port
export const POD_MTU = 1450;

export interface LabNode {
  name: string;
  netns: string;
  /** Address on the underlay (eth0). */
  ip: string;
  /** Pod network of the node; the bridge holds .1, the VXLAN device .0. */
  podCidr: string;
  bridgeIp: string;
  vtepIp: string;
  vtepMac: string;
  zone: string;
  instanceId: string;
}

export type Language = 'python' | 'node' | 'native';

export interface LabPod {
  name: string;
  namespace: string;
  node: string;
  ip: string;
  /** Workload kind and name as Kubernetes would own the pod. */
  workload: { kind: 'Deployment' | 'StatefulSet' | 'DaemonSet'; name: string };
  labels: Record<string, string>;
  /** Container name, its image (what the lab runs instead) and the port it serves, if any. */
  container: string;
  image: string;
  port: number | null;
  language: Language;
  /** Network namespace of the pod and the name of its veth end in the node. */
  netns: string;
  hostVeth: string;
  uid: string;
  containerId: string;
}

export interface LabService {
  name: string;
  namespace: string;
  clusterIp: string;
  port: number;
  protocol: 'TCP' | 'UDP';
  targetPort: number;
  /** Pods selected (label app=<selector>). */
  selector: string;
}

export const NODES: readonly LabNode[] = [
  {
    name: 'node-a', netns: `${LAB_PREFIX}-node-a`, ip: '192.168.50.11', podCidr: '10.244.1.0/24', bridgeIp: '10.244.1.1',
    vtepIp: '10.244.1.0', vtepMac: '02:42:0a:f4:01:00', zone: 'lab-zone-a', instanceId: 'i-0a11lab0000000001',
  },
  {
    name: 'node-b', netns: `${LAB_PREFIX}-node-b`, ip: '192.168.50.12', podCidr: '10.244.2.0/24', bridgeIp: '10.244.2.1',
    vtepIp: '10.244.2.0', vtepMac: '02:42:0a:f4:02:00', zone: 'lab-zone-b', instanceId: 'i-0b12lab0000000002',
  },
];

const hex = (s: string, n: number): string => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Kubernetes-style uid (8-4-4-4-12) derived from a name, stable across runs so the samples are reproducible. */
export function uidOf(kind: string, namespace: string, name: string, generation = 0): string {
  const h = hex(`${kind}/${namespace}/${name}/${generation}`, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

interface PodSpec {
  name: string;
  namespace: string;
  node: string;
  host: number;
  app: string;
  version?: string;
  workload: LabPod['workload'];
  image: string;
  port: number | null;
  language: Language;
}

/** `generation` changes the pod's uid and container id: a pod recreated under the same name is another pod. */
export function makePod(spec: PodSpec, generation = 0): LabPod {
  const node = NODES.find((n) => n.name === spec.node);
  if (!node) throw new Error(`unknown node ${spec.node}`);
  const ip = node.podCidr.replace(/\.0\/24$/, `.${spec.host}`);
  const labels: Record<string, string> = { app: spec.app };
  if (spec.version) labels.version = spec.version;
  if (spec.workload.kind === 'Deployment') labels['pod-template-hash'] = hex(`${spec.workload.name}/template`, 10).replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)]);
  const uid = uidOf('Pod', spec.namespace, spec.name, generation);
  return {
    name: spec.name, namespace: spec.namespace, node: spec.node, ip, workload: spec.workload, labels,
    container: spec.app, image: spec.image, port: spec.port, language: spec.language,
    netns: `${LAB_PREFIX}-p-${spec.host}${spec.node.slice(-1)}`,
    hostVeth: `veth${hex(`${spec.namespace}/${spec.name}/${generation}`, 8)}`,
    uid, containerId: hex(`container/${uid}`, 64),
  };
}

const deploy = (name: string): LabPod['workload'] => ({ kind: 'Deployment', name });
const suffix = (workload: string): string => `${workload}-${hex(`${workload}/template`, 10).replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)])}-${hex(`${workload}/pod`, 5).replace(/[0-9]/g, (d) => 'bcdfghjklm'[Number(d)])}`;

/** The pods: a Bookinfo-like shop (Python and Node), its databases (Debian's MariaDB and Redis), DNS and a load generator. */
export const POD_SPECS: readonly PodSpec[] = [
  { name: suffix('loadgen'), namespace: 'loadgen', node: 'node-a', host: 10, app: 'loadgen', workload: deploy('loadgen'), image: 'rewind-lab/loadgen (node)', port: null, language: 'node' },
  { name: suffix('productpage-v1'), namespace: 'shop', node: 'node-a', host: 11, app: 'productpage', version: 'v1', workload: deploy('productpage-v1'), image: 'rewind-lab/productpage (python)', port: 9080, language: 'python' },
  { name: suffix('details-v1'), namespace: 'shop', node: 'node-a', host: 12, app: 'details', version: 'v1', workload: deploy('details-v1'), image: 'rewind-lab/details (node)', port: 9080, language: 'node' },
  { name: suffix('reviews-v1'), namespace: 'shop', node: 'node-a', host: 13, app: 'reviews', version: 'v1', workload: deploy('reviews-v1'), image: 'rewind-lab/reviews (node)', port: 9080, language: 'node' },
  { name: 'redis-0', namespace: 'shop', node: 'node-a', host: 14, app: 'redis', workload: { kind: 'StatefulSet', name: 'redis' }, image: 'debian redis-server', port: 6379, language: 'native' },
  { name: suffix('reviews-v2'), namespace: 'shop', node: 'node-b', host: 21, app: 'reviews', version: 'v2', workload: deploy('reviews-v2'), image: 'rewind-lab/reviews (node)', port: 9080, language: 'node' },
  { name: suffix('ratings-v1'), namespace: 'shop', node: 'node-b', host: 22, app: 'ratings', version: 'v1', workload: deploy('ratings-v1'), image: 'rewind-lab/ratings (python)', port: 9080, language: 'python' },
  { name: 'mariadb-0', namespace: 'shop', node: 'node-b', host: 23, app: 'mariadb', workload: { kind: 'StatefulSet', name: 'mariadb' }, image: 'debian mariadb-server', port: 3306, language: 'native' },
  { name: suffix('coredns'), namespace: 'kube-system', node: 'node-b', host: 24, app: 'kube-dns', workload: deploy('coredns'), image: 'debian dnsmasq', port: 53, language: 'native' },
];

export const PODS: readonly LabPod[] = POD_SPECS.map((s) => makePod(s));

export const SERVICES: readonly LabService[] = [
  { name: 'productpage', namespace: 'shop', clusterIp: '10.96.0.10', port: 9080, protocol: 'TCP', targetPort: 9080, selector: 'productpage' },
  { name: 'details', namespace: 'shop', clusterIp: '10.96.0.11', port: 9080, protocol: 'TCP', targetPort: 9080, selector: 'details' },
  { name: 'reviews', namespace: 'shop', clusterIp: '10.96.0.12', port: 9080, protocol: 'TCP', targetPort: 9080, selector: 'reviews' },
  { name: 'ratings', namespace: 'shop', clusterIp: '10.96.0.13', port: 9080, protocol: 'TCP', targetPort: 9080, selector: 'ratings' },
  { name: 'mariadb', namespace: 'shop', clusterIp: '10.96.0.20', port: 3306, protocol: 'TCP', targetPort: 3306, selector: 'mariadb' },
  { name: 'redis', namespace: 'shop', clusterIp: '10.96.0.21', port: 6379, protocol: 'TCP', targetPort: 6379, selector: 'redis' },
  { name: 'kube-dns', namespace: 'kube-system', clusterIp: '10.96.0.53', port: 53, protocol: 'UDP', targetPort: 53, selector: 'kube-dns' },
];

export const DNS_SERVICE = SERVICES.find((s) => s.name === 'kube-dns') as LabService;

export function podsOf(service: LabService, pods: readonly LabPod[] = PODS): LabPod[] {
  return pods.filter((p) => p.namespace === service.namespace && p.labels.app === service.selector);
}

export function serviceFqdn(s: LabService): string {
  return `${s.name}.${s.namespace}.svc.${CLUSTER_DOMAIN}`;
}

export function nodeOf(pod: LabPod): LabNode {
  const n = NODES.find((x) => x.name === pod.node);
  if (!n) throw new Error(`pod ${pod.name}: unknown node ${pod.node}`);
  return n;
}

export function podByApp(app: string, version?: string, pods: readonly LabPod[] = PODS): LabPod {
  const p = pods.find((x) => x.labels.app === app && (version === undefined || x.labels.version === version));
  if (!p) throw new Error(`no pod for app ${app}${version ? ` ${version}` : ''}`);
  return p;
}
