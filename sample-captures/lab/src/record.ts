// `rewind lab record`: one capture agent per node, as a DaemonSet would run them (in the node's network namespace:
// packets on its uplink, pod bridge, VXLAN device and every pod veth; eBPF socket data of that node's pods through
// the node's cgroup; the Kubernetes snapshot and watch from the lab's API; the instance metadata), the load
// generator for the recording's length, the scenario's fault at its time, then the nodes' bundles concatenated into
// one (pcapng sections merge by concatenation).
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CGROUP_MOUNT, readState, replacePod } from './lab.js';
import { setFault } from './faults.js';
import type { FaultName } from './faults.js';
import { API_SERVER_IP, API_SERVER_PORT, NODES, PODS, podByApp } from './topology.js';
import type { LabNode } from './topology.js';
import { containerCommand, nodeCgroup, startInPod } from './workloads.js';

const REWIND_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../analysis/bin/rewind.js');

export interface RecordOptions {
  out: string;
  duration: string;
  scenario: FaultName;
  /** When the fault starts (default: a third into the recording). */
  faultAt?: string;
  /** Load generator requests per second (default 10). */
  rate?: number;
  /** Replace this app's pod at this time: the pod is deleted and a new one takes its IP (pod churn, IP reuse). */
  replacePod?: { app: string; atMs: number };
}

export interface RecordResult {
  out: string;
  bytes: number;
  loadgen: unknown;
  agents: { node: string; stdout: string; stderr: string; code: number | null }[];
}

export function parseDurationMs(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(s.trim());
  if (!m) throw new Error(`cannot read duration ${JSON.stringify(s)} (e.g. 20s, 1500ms, 1m)`);
  const v = Number(m[1]);
  return Math.round(v * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000));
}

/** The devices an agent captures in a node and what each is (the pod's veth: its pod). */
export function nodeInterfaces(node: LabNode): { ifaces: string[]; info: Record<string, Record<string, unknown>> } {
  const info: Record<string, Record<string, unknown>> = {
    eth0: { kind: 'host-nic' },
    cni0: { kind: 'bridge' },
    'flannel.1': { kind: 'tunnel' },
  };
  for (const p of PODS.filter((x) => x.node === node.name)) {
    info[p.hostVeth] = { kind: 'pod-veth', pod: p.name, namespace: p.namespace, podIp: p.ip };
  }
  return { ifaces: Object.keys(info), info };
}

interface Agent {
  node: string;
  out: string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves when the agent says every source is open. */
  ready: Promise<void>;
}

function startAgent(node: LabNode, dir: string, durationMs: number): Agent {
  const out = path.join(dir, `${node.name}.pcapng`);
  const { ifaces, info } = nodeInterfaces(node);
  const cg = nodeCgroup(node.name, CGROUP_MOUNT);
  const args = ['netns', 'exec', node.netns, process.execPath, REWIND_BIN, 'record', '--out', out, '--duration', `${durationMs}ms`,
    '--host', node.name, '--node', node.name, '--iface', ifaces.join(','), '--iface-info', JSON.stringify(info),
    '--k8s', `http://${API_SERVER_IP}:${API_SERVER_PORT}`, '--cloud', 'aws', '--no-tls', ...(cg ? ['--cgroup', cg] : [])];
  const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => { onReady = r; });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('every source is open')) onReady();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { node: node.name, out, done, ready };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function labRecord(opts: RecordOptions, log: (s: string) => void = () => {}): Promise<RecordResult> {
  const state = readState();
  if (state === null) throw new Error('the lab is not up (rewind lab up)');
  const durationMs = parseDurationMs(opts.duration);
  if (durationMs < 5000) throw new Error('--duration must be at least 5s');
  const faultAtMs = opts.faultAt !== undefined ? parseDurationMs(opts.faultAt) : Math.round(durationMs / 3);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-lab-record-'));
  try {
    setFault('none');
    const agents = NODES.map((n) => startAgent(n, dir, durationMs));
    // Agents load their eBPF programs, open the captures and list the cluster before recording: wait until each says
    // every source is open (the load starts after that, so that no request falls before a capture began).
    const t0 = Date.now();
    for (const a of agents) {
      const r = await Promise.race([a.ready.then(() => null), a.done, sleep(20_000).then(() => 'timeout' as const)]);
      if (r === 'timeout') throw new Error(`the agent of ${a.node} did not start within 20 s`);
      if (r !== null) throw new Error(`the agent of ${a.node} stopped at once (exit ${r.code}): ${r.stderr.trim()}`);
    }
    log(`agents ready in ${Date.now() - t0} ms`);
    const lg = podByApp('loadgen');
    const { argv } = containerCommand(lg, '');
    const loadgenLog = path.join(dir, 'loadgen.log');
    // The recording counts from the agents' start; the load ends a little before they stop, so that its last
    // answers are in the bundle.
    const loadS = Math.max(1, (durationMs - 2000) / 1000);
    startInPod(lg, argv, { RATE: String(opts.rate ?? 10), DURATION_S: String(loadS), CONNECTIONS: '4' }, loadgenLog);
    log(`recording ${durationMs / 1000} s: agents on ${agents.map((a) => a.node).join(', ')}, load ${opts.rate ?? 10}/s for ${loadS} s, scenario ${opts.scenario}`);
    if (opts.scenario !== 'none') {
      await sleep(faultAtMs);
      setFault(opts.scenario);
      log(`fault ${opts.scenario} at ${faultAtMs / 1000} s`);
    }
    if (opts.replacePod) {
      const wait = opts.replacePod.atMs - (opts.scenario !== 'none' ? faultAtMs : 0);
      await sleep(Math.max(0, wait));
      const p = await replacePod(opts.replacePod.app);
      log(`pod replaced at ${opts.replacePod.atMs / 1000} s: ${p.old} → ${p.successor} on ${p.ip}`);
    }
    const results = await Promise.all(agents.map(async (a) => ({ node: a.node, ...await a.done })));
    if (opts.scenario !== 'none') setFault('none');
    for (const r of results) if (r.code !== 0) throw new Error(`the agent of ${r.node} failed (exit ${r.code}): ${r.stderr.trim()}`);
    const ws = createWriteStream(opts.out);
    for (const a of agents) await pipeline(createReadStream(a.out), ws, { end: false });
    await new Promise<void>((resolve, reject) => ws.end((err?: Error | null) => (err ? reject(err) : resolve())));
    let loadgen: unknown = null;
    try {
      const line = readFileSync(loadgenLog, 'utf8').trim().split('\n').pop() ?? '';
      loadgen = JSON.parse(line);
    } catch {
      loadgen = readFileSync(loadgenLog, 'utf8').slice(-500);
    }
    return { out: opts.out, bytes: statSync(opts.out).size, loadgen, agents: results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
