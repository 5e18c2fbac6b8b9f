// What a captured device is, from the kernel's view of it (`ip -d link`, in the agent's network namespace): the
// observation point's kind (bridge, tunnel, pod-veth, host-nic, loopback), its index and the namespace it is in.
import { spawnSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';

interface IpLink {
  ifindex?: number;
  ifname?: string;
  link_type?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  master?: string;
}

const TUNNEL_KINDS = new Set(['vxlan', 'geneve', 'gre', 'gretap', 'ipip', 'sit', 'ip6tnl', 'wireguard', 'ip6gre']);

/** `netns` as the bundle names it: the namespace's inode number (`net:[4026531840]` → 4026531840). */
export function currentNetns(): string | null {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'));
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/** Kind of a device from its link info: a veth or TAP enslaved to a bridge is a pod's link, as CNI plugins make them. */
export function kindOf(link: IpLink): string {
  const kind = link.linkinfo?.info_kind;
  if (link.link_type === 'loopback') return 'loopback';
  if (kind === 'bridge') return 'bridge';
  if (kind !== undefined && TUNNEL_KINDS.has(kind)) return 'tunnel';
  if ((kind === 'veth' || kind === 'tun') && link.linkinfo?.info_slave_kind === 'bridge') return 'pod-veth';
  return 'host-nic';
}

/** The observation-point fields of a device (`any` and unknown devices get only what is certain). */
export function describeInterface(device: string): Record<string, unknown> {
  const netns = currentNetns();
  const base: Record<string, unknown> = netns ? { netns } : {};
  if (device === 'any') return { ...base, kind: 'host-nic' };
  const r = spawnSync('ip', ['-j', '-d', 'link', 'show', 'dev', device], { encoding: 'utf8' });
  if (r.status !== 0) return { ...base, kind: 'host-nic' };
  try {
    const [link] = JSON.parse(r.stdout) as IpLink[];
    return { ...base, kind: kindOf(link), ...(link.ifindex !== undefined ? { ifindex: link.ifindex } : {}), ...(link.master ? { master: link.master } : {}) };
  } catch {
    return { ...base, kind: 'host-nic' };
  }
}
