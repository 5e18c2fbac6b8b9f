// The Kubernetes and cloud tag sources against the lab's control plane (the same list/watch and metadata shapes as
// the real endpoints), on loopback: the real client library, real HTTP.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiStore, NODES, apiServer, clusterObjects, metadataServer } from '@rewind/lab';
import { KubernetesSource } from './k8s.js';
import { readCloudMetadata } from './cloud.js';

const listen = (s: http.Server): Promise<string> => new Promise((resolve) => {
  s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`));
});
const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('Kubernetes source', () => {
  let store: ApiStore;
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    store = new ApiStore(clusterObjects());
    server = apiServer(store);
    url = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));

  it('lists every kind into one snapshot, then records a pod replaced on the same IP as deltas', async () => {
    const snapshots: { objects: unknown[] }[] = [];
    const deltas: { type: string; object: { kind: string; metadata: { name: string; uid: string }; status?: { podIP?: string } } }[] = [];
    const src = new KubernetesSource({
      target: url, cluster: 'lab',
      onSnapshot: (s) => snapshots.push(s),
      onDelta: (d) => deltas.push(d as (typeof deltas)[number]),
    });
    await src.start();
    try {
      expect(snapshots).toHaveLength(1);
      const kinds = new Map<string, number>();
      for (const o of snapshots[0].objects as { kind: string }[]) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
      expect(Object.fromEntries(kinds)).toEqual({
        Namespace: 4, Node: 2, Pod: 9, Service: 7, EndpointSlice: 7, ReplicaSet: 7, Deployment: 7, StatefulSet: 2,
      });
      const pods = (snapshots[0].objects as { kind: string; metadata: { name: string; uid: string; creationTimestamp: string }; status: { podIP: string } }[])
        .filter((o) => o.kind === 'Pod');
      const ratings = pods.find((p) => p.metadata.name.startsWith('ratings-v1-'));
      expect(ratings?.status.podIP).toBe('10.244.2.22');
      // Dates come back as ISO strings, as the API sends them.
      expect(typeof ratings?.metadata.creationTimestamp).toBe('string');

      await new Promise((r) => setTimeout(r, 200)); // watches open
      const successor = store.replacePod('shop', ratings?.metadata.name ?? '', 1);
      await until(() => deltas.length >= 3);
      const podDeltas = deltas.filter((d) => d.object.kind === 'Pod');
      expect(podDeltas.map((d) => d.type)).toEqual(['DELETED', 'ADDED']);
      expect(podDeltas[0].object.metadata.uid).toBe(ratings?.metadata.uid);
      expect(podDeltas[1].object.metadata.name).toBe(successor.name);
      expect(podDeltas[1].object.metadata.uid).not.toBe(ratings?.metadata.uid);
      expect(podDeltas[1].object.status?.podIP).toBe('10.244.2.22');
      expect(deltas.some((d) => d.type === 'MODIFIED' && d.object.kind === 'EndpointSlice')).toBe(true);
      expect(src.deltas).toBe(deltas.length);
    } finally {
      src.stop();
    }
  });

  it('reads the cluster through a kubeconfig file as well', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-kubeconfig-'));
    try {
      const file = path.join(dir, 'config');
      writeFileSync(file, [
        'apiVersion: v1', 'kind: Config', 'current-context: lab',
        'clusters:', `- name: lab-cluster`, `  cluster:`, `    server: ${url}`, '    insecure-skip-tls-verify: true',
        'users:', '- name: lab-user', '  user: {}',
        'contexts:', '- name: lab', '  context:', '    cluster: lab-cluster', '    user: lab-user', '',
      ].join('\n'));
      const snapshots: { cluster: string; objects: unknown[] }[] = [];
      const src = new KubernetesSource({ target: file, onSnapshot: (x) => snapshots.push(x), onDelta: () => {} });
      await src.start();
      src.stop();
      expect(snapshots).toHaveLength(1);
      expect(snapshots[0].cluster).toBe('lab-cluster');
      expect(snapshots[0].objects.length).toBe(45);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails to start with a clear error when the API does not answer', async () => {
    const src = new KubernetesSource({ target: 'http://127.0.0.1:9', onSnapshot: () => {}, onDelta: () => {} });
    await expect(src.start()).rejects.toThrow(/ECONNREFUSED|connect/);
    src.stop();
  });
});

describe('cloud source', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = metadataServer(() => NODES[1]);
    url = await listen(server);
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('reads AWS (IMDSv2 token), GCP and Azure metadata of the calling node', async () => {
    const aws = await readCloudMetadata('aws', { endpoint: url });
    expect(aws).toMatchObject({ provider: 'aws', region: 'lab-region-1', zone: 'lab-zone-b', instanceId: NODES[1].instanceId, privateIp: NODES[1].ip, vpcId: 'vpc-0rewindlab' });
    const gcp = await readCloudMetadata('gcp', { endpoint: url });
    expect(gcp).toMatchObject({ provider: 'gcp', zone: 'lab-zone-b', instanceId: NODES[1].instanceId, privateIp: NODES[1].ip });
    const azure = await readCloudMetadata('azure', { endpoint: url });
    expect(azure).toMatchObject({ provider: 'azure', region: 'lab-region-1', instanceId: NODES[1].instanceId, privateIp: NODES[1].ip });
    expect((await readCloudMetadata('auto', { endpoint: url })).provider).toBe('aws');
  });

  it('gives up quickly with every reason when nothing answers', async () => {
    const t0 = Date.now();
    await expect(readCloudMetadata('auto', { endpoint: 'http://127.0.0.1:9', timeoutMs: 300 })).rejects.toThrow(/aws: .*gcp: .*azure: /);
    expect(Date.now() - t0).toBeLessThan(3000);
  });
});
