// Records the eBPF socket tracer into a bundle: one exported-PDU interface per host (tshark dissects the payloads),
// each socket-data event an EPB with its process context, close events as TCP lifecycle records, the tracer's
// counters as coverage stats and a closing summary. Blocks are written synchronously one by one, so a killed
// agent leaves a bundle readable up to its last whole block (blocks go out in one write per poll).
import { closeSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import { BundleWriter, LINKTYPE_WIRESHARK_UPPER_PDU, RecordType } from '@rewind/analysis/bundle';
import { EVENT_KIND, SocketTracer, TCP_STATE_NAMES } from '@rewind/ebpf';
import { readProcess, snapshotProcesses } from '../sources/procfs.js';
import { PcapSource } from '../sources/pcap.js';
import { KubernetesSource } from '../sources/k8s.js';
import { readCloudMetadata } from '../sources/cloud.js';
import type { CloudProvider } from '../sources/cloud.js';
import { describeInterface } from '../sources/interfaces.js';
import type { SocketEvent, TracerCounters } from '@rewind/ebpf';

export interface EbpfRecordOptions {
  out: string;
  /** Stop after this long (ms); or when `signal` aborts. */
  durationMs?: number;
  signal?: AbortSignal;
  pid?: number;
  port?: number;
  /** Trace only processes with this name (kernel comm). */
  comm?: string;
  /** Trace only processes in this cgroup v2 directory. */
  cgroup?: string;
  /** Attach the OpenSSL probes (TLS plaintext) to every libssl found (default true). */
  tls?: boolean;
  payloadBytes?: number;
  /** Host name written into the bundle (default: os.hostname()). */
  host?: string;
  /** Record eBPF socket data (default true). */
  ebpf?: boolean;
  /** Network interfaces to capture packets on (libpcap), e.g. ['lo'] or ['any']. */
  ifaces?: string[];
  /** libpcap filter for the packet capture. */
  filter?: string;
  /** Kubernetes node this host is (written into every observation point). */
  node?: string;
  /** Per device: observation-point fields known to the caller (kind, pod, namespace…), merged over the detected ones. */
  ifaceInfo?: Record<string, Record<string, unknown>>;
  /** Kubernetes tag source: `in-cluster`, a kubeconfig path or an API URL; off when absent. */
  k8s?: string;
  /** Cloud tag source: the instance metadata of this provider (`auto`: the first that answers); off when absent. */
  cloud?: CloudProvider | 'auto';
  /** Metadata endpoint for the cloud source (default http://169.254.169.254). */
  cloudEndpoint?: string;
  /** Called once every source is open and recording has started (the duration counts from here). */
  onReady?: () => void;
}

export interface EbpfRecordSummary {
  out: string;
  /** Packets captured per interface. */
  packets: Record<string, number>;
  events: number;
  closes: number;
  counters: TracerCounters;
  malformed: number;
  bytes: number;
  /** TCP state changes and retransmissions seen. */
  tcpEvents: number;
  /** libssl files the OpenSSL probes were attached to, and those that could not be. */
  tls: { attached: string[]; skipped: string[] };
}

const HTTP_START = /^(?:GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/\d|^HTTP\/\d\.\d \d{3}/;

/** The Wireshark dissector an exported PDU names: a cheap guess, the analysis engine detects for itself. */
export function dissectorFor(payload: Buffer, localPort: number, remotePort: number): string {
  const head = payload.toString('latin1', 0, Math.min(payload.length, 32));
  if (HTTP_START.test(head)) return 'http';
  const ports = [localPort, remotePort];
  if (ports.includes(6379) && payload.length > 0 && '*+-:$_%'.includes(head[0])) return 'resp';
  return 'data';
}

export async function recordEbpf(opts: EbpfRecordOptions): Promise<EbpfRecordSummary> {
  const host = opts.host ?? os.hostname();
  const tracer = opts.ebpf === false ? null : new SocketTracer({
    pid: opts.pid, port: opts.port, payloadBytes: opts.payloadBytes, comm: opts.comm, cgroup: opts.cgroup,
  });
  let tls: { attached: string[]; skipped: string[] } = { attached: [], skipped: [] };
  try {
    if (tracer && opts.tls !== false) tls = tracer.attachTls();
  } catch (err) {
    tracer?.close();
    throw err;
  }
  const fd = openSync(opts.out, 'w');
  let bytes = 0;
  // Blocks are gathered and written once per poll (one write of whole blocks): a killed agent loses at most the
  // events of the poll in progress, and the file always ends on a block boundary or inside the last block.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    writeSync(fd, pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes));
    pending = [];
    pendingBytes = 0;
  };
  const writer = new BundleWriter((b) => {
    pending.push(b);
    pendingBytes += b.length;
    bytes += b.length;
    if (pendingBytes >= 1 << 20) flush();
  }, {
    host, userAppl: 'rewind capture-agent',
    config: {
      sources: [...(tracer ? ['ebpf'] : []), ...(opts.ifaces?.length ? ['pcap'] : []), ...(opts.k8s ? ['k8s'] : []), ...(opts.cloud ? ['cloud'] : [])], pid: opts.pid ?? null, port: opts.port ?? null,
      comm: opts.comm ?? null, cgroup: opts.cgroup ?? null, tlsLibraries: tls.attached,
      payloadBytes: opts.payloadBytes ?? 4096, ifaces: opts.ifaces ?? [], filter: opts.filter ?? null,
    },
  });
  const iface = writer.addInterface({
    linkType: LINKTYPE_WIRESHARK_UPPER_PDU, name: `ebpf@${host}`, description: 'eBPF socket data (syscalls)',
    observationPoint: { kind: 'ebpf', host, ...(opts.node ? { node: opts.node } : {}) },
  });
  // Packet sources: one interface block each; packets are written as they arrive (between polls of the tracer).
  const packets: Record<string, number> = {};
  const pcaps: PcapSource[] = [];
  try {
    for (const device of opts.ifaces ?? []) {
      let ifaceId = -1;
      packets[device] = 0;
      const src = new PcapSource({ device, filter: opts.filter }, (p) => {
        writer.writePacket(ifaceId, p.tsNs, p.data, p.truncated ? { origLen: p.origLen } : undefined);
        packets[device]++;
        if (pendingBytes >= 256 << 10) flush();
      });
      ifaceId = writer.addInterface({
        linkType: src.linkType, name: device, filter: opts.filter, snapLen: 65_535,
        observationPoint: { ...describeInterface(device), host, ...(opts.node ? { node: opts.node } : {}), device, ...(opts.ifaceInfo?.[device] ?? {}) },
      });
      pcaps.push(src);
    }
  } catch (err) {
    for (const p of pcaps) p.close();
    tracer?.close();
    closeSync(fd);
    throw err;
  }
  // Tag sources: the cloud's instance metadata once, the Kubernetes snapshot now and its changes as they come.
  let k8s: KubernetesSource | null = null;
  // Counts of the Kubernetes source are its own; what the coverage stats add is the last error of each source.
  let k8sLastError: string | null = null;
  const cloud = { records: 0, error: null as string | null };
  if (opts.cloud) {
    try {
      writer.writeRecord(RecordType.CLOUD_METADATA, await readCloudMetadata(opts.cloud, { endpoint: opts.cloudEndpoint }));
      cloud.records++;
    } catch (err) {
      cloud.error = err instanceof Error ? err.message : String(err);
    }
  }
  if (opts.k8s) {
    k8s = new KubernetesSource({
      target: opts.k8s,
      onSnapshot: (snap) => writer.writeRecord(RecordType.K8S_SNAPSHOT, snap),
      onDelta: (d) => writer.writeRecord(RecordType.K8S_WATCH_DELTA, d),
      onError: (m) => { k8sLastError = m; },
    });
    try {
      await k8s.start();
    } catch (err) {
      k8s.stop();
      for (const p of pcaps) p.close();
      tracer?.close();
      closeSync(fd);
      throw new Error(`Kubernetes source (${opts.k8s}): ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // The process table: a snapshot now, then the processes first seen in events (read while they still exist) and
  // the ones that exec; exits are noted with their time.
  const snapshot = snapshotProcesses();
  writer.writeRecord(RecordType.PROCESS_TABLE, { snapshot: true, tsUs: Date.now() * 1000, processes: snapshot });
  const seenLater: ReturnType<typeof readProcess>[] = [];
  const processEvents: unknown[] = [];
  // Kernel times are CLOCK_MONOTONIC; process.hrtime is the same clock, so one offset maps them to wall time.
  const offsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  tracer?.configureBlocks(iface, offsetNs, snapshot.map((p) => p.pid));
  const deadline = opts.durationMs === undefined ? Infinity : Date.now() + opts.durationMs;
  opts.onReady?.();
  let events = 0;
  let closes = 0;
  let tcpEvents = 0;
  let procEvents = 0;
  let malformed = 0;
  const lifecycle: unknown[] = [];
  const tuple = (e: SocketEvent): Record<string, unknown> => ({
    src: e.localAddr, dst: e.remoteAddr, srcPort: e.localPort, dstPort: e.remotePort,
  });
  const drain = (timeoutMs: number): number => {
    if (tracer === null) return 0;
    // Socket data arrives as whole EPBs built by the loader; everything else as decoded side events.
    const batch = tracer.pollBlocks(timeoutMs);
    malformed += batch.malformed;
    if (batch.epbs > 0) {
      writer.writeRawPackets(iface, batch.blocks, batch.epbs, batch.firstUs, batch.lastUs);
      events += batch.epbs;
    }
    for (const e of batch.side) {
      const ts = e.tsNs + offsetNs;
      if (e.kind === EVENT_KIND.firstOfPid) {
        const p = readProcess(e.pid);
        if (p) seenLater.push(p);
      } else if (e.kind === EVENT_KIND.sockClose) {
        closes++;
        lifecycle.push({ tsNs: ts.toString(), type: 'close', socketId: e.socketId.toString(), pid: e.pid, tid: e.tid, fd: e.fd, role: e.role, ...tuple(e) });
      } else if (e.kind === EVENT_KIND.tcpState || e.kind === EVENT_KIND.tcpRetransmit) {
        tcpEvents++;
        const state = e.kind === EVENT_KIND.tcpState
          ? { type: 'state', oldState: TCP_STATE_NAMES[(e.aux >> 8) & 0xff] ?? String((e.aux >> 8) & 0xff), newState: TCP_STATE_NAMES[e.aux & 0xff] ?? String(e.aux & 0xff) }
          : { type: 'retransmit', state: TCP_STATE_NAMES[e.aux & 0xff] ?? String(e.aux & 0xff) };
        lifecycle.push({ tsNs: ts.toString(), ...state, socketId: e.socketId === 0n ? null : e.socketId.toString(), pid: e.pid, ...tuple(e) });
      } else if (e.kind === EVENT_KIND.exec) {
        const p = readProcess(e.pid);
        if (p) seenLater.push(p);
        procEvents++;
        processEvents.push({ type: 'exec', pid: e.pid, tsUs: Number(ts / 1000n), comm: e.comm, filename: e.payload.toString('utf8') });
      } else if (e.kind === EVENT_KIND.exit) {
        procEvents++;
        processEvents.push({ type: 'exit', pid: e.pid, tsUs: Number(ts / 1000n), comm: e.comm });
      }
    }
    if (lifecycle.length >= 1024) writer.writeRecord(RecordType.TCP_LIFECYCLE, { events: lifecycle.splice(0) });
    if (seenLater.length >= 256 || processEvents.length >= 1024) {
      writer.writeRecord(RecordType.PROCESS_TABLE, { snapshot: false, tsUs: Date.now() * 1000, processes: seenLater.splice(0), events: processEvents.splice(0) });
    }
    flush();
    return batch.epbs + batch.side.length;
  };
  try {
    while (Date.now() < deadline && !opts.signal?.aborted) {
      // Poll the ring buffer without blocking the event loop for long: libpcap's packets arrive through it.
      // The kernel wakes no reader per event (only once a lot is waiting), so read on a short timer instead:
      // one wake-up per 10 ms costs far less than one per event.
      const took = drain(0);
      await new Promise((r) => setTimeout(r, pcaps.length > 0 ? 5 : took > 0 ? 2 : 10));
    }
    for (const p of pcaps) p.close();
    k8s?.stop();
    while (drain(0) > 0) { /* what arrived before the stop */ }
    if (lifecycle.length) writer.writeRecord(RecordType.TCP_LIFECYCLE, { events: lifecycle.splice(0) });
    if (seenLater.length || processEvents.length) {
      writer.writeRecord(RecordType.PROCESS_TABLE, { snapshot: false, tsUs: Date.now() * 1000, processes: seenLater, events: processEvents });
    }
    const counters = tracer?.counters() ?? { events: 0, dropped: 0, dataBytes: 0, notSocket: 0, mmsgSkipped: 0, tlsEvents: 0, tlsNoFd: 0 };
    const perCpu = tracer?.countersPerCpu() ?? { events: [], dropped: [] };
    writer.writeRecord(RecordType.COVERAGE_STATS, {
      sources: [
        ...(tracer ? [{
          source: 'ebpf', host, events: counters.events, dropped: counters.dropped, payloadBytes: counters.dataBytes,
          written: events + closes + tcpEvents + procEvents, mmsgNotCaptured: counters.mmsgSkipped, tlsEvents: counters.tlsEvents, tlsWithoutSocket: counters.tlsNoFd,
          eventsPerCpu: perCpu.events, droppedPerCpu: perCpu.dropped,
        }] : []),
        // libpcap's counters, read when each capture closed: received (passed the filter; on lo each packet counts
        // twice, sent and received), dropped (its buffer was full: the agent fell behind), ifDropped (the driver).
        ...pcaps.map((p) => ({ source: 'pcap', host, device: p.device, packets: packets[p.device], ...p.stats() })),
        ...(k8s ? [{ source: 'k8s', host, objects: k8s.objects, deltas: k8s.deltas, errors: k8s.errors, lastError: k8sLastError }] : []),
        ...(opts.cloud ? [{ source: 'cloud', host, ...cloud }] : []),
      ],
    });
    writer.writeSummary({ host });
    flush();
    return { out: opts.out, packets, events, closes, counters, malformed, bytes, tcpEvents, tls };
  } finally {
    for (const p of pcaps) p.close();
    k8s?.stop();
    tracer?.close();
    try {
      flush();
    } finally {
      closeSync(fd);
    }
  }
}
