// Kubernetes tag source: lists pods, services, endpoint slices, nodes, namespaces, replica sets, deployments, daemon
// sets and stateful sets through @kubernetes/client-node (in-cluster config, a kubeconfig, or an API URL), emits one
// snapshot of all of them, then watches each collection from the snapshot's resourceVersion and emits every change
// with its time. A watch that ends is resumed from the last version seen; one the server has expired (410 Gone) is
// listed again and emitted as a new snapshot, so the bundle never misses a state.
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, Watch } from '@kubernetes/client-node';

export interface KubernetesSourceOptions {
  /** `in-cluster`, a kubeconfig path, or an API server URL (http(s)://host:port, no authentication). */
  target: string;
  /** Called with the snapshot record (type 3) and each watch delta (type 4), as the bundle stores them. */
  onSnapshot: (snapshot: { tsUs: number; cluster: string; objects: unknown[] }) => void;
  onDelta: (delta: { tsUs: number; type: string; object: unknown }) => void;
  /** Watch failures and resumptions (the source keeps going). */
  onError?: (message: string) => void;
  /** Name written into the records (the kubeconfig's cluster, or the API host). */
  cluster?: string;
}

type ListFn = () => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }>;

interface Collection {
  path: string;
  apiVersion: string;
  kind: string;
  list: ListFn;
}

export function kubeConfigFor(target: string): KubeConfig {
  const kc = new KubeConfig();
  if (target === 'in-cluster') kc.loadFromCluster();
  else if (/^https?:\/\//.test(target)) {
    kc.loadFromOptions({
      // client-node refuses plain http unless TLS verification is off; an https URL is verified as usual.
      clusters: [{ name: 'target', server: target, skipTLSVerify: target.startsWith('http://') }],
      users: [{ name: 'anonymous' }],
      contexts: [{ name: 'target', cluster: 'target', user: 'anonymous' }],
      currentContext: 'target',
    });
  } else kc.loadFromFile(target);
  return kc;
}

/** Plain API JSON of a typed client object (dates as ISO strings, no undefined members). */
const plain = (o: unknown): unknown => JSON.parse(JSON.stringify(o)) as unknown;

export class KubernetesSource {
  private readonly kc: KubeConfig;
  private readonly collections: Collection[];
  private readonly aborts = new Set<AbortController>();
  private stopped = false;
  private readonly lastRv = new Map<string, string>();
  /** Objects emitted (snapshot items + deltas), for the coverage stats. */
  objects = 0;
  deltas = 0;
  errors = 0;

  constructor(private readonly opts: KubernetesSourceOptions) {
    this.kc = kubeConfigFor(opts.target);
    const core = this.kc.makeApiClient(CoreV1Api);
    const apps = this.kc.makeApiClient(AppsV1Api);
    const disc = this.kc.makeApiClient(DiscoveryV1Api);
    const c = (path: string, apiVersion: string, kind: string, list: ListFn): Collection => ({ path, apiVersion, kind, list });
    this.collections = [
      c('/api/v1/namespaces', 'v1', 'Namespace', () => core.listNamespace()),
      c('/api/v1/nodes', 'v1', 'Node', () => core.listNode()),
      c('/api/v1/pods', 'v1', 'Pod', () => core.listPodForAllNamespaces()),
      c('/api/v1/services', 'v1', 'Service', () => core.listServiceForAllNamespaces()),
      c('/apis/discovery.k8s.io/v1/endpointslices', 'discovery.k8s.io/v1', 'EndpointSlice', () => disc.listEndpointSliceForAllNamespaces()),
      c('/apis/apps/v1/replicasets', 'apps/v1', 'ReplicaSet', () => apps.listReplicaSetForAllNamespaces()),
      c('/apis/apps/v1/deployments', 'apps/v1', 'Deployment', () => apps.listDeploymentForAllNamespaces()),
      c('/apis/apps/v1/statefulsets', 'apps/v1', 'StatefulSet', () => apps.listStatefulSetForAllNamespaces()),
      c('/apis/apps/v1/daemonsets', 'apps/v1', 'DaemonSet', () => apps.listDaemonSetForAllNamespaces()),
    ];
  }

  get cluster(): string {
    return this.opts.cluster ?? this.kc.getCurrentCluster()?.name ?? 'kubernetes';
  }

  /** Lists everything (one snapshot record), then starts the watches. Rejects when the first list fails. */
  async start(): Promise<void> {
    await this.snapshot();
    for (const col of this.collections) void this.watch(col);
  }

  private async snapshot(): Promise<void> {
    const lists = await Promise.all(this.collections.map(async (col) => ({ col, list: await col.list() })));
    const objects: unknown[] = [];
    for (const { col, list } of lists) {
      if (list.metadata?.resourceVersion) this.lastRv.set(col.path, list.metadata.resourceVersion);
      for (const item of list.items) {
        // Items of a list carry no apiVersion/kind: put them back so every stored object says what it is.
        objects.push({ apiVersion: col.apiVersion, kind: col.kind, ...(plain(item) as object) });
      }
    }
    this.objects += objects.length;
    this.opts.onSnapshot({ tsUs: Date.now() * 1000, cluster: this.cluster, objects });
  }

  private async watch(col: Collection): Promise<void> {
    if (this.stopped) return;
    const w = new Watch(this.kc);
    let restart: 'resume' | 'relist' = 'resume';
    try {
      const ac = await w.watch(col.path, { resourceVersion: this.lastRv.get(col.path), allowWatchBookmarks: true }, (type, obj: { metadata?: { resourceVersion?: string }; code?: number }) => {
        if (type === 'BOOKMARK') {
          if (obj.metadata?.resourceVersion) this.lastRv.set(col.path, obj.metadata.resourceVersion);
          return;
        }
        if (type === 'ERROR') {
          // A Status object: 410 Gone means our resourceVersion is too old.
          if (obj.code === 410) restart = 'relist';
          this.errors++;
          this.opts.onError?.(`watch ${col.path}: ${JSON.stringify(obj)}`);
          return;
        }
        if (obj.metadata?.resourceVersion) this.lastRv.set(col.path, obj.metadata.resourceVersion);
        this.deltas++;
        this.objects++;
        this.opts.onDelta({ tsUs: Date.now() * 1000, type, object: { apiVersion: col.apiVersion, kind: col.kind, ...(obj as object) } });
      }, (err: unknown) => {
        this.aborts.delete(ac);
        if (this.stopped) return;
        if (err) {
          this.errors++;
          this.opts.onError?.(`watch ${col.path} ended: ${err instanceof Error ? err.message : String(err)}`);
        }
        setTimeout(() => void this.resume(col, restart), err ? 1000 : 0).unref();
      });
      if (this.stopped) ac.abort();
      else this.aborts.add(ac);
    } catch (err) {
      this.errors++;
      this.opts.onError?.(`watch ${col.path}: ${err instanceof Error ? err.message : String(err)}`);
      if (!this.stopped) setTimeout(() => void this.watch(col), 1000).unref();
    }
  }

  private async resume(col: Collection, how: 'resume' | 'relist'): Promise<void> {
    if (this.stopped) return;
    if (how === 'relist') {
      try {
        await this.snapshot();
      } catch (err) {
        this.errors++;
        this.opts.onError?.(`relist: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    void this.watch(col);
  }

  stop(): void {
    this.stopped = true;
    for (const ac of this.aborts) ac.abort();
    this.aborts.clear();
  }
}
