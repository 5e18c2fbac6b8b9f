// The /proc process table: pid → comm, cmdline, parent, start time and the container id from the cgroup path,
// written into bundles as process-table records so that eBPF events resolve to processes and containers offline.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  comm: string;
  cmdline: string[];
  /** Container id (64 hex digits) from the cgroup path, when the process runs in a container. */
  containerId: string | null;
  cgroup: string | null;
  /** Start time, µs since the epoch (from /proc/<pid>/stat and the boot time). */
  startTimeUs: number | null;
}

const CLK_TCK = 100; // USER_HZ on Linux, the unit of /proc/<pid>/stat start times

function bootTimeS(proc: string): number | null {
  try {
    const m = /^btime (\d+)$/m.exec(readFileSync(`${proc}/stat`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Container id in a cgroup path: docker-<id>.scope, cri-containerd-<id>.scope, crio-<id>, /docker/<id>, /kubepods/.../<id>. */
export function containerIdOf(cgroup: string): string | null {
  const m = /(?:^|[/-])([0-9a-f]{64})(?:\.scope)?(?:$|\/)/.exec(cgroup);
  return m ? m[1] : null;
}

/** One process from /proc (null when it is gone or unreadable). */
export function readProcess(pid: number, proc = '/proc', btime = bootTimeS(proc)): ProcessInfo | null {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, 'utf8');
    // comm is in parentheses and may hold spaces or parentheses itself: the last ')' ends it.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < open) return null;
    const comm = stat.slice(open + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const ppid = Number(rest[1]);
    const startTicks = Number(rest[19]);
    let cmdline: string[] = [];
    try {
      cmdline = readFileSync(`${proc}/${pid}/cmdline`, 'latin1').split('\0').filter((s) => s.length > 0);
    } catch { /* kernel threads have none */ }
    let cgroup: string | null = null;
    try {
      const lines = readFileSync(`${proc}/${pid}/cgroup`, 'utf8').trim().split('\n');
      // cgroup v2: "0::/path"; v1: pick the first hierarchy with a path.
      const v2 = lines.find((l) => l.startsWith('0::'));
      cgroup = (v2 ?? lines[0] ?? '').split(':').slice(2).join(':') || null;
    } catch { /* gone */ }
    return {
      pid, ppid, comm, cmdline, cgroup, containerId: cgroup ? containerIdOf(cgroup) : null,
      startTimeUs: btime !== null && Number.isFinite(startTicks) ? Math.round((btime + startTicks / CLK_TCK) * 1e6) : null,
    };
  } catch {
    return null;
  }
}

/** Every process in /proc now. */
export function snapshotProcesses(proc = '/proc'): ProcessInfo[] {
  const btime = bootTimeS(proc);
  const out: ProcessInfo[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProcess(Number(name), proc, btime);
    if (p) out.push(p);
  }
  return out;
}
