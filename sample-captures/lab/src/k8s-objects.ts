// The lab's cluster as Kubernetes API objects (the JSON shapes of the API server's v1, apps/v1 and discovery.k8s.io/v1
// groups), so that the agent's Kubernetes source reads the lab with the same client code as a real cluster.
import { createHash } from 'node:crypto';
import { CLUSTER_NAME, NODES, PODS, SERVICES, nodeOf, podsOf, uidOf } from './topology.js';
import type { LabNode, LabPod, LabService } from './topology.js';

export const REGION = 'lab-region-1';
export const INSTANCE_TYPE = 'lab.small';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion?: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller: boolean }[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
};

/** The collections the API serves: path → kind (cluster-wide list and watch of each). */
export const COLLECTIONS: Record<string, { apiVersion: string; kind: string }> = {
  '/api/v1/namespaces': { apiVersion: 'v1', kind: 'Namespace' },
  '/api/v1/nodes': { apiVersion: 'v1', kind: 'Node' },
  '/api/v1/pods': { apiVersion: 'v1', kind: 'Pod' },
  '/api/v1/services': { apiVersion: 'v1', kind: 'Service' },
  '/apis/discovery.k8s.io/v1/endpointslices': { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
  '/apis/apps/v1/replicasets': { apiVersion: 'apps/v1', kind: 'ReplicaSet' },
  '/apis/apps/v1/deployments': { apiVersion: 'apps/v1', kind: 'Deployment' },
  '/apis/apps/v1/statefulsets': { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  '/apis/apps/v1/daemonsets': { apiVersion: 'apps/v1', kind: 'DaemonSet' },
};

const CREATED = '2026-12-01T08:00:00Z';

export function nodeObject(n: LabNode): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: n.name, uid: uidOf('Node', '', n.name), creationTimestamp: CREATED,
      labels: {
        'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux', 'topology.kubernetes.io/region': REGION,
        'topology.kubernetes.io/zone': n.zone, 'node.kubernetes.io/instance-type': INSTANCE_TYPE,
      },
    },
    spec: { podCIDR: n.podCidr, podCIDRs: [n.podCidr], providerID: `aws:///${n.zone}/${n.instanceId}` },
    status: {
      addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }],
      conditions: [{ type: 'Ready', status: 'True' }],
      nodeInfo: { kubeletVersion: 'v1.31.0-rewind-lab', containerRuntimeVersion: 'containerd://1.7.0', osImage: 'Debian GNU/Linux 12 (bookworm)' },
    },
  };
}

export function namespaceObject(name: string): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: { name, uid: uidOf('Namespace', '', name), creationTimestamp: CREATED, labels: { 'kubernetes.io/metadata.name': name } },
    status: { phase: 'Active' },
  };
}

/** The ReplicaSet of a Deployment's pods: `<deployment>-<pod-template-hash>`. */
function replicaSetName(pod: LabPod): string | null {
  const hash = pod.labels['pod-template-hash'];
  return pod.workload.kind === 'Deployment' && hash ? `${pod.workload.name}-${hash}` : null;
}

export function podObject(p: LabPod, createdAt = CREATED): K8sObject {
  const rs = replicaSetName(p);
  const owner = rs !== null
    ? { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rs, uid: uidOf('ReplicaSet', p.namespace, rs), controller: true }
    : { apiVersion: 'apps/v1', kind: p.workload.kind, name: p.workload.name, uid: uidOf(p.workload.kind, p.namespace, p.workload.name), controller: true };
  const node = nodeOf(p);
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: p.name, namespace: p.namespace, uid: p.uid, creationTimestamp: createdAt, labels: { ...p.labels }, ownerReferences: [owner] },
    spec: {
      nodeName: p.node,
      containers: [{ name: p.container, image: p.image, ports: p.port === null ? [] : [{ containerPort: p.port, protocol: p.labels.app === 'kube-dns' ? 'UDP' : 'TCP' }] }],
    },
    status: {
      phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }], hostIP: node.ip, startTime: createdAt,
      containerStatuses: [{ name: p.container, ready: true, restartCount: 0, image: p.image, containerID: `containerd://${p.containerId}`, started: true }],
    },
  };
}

export function serviceObject(s: LabService): K8sObject {
  return {
    apiVersion: 'v1', kind: 'Service',
    metadata: { name: s.name, namespace: s.namespace, uid: uidOf('Service', s.namespace, s.name), creationTimestamp: CREATED, labels: { app: s.selector } },
    spec: {
      type: 'ClusterIP', clusterIP: s.clusterIp, clusterIPs: [s.clusterIp], selector: { app: s.selector },
      ports: [{ name: s.protocol === 'UDP' ? 'dns' : 'tcp', port: s.port, targetPort: s.targetPort, protocol: s.protocol }],
    },
    status: { loadBalancer: {} },
  };
}

export function endpointSliceObject(s: LabService, pods: readonly LabPod[]): K8sObject {
  const name = `${s.name}-${createHash('sha256').update(s.name).digest('hex').slice(0, 5)}`;
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      name, namespace: s.namespace, uid: uidOf('EndpointSlice', s.namespace, name), creationTimestamp: CREATED,
      labels: { 'kubernetes.io/service-name': s.name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: s.name, uid: uidOf('Service', s.namespace, s.name), controller: true }],
    },
    addressType: 'IPv4',
    endpoints: podsOf(s, pods).map((p) => ({
      addresses: [p.ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: p.node,
      targetRef: { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid },
    })),
    ports: [{ name: s.protocol === 'UDP' ? 'dns' : 'tcp', port: s.targetPort, protocol: s.protocol }],
  };
}

/** Deployments, their ReplicaSets, StatefulSets and DaemonSets of the pods. */
export function workloadObjects(pods: readonly LabPod[]): K8sObject[] {
  const out = new Map<string, K8sObject>();
  for (const p of pods) {
    const w = p.workload;
    const key = `${w.kind}/${p.namespace}/${w.name}`;
    if (!out.has(key)) {
      out.set(key, {
        apiVersion: 'apps/v1', kind: w.kind,
        metadata: { name: w.name, namespace: p.namespace, uid: uidOf(w.kind, p.namespace, w.name), creationTimestamp: CREATED, labels: { app: p.labels.app } },
        spec: { replicas: 1, selector: { matchLabels: { app: p.labels.app, ...(p.labels.version ? { version: p.labels.version } : {}) } } },
        status: { replicas: 1, readyReplicas: 1 },
      });
    }
    const rs = replicaSetName(p);
    if (rs !== null && !out.has(`ReplicaSet/${p.namespace}/${rs}`)) {
      out.set(`ReplicaSet/${p.namespace}/${rs}`, {
        apiVersion: 'apps/v1', kind: 'ReplicaSet',
        metadata: {
          name: rs, namespace: p.namespace, uid: uidOf('ReplicaSet', p.namespace, rs), creationTimestamp: CREATED, labels: { ...p.labels },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: w.name, uid: uidOf('Deployment', p.namespace, w.name), controller: true }],
        },
        spec: { replicas: 1, selector: { matchLabels: { ...p.labels } } },
        status: { replicas: 1, readyReplicas: 1 },
      });
    }
  }
  return [...out.values()];
}

/** Every object of the lab's cluster at start. */
export function clusterObjects(pods: readonly LabPod[] = PODS): K8sObject[] {
  const namespaces = [...new Set([...pods.map((p) => p.namespace), 'default', 'kube-system'])].sort();
  return [
    ...namespaces.map(namespaceObject),
    ...NODES.map(nodeObject),
    ...workloadObjects(pods),
    ...pods.map((p) => podObject(p)),
    ...SERVICES.map(serviceObject),
    ...SERVICES.map((s) => endpointSliceObject(s, pods)),
  ];
}

export { CLUSTER_NAME };
