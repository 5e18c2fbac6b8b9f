// `rewind record`: records eBPF socket data into a bundle (packets and tags join in the next steps of the agent).
// SIGINT / SIGTERM stop the recording and close the bundle cleanly; --duration stops it by itself.
import { parseArgs } from 'node:util';
import { tracerUnavailableReason } from '@rewind/ebpf';
import { recordEbpf } from '../recorder/ebpf-recorder.js';

export interface RecordIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = `Usage: rewind record --out <bundle.pcapng> [--duration 30s] [--no-ebpf] [--pid N] [--comm NAME] [--cgroup DIR]
                     [--port N] [--payload-bytes N] [--no-tls] [--iface lo,eth0|any] [--filter "<pcap filter>"]
                     [--k8s in-cluster|KUBECONFIG|http(s)://api:port] [--cloud aws|gcp|azure|auto] [--host NAME] [--node NAME]
                     [--iface-info '{"veth1":{"kind":"pod-veth","pod":"web-0","namespace":"shop"}}']
  Records what the eBPF socket tracer sees (socket syscalls, OpenSSL plaintext unless --no-tls, TCP state changes and
  retransmissions, process exec/exit), packets of the given interfaces (root), and tags: a Kubernetes snapshot and its
  watch deltas (--k8s), the cloud instance metadata (--cloud; off unless asked).
  Stops after --duration, or on SIGINT / SIGTERM.
`;

/** '30s', '2m', '1500ms', '1h' or plain seconds → ms; NaN when malformed. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s.trim());
  if (!m) return NaN;
  const v = Number(m[1]);
  const unit = m[2] ?? 's';
  return Math.round(v * (unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000));
}

export async function cmdRecord(argv: string[], io: RecordIo, signals: NodeJS.Process = process): Promise<number> {
  let args;
  const noEbpf = argv.includes('--no-ebpf');
  const noTls = argv.includes('--no-tls');
  try {
    args = parseArgs({
      args: argv.filter((a) => a !== '--no-ebpf' && a !== '--no-tls'),
      options: {
        out: { type: 'string', short: 'o' },
        duration: { type: 'string', short: 'd' },
        ebpf: { type: 'boolean', default: true },
        iface: { type: 'string', short: 'i' },
        filter: { type: 'string', short: 'f' },
        pid: { type: 'string' },
        comm: { type: 'string' },
        cgroup: { type: 'string' },
        port: { type: 'string' },
        'payload-bytes': { type: 'string' },
        k8s: { type: 'string' },
        cloud: { type: 'string' },
        'cloud-endpoint': { type: 'string' },
        host: { type: 'string' },
        node: { type: 'string' },
        'iface-info': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }).values;
  } catch (err) {
    io.stderr(`rewind record: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (!args.out) {
    io.stderr(`rewind record: --out is required\n${USAGE}`);
    return 2;
  }
  const num = (name: string, v: string | undefined, min: number, max: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}`);
    return n;
  };
  let pid: number | undefined;
  let port: number | undefined;
  let payloadBytes: number | undefined;
  let durationMs: number | undefined;
  try {
    pid = num('pid', args.pid, 1, 2 ** 31 - 1);
    port = num('port', args.port, 1, 65535);
    payloadBytes = num('payload-bytes', args['payload-bytes'], 0, 16384);
    if (args.duration !== undefined) {
      durationMs = parseDuration(args.duration);
      if (!(durationMs > 0)) throw new Error(`--duration: cannot read ${JSON.stringify(args.duration)} (e.g. 30s, 2m, 500ms)`);
    }
  } catch (err) {
    io.stderr(`rewind record: ${(err as Error).message}\n`);
    return 2;
  }
  let ifaceInfo: Record<string, Record<string, unknown>> | undefined;
  try {
    ifaceInfo = args['iface-info'] ? JSON.parse(args['iface-info']) as Record<string, Record<string, unknown>> : undefined;
    if (ifaceInfo !== undefined && (typeof ifaceInfo !== 'object' || ifaceInfo === null || Array.isArray(ifaceInfo))) throw new Error('not an object');
  } catch (err) {
    io.stderr(`rewind record: --iface-info must be a JSON object of device → fields (${(err as Error).message})\n`);
    return 2;
  }
  const cloud = args.cloud;
  if (cloud !== undefined && !['aws', 'gcp', 'azure', 'auto'].includes(cloud)) {
    io.stderr('rewind record: --cloud takes aws, gcp, azure or auto\n');
    return 2;
  }
  const ebpf = !noEbpf && args.ebpf !== false;
  const ifaces = args.iface ? args.iface.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (!ebpf && ifaces.length === 0) {
    io.stderr('rewind record: nothing to record: --no-ebpf needs --iface\n');
    return 2;
  }
  const why = ebpf ? tracerUnavailableReason() : null;
  if (why !== null) {
    io.stderr(`rewind record: cannot record eBPF socket data: ${why}\n`);
    return 1;
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  signals.once('SIGINT', onSignal);
  signals.once('SIGTERM', onSignal);
  try {
    io.stderr(`recording to ${args.out}${durationMs ? ` for ${durationMs / 1000} s` : ''} (SIGINT / SIGTERM to stop)\n`);
    const s = await recordEbpf({
      out: args.out, durationMs, signal: stop.signal, pid, port, payloadBytes, ebpf, ifaces, filter: args.filter, comm: args.comm,
      cgroup: args.cgroup, tls: !noTls, k8s: args.k8s, cloud: cloud as 'aws' | 'gcp' | 'azure' | 'auto' | undefined,
      cloudEndpoint: args['cloud-endpoint'], host: args.host, node: args.node, ifaceInfo,
      onReady: () => io.stderr('recording: every source is open\n'),
    });
    for (const skipped of s.tls.skipped) io.stderr(`rewind record: TLS probes not attached: ${skipped}\n`);
    const pk = Object.entries(s.packets).map(([d, n]) => `, ${n} packets on ${d}`).join('');
    io.stdout(`${args.out}: ${s.events} socket data events (${s.counters.tlsEvents} TLS plaintext), ${s.closes} closes, ${s.tcpEvents} TCP state/retransmit events, `
      + `${s.counters.dropped} dropped in the kernel${pk}, ${s.bytes} bytes\n`);
    return 0;
  } catch (err) {
    io.stderr(`rewind record: ${(err as Error).message}\n`);
    return 1;
  } finally {
    signals.removeListener('SIGINT', onSignal);
    signals.removeListener('SIGTERM', onSignal);
  }
}
