// The lab's network: an underlay namespace with a bridge (the "physical" network, no link to the host), two node
// namespaces on it, each with a cni0-like bridge for its pods and a flannel-like VXLAN device to the other node, pods
// as namespaces on veth pairs, kube-proxy-like DNAT for the ClusterIP services in every node, and /etc/netns files so
// that processes started in a pod resolve service names through the lab's DNS.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  API_SERVER_IP, CLUSTER_DOMAIN, DNS_SERVICE, LAB_PREFIX, METADATA_IP, NODES, POD_MTU, SERVICES, UNDERLAY_NS, VXLAN_ID,
  VXLAN_PORT, nodeOf, podsOf,
} from './topology.js';
import type { LabNode, LabPod, LabService } from './topology.js';
import { ip, ipn, run, tryRun } from './sh.js';

const NETNS_ETC = '/etc/netns';

export function labNamespaces(): string[] {
  const r = tryRun('ip', ['-j', 'netns', 'list']);
  if (!r.ok || r.stdout.trim() === '') return [];
  const list = JSON.parse(r.stdout) as { name: string }[];
  return list.map((n) => n.name).filter((n) => n.startsWith(`${LAB_PREFIX}-`));
}

function sysctl(ns: string, key: string, value: string): void {
  run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`]);
}

function addNamespace(ns: string): void {
  ip('netns', 'add', ns);
  ipn(ns, 'link', 'set', 'lo', 'up');
}

function buildUnderlay(): void {
  addNamespace(UNDERLAY_NS);
  ipn(UNDERLAY_NS, 'link', 'add', 'phys0', 'type', 'bridge');
  ipn(UNDERLAY_NS, 'addr', 'add', `${API_SERVER_IP}/24`, 'dev', 'phys0');
  ipn(UNDERLAY_NS, 'addr', 'add', `${METADATA_IP}/32`, 'dev', 'phys0');
  ipn(UNDERLAY_NS, 'link', 'set', 'phys0', 'up');
}

function buildNode(node: LabNode, peer: LabNode): void {
  addNamespace(node.netns);
  const up = `up-${node.name}`;
  ipn(UNDERLAY_NS, 'link', 'add', up, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.netns);
  ipn(UNDERLAY_NS, 'link', 'set', up, 'master', 'phys0', 'up');
  ipn(node.netns, 'addr', 'add', `${node.ip}/24`, 'dev', 'eth0');
  ipn(node.netns, 'link', 'set', 'eth0', 'up');
  // The metadata address sits on the underlay as in a cloud VPC: reachable from the node, on-link.
  ipn(node.netns, 'route', 'add', `${METADATA_IP}/32`, 'dev', 'eth0');
  sysctl(node.netns, 'net.ipv4.ip_forward', '1');
  // Pod bridge (cni0) with the node's gateway address for its pods.
  ipn(node.netns, 'link', 'add', 'cni0', 'type', 'bridge');
  ipn(node.netns, 'link', 'set', 'cni0', 'mtu', String(POD_MTU));
  ipn(node.netns, 'addr', 'add', `${node.bridgeIp}/24`, 'dev', 'cni0');
  ipn(node.netns, 'link', 'set', 'cni0', 'up');
  // Bridged packets through netfilter (br_netfilter, as kube-proxy needs it): a reply from a backend on the same
  // bridge is un-DNATed on its way back to the client.
  sysctl(node.netns, 'net.bridge.bridge-nf-call-iptables', '1');
  // flannel-like VXLAN to the other node: one remote, the peer's VTEP address routed on-link through it.
  ipn(node.netns, 'link', 'add', 'flannel.1', 'type', 'vxlan', 'id', String(VXLAN_ID), 'local', node.ip, 'remote', peer.ip,
    'dstport', String(VXLAN_PORT), 'dev', 'eth0', 'nolearning');
  ipn(node.netns, 'link', 'set', 'flannel.1', 'address', node.vtepMac, 'mtu', String(POD_MTU));
  ipn(node.netns, 'addr', 'add', `${node.vtepIp}/32`, 'dev', 'flannel.1');
  ipn(node.netns, 'link', 'set', 'flannel.1', 'up');
  ipn(node.netns, 'neigh', 'add', peer.vtepIp, 'lladdr', peer.vtepMac, 'dev', 'flannel.1', 'nud', 'permanent');
  ipn(node.netns, 'route', 'add', peer.podCidr, 'via', peer.vtepIp, 'dev', 'flannel.1', 'onlink');
}

/** nft ruleset of one node: DNAT per ClusterIP (backends in turn per new connection, as IPVS round-robin), masquerade of hairpin traffic. */
export function kubeProxyRules(pods: readonly LabPod[], services: readonly LabService[] = SERVICES): string {
  const pre: string[] = [];
  const post: string[] = [];
  for (const s of services) {
    const backends = podsOf(s, pods);
    if (backends.length === 0) continue;
    const target = backends.length === 1 ? `${backends[0].ip}:${s.targetPort}`
      : `numgen inc mod ${backends.length} map { ${backends.map((b, i) => `${i} : ${b.ip}`).join(', ')} } : ${s.targetPort}`;
    const protos = s.name === 'kube-dns' ? ['udp', 'tcp'] : [s.protocol.toLowerCase()];
    for (const p of protos) pre.push(`    ip daddr ${s.clusterIp} ${p} dport ${s.port} dnat to ${target}`);
    for (const b of backends) post.push(`    ct status dnat ip saddr ${b.ip} ip daddr ${b.ip} masquerade`);
  }
  return [
    'table ip rwlab_kube {',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...pre,
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    ...pre,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    ...post,
    '  }',
    '}',
    '',
  ].join('\n');
}

function loadKubeProxy(node: LabNode, pods: readonly LabPod[]): void {
  run('ip', ['netns', 'exec', node.netns, 'nft', '-f', '-'], kubeProxyRules(pods));
}

/** The pod's resolv.conf and hosts as the kubelet writes them; `ip netns exec` bind-mounts /etc/netns/NS/* over /etc. */
function writePodEtc(pod: LabPod): void {
  const dir = path.join(NETNS_ETC, pod.netns);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'resolv.conf'),
    `nameserver ${DNS_SERVICE.clusterIp}\nsearch ${pod.namespace}.svc.${CLUSTER_DOMAIN} svc.${CLUSTER_DOMAIN} ${CLUSTER_DOMAIN}\noptions ndots:5\n`);
  writeFileSync(path.join(dir, 'hosts'), `127.0.0.1\tlocalhost\n${pod.ip}\t${pod.name}\n`);
}

/**
 * A pod: its namespace, a veth pair (eth0 in the pod, `hostVeth` on the node's bridge), the address and the default
 * route. With `tapLink` the two ends are TAP devices that a delay-link process already created and joins (see
 * delay-link.ts): only addresses and state are set here.
 */
export function addPod(pod: LabPod, opts: { namespaceExists?: boolean; tapLink?: boolean } = {}): void {
  const node = nodeOf(pod);
  if (!opts.namespaceExists) addNamespace(pod.netns);
  if (!opts.tapLink) ipn(node.netns, 'link', 'add', pod.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns);
  ipn(node.netns, 'link', 'set', pod.hostVeth, 'master', 'cni0', 'mtu', String(POD_MTU), 'up');
  ipn(pod.netns, 'link', 'set', 'eth0', 'mtu', String(POD_MTU));
  ipn(pod.netns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
  ipn(pod.netns, 'link', 'set', 'eth0', 'up');
  ipn(pod.netns, 'route', 'add', 'default', 'via', node.bridgeIp);
  writePodEtc(pod);
}

/** Removes a pod's namespace and its node-side link (a veth end goes with its peer; a TAP with its process). */
export function removePod(pod: LabPod): void {
  const node = nodeOf(pod);
  tryRun('ip', ['-n', node.netns, 'link', 'del', pod.hostVeth]);
  tryRun('ip', ['netns', 'del', pod.netns]);
  rmSync(path.join(NETNS_ETC, pod.netns), { recursive: true, force: true });
}

export interface NetworkOptions {
  /** Pods whose link is made by a delay-link process instead of a veth pair (their namespace is made here). */
  tapPods?: ReadonlySet<string>;
  /** Called after a tap pod's namespace exists and before its addresses are set: start the delay link there. */
  makeTapLink?: (pod: LabPod) => Promise<void>;
}

export async function buildNetwork(pods: readonly LabPod[], opts: NetworkOptions = {}): Promise<void> {
  buildUnderlay();
  buildNode(NODES[0], NODES[1]);
  buildNode(NODES[1], NODES[0]);
  for (const node of NODES) loadKubeProxy(node, pods);
  for (const pod of pods) {
    if (opts.tapPods?.has(pod.name) && opts.makeTapLink) {
      addNamespace(pod.netns);
      await opts.makeTapLink(pod);
      addPod(pod, { namespaceExists: true, tapLink: true });
    } else {
      addPod(pod);
    }
  }
}

/** Deletes every lab namespace (their links go with them) and the lab's /etc/netns entries. Never throws. */
export function teardownNetwork(): string[] {
  const problems: string[] = [];
  for (const ns of labNamespaces()) {
    const r = tryRun('ip', ['netns', 'del', ns]);
    if (!r.ok) problems.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
  }
  try {
    for (const d of readdirSync(NETNS_ETC)) {
      if (d.startsWith(`${LAB_PREFIX}-`)) rmSync(path.join(NETNS_ETC, d), { recursive: true, force: true });
    }
  } catch { /* no /etc/netns */ }
  return problems;
}
