// The pods' processes: each container's command started inside its pod's network namespace and in a cgroup named as
// the kubelet (systemd driver) and containerd name them, so /proc/PID/cgroup carries the container id as on a node.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_PREFIX, SERVICES, serviceFqdn } from './topology.js';
import type { LabPod } from './topology.js';
import { run } from './sh.js';

export const WORKLOADS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../workloads');
export const PYTHON = '/usr/bin/python3';

/** The cgroup v2 mount (a pure v2 host: /sys/fs/cgroup; a hybrid one: /sys/fs/cgroup/unified); null without one. */
export function cgroup2Root(): string | null {
  try {
    for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const f = line.split(' ');
      if (f[2] === 'cgroup2') return f[1];
    }
  } catch { /* no /proc */ }
  return null;
}

/**
 * The container's cgroup relative to the cgroup2 root. Each lab node has its own root slice (`rwlab-node-a.slice`),
 * below it the layout of the kubelet's systemd driver and containerd, so that an agent of one node traces its pods
 * with `--cgroup <root>/rwlab-node-a.slice` and /proc/PID/cgroup carries the container id as on a real node.
 */
export function containerCgroup(pod: LabPod): string {
  return path.join(`${LAB_PREFIX}-${pod.node}.slice`, 'kubepods.slice', 'kubepods-besteffort.slice',
    `kubepods-besteffort-pod${pod.uid.replace(/-/g, '_')}.slice`, `cri-containerd-${pod.containerId}.scope`);
}

/**
 * The cgroup of every pod of a node, for the agent's --cgroup filter, under `mount`: `ip netns exec` mounts a fresh
 * /sys, which hides /sys/fs/cgroup from the agent, so the lab mounts the cgroup2 hierarchy a second time in its state
 * directory (same cgroups, same ids). Null without cgroup v2.
 */
export function nodeCgroup(node: string, mount: string): string | null {
  return cgroup2Root() === null ? null : path.join(mount, `${LAB_PREFIX}-${node}.slice`);
}

function makeCgroup(pod: LabPod): string | null {
  const root = cgroup2Root();
  if (root === null) return null;
  const dir = path.join(root, containerCgroup(pod));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Removes the lab's cgroups (rwlab-*.slice and below, deepest first); they must be empty: processes gone. */
export function removeCgroups(): string[] {
  const root = cgroup2Root();
  const problems: string[] = [];
  if (root === null) return problems;
  const remove = (dir: string): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return;
    }
    for (const e of entries) remove(path.join(dir, e));
    try {
      rmdirSync(dir);
    } catch (err) {
      problems.push(`rmdir ${dir}: ${(err as Error).message}`);
    }
  };
  let tops: string[] = [];
  try {
    tops = readdirSync(root).filter((d) => d.startsWith(`${LAB_PREFIX}-`) && d.endsWith('.slice'));
  } catch { /* no cgroup2 */ }
  for (const t of tops) remove(path.join(root, t));
  return problems;
}

export interface Started {
  pod: string;
  pid: number;
  log: string;
}

/**
 * Starts `argv` in the pod: a shell moves itself into the container's cgroup, then execs `ip netns exec` with the
 * command, so the command and all its children are in the pod's network namespace and cgroup. Detached; output to
 * `log`.
 */
export function startInPod(pod: LabPod, argv: readonly string[], env: Record<string, string>, log: string): Started {
  const cg = makeCgroup(pod);
  const quoted = ['ip', 'netns', 'exec', pod.netns, ...argv].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = cg !== null ? `echo $$ > '${cg}/cgroup.procs' && exec ${quoted}` : `exec ${quoted}`;
  const fd = openSync(log, 'a');
  const child = spawn('sh', ['-c', script], {
    detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env, HOSTNAME: pod.name },
  });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]} in pod ${pod.name}`);
  return { pod: pod.name, pid: child.pid, log };
}

/** Starts a process detached in the current namespaces (the delay link, the control plane); returns its pid. */
export function startDetached(argv: readonly string[], log: string, env: Record<string, string> = {}): number {
  const fd = openSync(log, 'a');
  const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${argv[0]}`);
  return child.pid;
}

/** The pod's container command: what the lab runs in place of its image. */
export function containerCommand(pod: LabPod, stateDir: string): { argv: string[]; env: Record<string, string> } {
  const w = (f: string): string => path.join(WORKLOADS_DIR, f);
  const app = pod.labels.app;
  switch (app) {
    case 'productpage':
      return { argv: [PYTHON, w('productpage.py')], env: { PORT: '9080' } };
    case 'ratings':
      return { argv: [PYTHON, w('ratings.py')], env: { PORT: '9080' } };
    case 'details':
      return { argv: [process.execPath, w('details.mjs')], env: { PORT: '9080' } };
    case 'reviews':
      return { argv: [process.execPath, w('reviews.mjs')], env: { PORT: '9080', VERSION: pod.labels.version ?? 'v1' } };
    case 'loadgen':
      return { argv: [process.execPath, w('loadgen.mjs')], env: {} };
    case 'redis':
      return {
        argv: ['redis-server', '--bind', pod.ip, '--port', '6379', '--save', '', '--appendonly', 'no', '--protected-mode', 'no',
          '--daemonize', 'no', '--logfile', ''],
        env: {},
      };
    case 'mariadb': {
      const dir = path.join(stateDir, 'mariadb');
      return {
        argv: ['mariadbd', '--no-defaults', `--datadir=${dir}/data`, `--socket=${dir}/mariadb.sock`, `--pid-file=${dir}/mariadb.pid`,
          '--port=3306', `--bind-address=${pod.ip}`, '--user=root', '--skip-log-bin', '--skip-name-resolve',
          '--innodb-buffer-pool-size=16M', `--init-file=${dir}/init.sql`, '--max-connections=50'],
        env: {},
      };
    }
    case 'kube-dns': {
      const records = SERVICES.map((s) => `--host-record=${serviceFqdn(s)},${s.clusterIp}`);
      return {
        argv: ['dnsmasq', '--no-daemon', '--no-resolv', '--no-hosts', '--bind-interfaces', `--listen-address=${pod.ip}`,
          '--port=53', '--local=/cluster.local/', '--domain-needed', '--cache-size=0', `--pid-file=${path.join(stateDir, 'dnsmasq.pid')}`,
          ...records],
        env: {},
      };
    }
    default:
      throw new Error(`no container command for app ${app}`);
  }
}

/** MariaDB's data directory and the SQL it runs at start: the bookinfo database, its ratings and the service's user. */
export function prepareMariadb(stateDir: string): void {
  const dir = path.join(stateDir, 'mariadb');
  mkdirSync(dir, { recursive: true });
  run('mariadb-install-db', ['--no-defaults', `--datadir=${dir}/data`, '--user=root', '--auth-root-authentication-method=normal',
    '--skip-test-db']);
  const rows: string[] = [];
  for (let id = 1; id <= 20; id++) rows.push(`(${id}, 'Reviewer1', ${1 + (id % 5)}), (${id}, 'Reviewer2', ${1 + ((id + 2) % 5)})`);
  writeFileSync(path.join(dir, 'init.sql'), [
    'CREATE DATABASE IF NOT EXISTS bookinfo;',
    'CREATE TABLE IF NOT EXISTS bookinfo.ratings (product_id INT NOT NULL, reviewer VARCHAR(32) NOT NULL, stars INT NOT NULL, PRIMARY KEY (product_id, reviewer));',
    `INSERT IGNORE INTO bookinfo.ratings VALUES ${rows.join(', ')};`,
    "CREATE USER IF NOT EXISTS 'ratings'@'%' IDENTIFIED BY 'ratings';",
    "GRANT SELECT ON bookinfo.* TO 'ratings'@'%';",
    '',
  ].join('\n'));
}

/** Waits until ip:port accepts a TCP connection from inside network namespace `ns` (throws after `timeoutMs`). */
export async function waitForPort(ns: string, host: string, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const r = spawnSync('ip', ['netns', 'exec', ns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`], { encoding: 'utf8', timeout: 2000 });
    if (r.status === 0) return;
    last = (r.stderr ?? '').trim().split('\n').pop() ?? '';
    await new Promise((res) => setTimeout(res, 150));
  }
  throw new Error(`${host}:${port} did not accept connections within ${timeoutMs} ms (${last})`);
}

