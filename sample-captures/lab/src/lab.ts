// `rewind lab up | down | status`: builds the lab cluster (network, pods' processes, control plane), tears it down
// completely, and tells what is running. `up` starts from a clean slate (it runs `down` first) and a failed `up`
// removes what it made, so both are idempotent.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildNetwork, labNamespaces, teardownNetwork } from './network.js';
import { hasCommand } from './sh.js';
import { API_SERVER_IP, API_SERVER_PORT, METADATA_IP, NODES, PODS, UNDERLAY_NS, nodeOf, podByApp } from './topology.js';
import { fileURLToPath } from 'node:url';
import type { LabPod } from './topology.js';
import {
  PYTHON, WORKLOADS_DIR, containerCommand, prepareMariadb, cgroup2Root, removeCgroups, startDetached, startInPod, waitForPort,
} from './workloads.js';
import type { Started } from './workloads.js';

export const STATE_DIR = process.env.REWIND_LAB_STATE ?? '/run/rewind-lab';
const STATE_FILE = path.join(STATE_DIR, 'state.json');
/** A second mount of the cgroup2 hierarchy that agents in node namespaces can see (see nodeCgroup). */
export const CGROUP_MOUNT = path.join(STATE_DIR, 'cgroup2');

function isMounted(dir: string): boolean {
  try {
    return readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

export interface LabState {
  startedAt: string;
  /** How the latency fault is made: the kernel's netem, or the lab's delay link (no netem in the kernel). */
  delayMechanism: 'netem' | 'delay-link';
  delayPod: string;
  delayLinkPid: number | null;
  processes: Started[];
  controlPlane: Started[];
  faults: { latencyMs: number; errors: boolean };
  /** Pods replaced so far (app → generation) and each app's current pod name. */
  replaced?: Record<string, number>;
  pods?: Record<string, string>;
}

export function readState(): LabState | null {
  try {
    return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as LabState;
  } catch {
    return null;
  }
}

export function writeState(s: LabState): void {
  writeFileSync(STATE_FILE, `${JSON.stringify(s, null, 2)}\n`);
}

/** What the lab needs on this machine; the list of what is missing (empty when all is there). */
export function missingRequirements(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces, nftables, cgroups)');
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['dnsmasq', 'dnsmasq-base'], ['redis-server', 'redis-server'],
    ['mariadbd', 'mariadb-server'], ['mariadb-install-db', 'mariadb-server'], ['bash', 'bash']] as const) {
    if (!hasCommand(cmd)) missing.push(`${cmd} (Debian: ${pkg})`);
  }
  if (!existsSync(PYTHON)) missing.push(`${PYTHON} (Debian: python3)`);
  else if (spawnSync(PYTHON, ['-c', 'import pymysql'], { encoding: 'utf8' }).status !== 0) missing.push('PyMySQL (Debian: python3-pymysql)');
  if (!existsSync('/dev/net/tun')) missing.push('/dev/net/tun (TAP devices for the delay link)');
  return missing;
}

/** Whether this kernel has the netem qdisc (tried on a scratch namespace's loopback). */
export function hasNetem(): boolean {
  const ns = 'rwlab-netem-probe';
  spawnSync('ip', ['netns', 'add', ns]);
  const r = spawnSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { encoding: 'utf8' });
  spawnSync('ip', ['netns', 'del', ns]);
  return r.status === 0;
}

export interface LogSink {
  (line: string): void;
}

/** Stops every process in the lab's namespaces (TERM, then KILL after `graceMs`). */
async function stopProcesses(extraPids: number[], graceMs = 3000): Promise<string[]> {
  const pidsNow = (): number[] => {
    const pids = new Set<number>();
    for (const ns of labNamespaces()) {
      const r = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' });
      for (const l of (r.stdout ?? '').split('\n')) if (/^\d+$/.test(l.trim())) pids.add(Number(l.trim()));
    }
    for (const p of extraPids) if (alive(p)) pids.add(p);
    return [...pids];
  };
  const signalAll = (sig: NodeJS.Signals): number => {
    const pids = pidsNow();
    for (const p of pids) {
      try { process.kill(p, sig); } catch { /* gone */ }
    }
    return pids.length;
  };
  if (signalAll('SIGTERM') === 0) return [];
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && pidsNow().length > 0) await new Promise((r) => setTimeout(r, 100));
  signalAll('SIGKILL');
  const until = Date.now() + 2000;
  while (Date.now() < until && pidsNow().length > 0) await new Promise((r) => setTimeout(r, 50));
  const left = pidsNow();
  return left.length > 0 ? [`processes still running after SIGKILL: ${left.join(', ')}`] : [];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Tears the lab down: processes, namespaces (with their links), /etc/netns files, cgroups, state. Never throws. */
export async function labDown(log: LogSink = () => {}): Promise<string[]> {
  const state = readState();
  const extra = state ? [...state.processes, ...state.controlPlane].map((p) => p.pid) : [];
  if (state?.delayLinkPid) extra.push(state.delayLinkPid);
  const problems = [...await stopProcesses(extra)];
  problems.push(...teardownNetwork());
  problems.push(...removeCgroups());
  if (isMounted(CGROUP_MOUNT)) {
    const r = spawnSync('umount', [CGROUP_MOUNT], { encoding: 'utf8' });
    if (r.status !== 0) problems.push(`umount ${CGROUP_MOUNT}: ${(r.stderr ?? '').trim()}`);
  }
  // Never remove the state directory while the cgroup hierarchy is still mounted inside it.
  if (!isMounted(CGROUP_MOUNT)) rmSync(STATE_DIR, { recursive: true, force: true });
  else problems.push(`${CGROUP_MOUNT} is still mounted: ${STATE_DIR} left in place`);
  const left = labNamespaces();
  if (left.length > 0) problems.push(`namespaces left: ${left.join(', ')}`);
  log(problems.length === 0 ? 'lab down: nothing left' : `lab down with problems:\n  ${problems.join('\n  ')}`);
  return problems;
}

/** The latency fault: what `tc netem delay` (or the delay link) adds to the delayed pod's egress. */
export const LATENCY_MS = 100;

const START_ORDER = ['kube-dns', 'mariadb', 'redis', 'ratings', 'details', 'reviews', 'productpage'];

async function startDelayLink(pod: LabPod, delayMs: number, log: LogSink): Promise<number> {
  const node = nodeOf(pod);
  const ready = path.join(STATE_DIR, 'delay-link.ready');
  const started = startDetached([PYTHON, path.join(WORKLOADS_DIR, 'delay-link.py'), '--node-ns', node.netns, '--pod-ns', pod.netns,
    '--host-if', pod.hostVeth, '--pod-if', 'eth0', '--delay-ms', String(delayMs), '--ready', ready], path.join(STATE_DIR, 'delay-link.log'));
  const deadline = Date.now() + 5000;
  while (!existsSync(ready)) {
    if (Date.now() > deadline || !alive(started)) {
      const why = existsSync(path.join(STATE_DIR, 'delay-link.log')) ? readFileSync(path.join(STATE_DIR, 'delay-link.log'), 'utf8').trim() : '';
      throw new Error(`the delay link of ${pod.name} did not start${why ? `: ${why}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  log(`delay link for ${pod.name} (pid ${started}): no netem qdisc in this kernel, frames relayed by a TAP pair`);
  return started;
}

/** Builds and starts the whole lab; on any failure, tears down what it made and rethrows. */
export interface UpOptions {
  /** Tests only: fail on purpose after this step, to check that a failed up removes what it made. */
  failAfter?: 'network' | 'pods';
}

export async function labUp(log: LogSink = () => {}, opts: UpOptions = {}): Promise<LabState> {
  const missing = missingRequirements();
  if (missing.length > 0) throw new Error(`rewind lab needs: ${missing.join('; ')}`);
  await labDown(() => {});
  mkdirSync(STATE_DIR, { recursive: true });
  if (cgroup2Root() !== null) {
    mkdirSync(CGROUP_MOUNT, { recursive: true });
    const r = spawnSync('mount', ['-t', 'cgroup2', 'none', CGROUP_MOUNT], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount cgroup2 at ${CGROUP_MOUNT}: ${(r.stderr ?? '').trim()}`);
  }
  const delayPod = podByApp('reviews', 'v2');
  const netem = hasNetem();
  const state: LabState = {
    startedAt: new Date().toISOString(), delayMechanism: netem ? 'netem' : 'delay-link', delayPod: delayPod.name, delayLinkPid: null,
    processes: [], controlPlane: [], faults: { latencyMs: 0, errors: false },
  };
  try {
    const t0 = Date.now();
    await buildNetwork(PODS, {
      tapPods: netem ? new Set() : new Set([delayPod.name]),
      makeTapLink: async (pod) => {
        state.delayLinkPid = await startDelayLink(pod, LATENCY_MS, log);
        writeState(state);
      },
    });
    log(`network: ${labNamespaces().length} namespaces in ${Date.now() - t0} ms`);
    writeState(state);
    if (opts.failAfter === 'network') throw new Error('injected failure after the network');
    prepareMariadb(STATE_DIR);
    for (const app of START_ORDER) {
      for (const pod of PODS.filter((p) => p.labels.app === app)) {
        const { argv, env } = containerCommand(pod, STATE_DIR);
        state.processes.push(startInPod(pod, argv, env, path.join(STATE_DIR, `${pod.name}.log`)));
        writeState(state);
      }
      for (const pod of PODS.filter((p) => p.labels.app === app && p.port !== null && app !== 'kube-dns')) {
        await waitForPort(nodeOf(pod).netns, pod.ip, pod.port as number);
      }
    }
    log(`pods: ${state.processes.length} containers running (${Date.now() - t0} ms)`);
    if (opts.failAfter === 'pods') throw new Error('injected failure after the pods');
    // The control plane on the underlay: the Kubernetes API endpoint and the instance metadata endpoint.
    // The compiled script (this module may be running from src/ under the test runner).
    const cp = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'control-plane.js');
    const cpLog = path.join(STATE_DIR, 'control-plane.log');
    state.controlPlane.push({
      pod: 'control-plane', log: cpLog,
      pid: startDetached(['ip', 'netns', 'exec', UNDERLAY_NS, process.execPath, cp, '--api', `${API_SERVER_IP}:${API_SERVER_PORT}`,
        '--metadata', `${METADATA_IP}:80`], cpLog),
    });
    writeState(state);
    await waitForPort(NODES[0].netns, API_SERVER_IP, API_SERVER_PORT);
    await waitForPort(NODES[0].netns, METADATA_IP, 80);
    log(`control plane: Kubernetes API http://${API_SERVER_IP}:${API_SERVER_PORT}, metadata http://${METADATA_IP}`);
    return state;
  } catch (err) {
    await labDown(() => {});
    throw err;
  }
}

/**
 * Pod churn: the app's pod stops, the API deletes it and adds its successor (new name, uid and container id) on the
 * same IP, and the container starts again in the successor's cgroup, as a new pod scheduled onto a reused address.
 */
export async function replacePod(app: string): Promise<{ old: string; successor: string; ip: string }> {
  const state = readState();
  if (state === null) throw new Error('the lab is not up (rewind lab up)');
  const generation = (state.replaced?.[app] ?? 0) + 1;
  const current = state.pods?.[app] ?? PODS.find((p) => p.labels.app === app)?.name;
  const old = PODS.find((p) => p.labels.app === app);
  if (!old || !current) throw new Error(`no pod for app ${app}`);
  const i = state.processes.findIndex((p) => p.pod === current);
  if (i >= 0) {
    try { process.kill(state.processes[i].pid, 'SIGTERM'); } catch { /* gone */ }
    const until = Date.now() + 3000;
    while (alive(state.processes[i].pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    try { process.kill(state.processes[i].pid, 'SIGKILL'); } catch { /* gone */ }
  }
  const body = JSON.stringify({ namespace: old.namespace, name: current, generation });
  const script = `const r = await fetch('http://${API_SERVER_IP}:${API_SERVER_PORT}/_lab/replace-pod', { method: 'POST', body: process.argv[1] });
    if (!r.ok) { process.stderr.write(await r.text()); process.exit(1); } process.stdout.write(await r.text());`;
  const r = spawnSync('ip', ['netns', 'exec', NODES[0].netns, process.execPath, '--input-type=module', '-e', script, body], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`the API did not replace ${current}: ${(r.stderr ?? '').trim()}`);
  const successor = JSON.parse(r.stdout) as LabPod;
  const { argv, env } = containerCommand(successor, STATE_DIR);
  const started = startInPod(successor, argv, env, path.join(STATE_DIR, `${successor.name}.log`));
  if (i >= 0) state.processes[i] = started;
  else state.processes.push(started);
  state.replaced = { ...(state.replaced ?? {}), [app]: generation };
  state.pods = { ...(state.pods ?? {}), [app]: successor.name };
  writeState(state);
  if (successor.port !== null) await waitForPort(NODES[0].netns, successor.ip, successor.port);
  return { old: current, successor: successor.name, ip: successor.ip };
}
