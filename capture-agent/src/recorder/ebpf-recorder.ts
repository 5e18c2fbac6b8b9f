// Records the eBPF socket tracer into a bundle: one exported-PDU interface per host (tshark dissects the payloads),
// each socket-data event an EPB with its process context, close events as TCP lifecycle records, the tracer's
// counters as coverage stats and a closing summary. Blocks are written synchronously one by one, so a killed
// agent leaves a bundle readable up to its last whole block (blocks go out in one write per poll).
import { closeSync, openSync, writeSync } from 'node:fs';
import os from 'node:os';
import { BundleWriter, LINKTYPE_WIRESHARK_UPPER_PDU, RecordType } from '@rewind/analysis/bundle';
import type { EbpfContext, ExportedPduMeta } from '@rewind/analysis/bundle';
import { SocketTracer } from '@rewind/ebpf';
import { readProcess, snapshotProcesses } from '../sources/procfs.js';
import { PcapSource } from '../sources/pcap.js';
import type { SocketEvent, TracerCounters } from '@rewind/ebpf';

export interface EbpfRecordOptions {
  out: string;
  /** Stop after this long (ms); or when `signal` aborts. */
  durationMs?: number;
  signal?: AbortSignal;
  pid?: number;
  port?: number;
  payloadBytes?: number;
  /** Host name written into the bundle (default: os.hostname()). */
  host?: string;
  /** Record eBPF socket data (default true). */
  ebpf?: boolean;
  /** Network interfaces to capture packets on (libpcap), e.g. ['lo'] or ['any']. */
  ifaces?: string[];
  /** libpcap filter for the packet capture. */
  filter?: string;
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

/** The tracer's syscall names as the bundle's eBPF context names them (looked up once per event, no allocation). */
const BUNDLE_SYSCALL: Readonly<Record<string, EbpfContext['syscall']>> = {
  write: 'write', read: 'read', writev: 'writev', readv: 'readv', sendto: 'sendto', recvfrom: 'recvfrom', sendmsg: 'sendmsg',
  recvmsg: 'recvmsg',
};

function contextOf(e: SocketEvent): EbpfContext {
  return {
    pid: e.pid, tid: e.tid, comm: e.comm, fd: e.fd, socketId: e.socketId, direction: e.direction === 0 ? 'egress' : 'ingress',
    syscall: BUNDLE_SYSCALL[e.syscall] ?? 'unknown',
    tcpSeq: e.tcpSeq, syscallTraceId: e.syscallTraceId, capSeq: Number(e.capSeq), syscallLen: e.syscallLen,
    capturedLen: e.payload.length, tls: (e.flags & 1) !== 0, role: e.role,
  };
}

function pduMeta(e: SocketEvent): ExportedPduMeta {
  const egress = e.direction === 0;
  return {
    proto: dissectorFor(e.payload, e.localPort, e.remotePort), ipVersion: e.family,
    src: egress ? e.localAddr : e.remoteAddr, dst: egress ? e.remoteAddr : e.localAddr,
    srcPort: egress ? e.localPort : e.remotePort, dstPort: egress ? e.remotePort : e.localPort,
    portType: e.protocol === 17 ? 3 : 2,
  };
}

export async function recordEbpf(opts: EbpfRecordOptions): Promise<EbpfRecordSummary> {
  const host = opts.host ?? os.hostname();
  const tracer = opts.ebpf === false ? null : new SocketTracer({ pid: opts.pid, port: opts.port, payloadBytes: opts.payloadBytes });
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
      sources: [...(tracer ? ['ebpf'] : []), ...(opts.ifaces?.length ? ['pcap'] : [])], pid: opts.pid ?? null, port: opts.port ?? null,
      payloadBytes: opts.payloadBytes ?? 4096, ifaces: opts.ifaces ?? [], filter: opts.filter ?? null,
    },
  });
  const iface = writer.addInterface({
    linkType: LINKTYPE_WIRESHARK_UPPER_PDU, name: `ebpf@${host}`, description: 'eBPF socket data (syscalls)',
    observationPoint: { kind: 'ebpf', host },
  });
  // Packet sources: one interface block each; packets are written as they arrive (between polls of the tracer).
  const packets: Record<string, number> = {};
  const pcaps: PcapSource[] = [];
  try {
    for (const device of opts.ifaces ?? []) {
      let ifaceId = -1;
      packets[device] = 0;
      const src = new PcapSource({ device, filter: opts.filter }, (p) => {
        writer.writePacket(ifaceId, p.tsNs, p.data);
        packets[device]++;
        if (pendingBytes >= 256 << 10) flush();
      });
      ifaceId = writer.addInterface({
        linkType: src.linkType, name: device, filter: opts.filter, snapLen: 65_535,
        observationPoint: { kind: 'nic', host, device },
      });
      pcaps.push(src);
    }
  } catch (err) {
    for (const p of pcaps) p.close();
    tracer?.close();
    closeSync(fd);
    throw err;
  }
  // The process table: a snapshot now, then the processes first seen in events (read while they still exist).
  const known = new Set<number>();
  const snapshot = snapshotProcesses();
  for (const p of snapshot) known.add(p.pid);
  writer.writeRecord(RecordType.PROCESS_TABLE, { snapshot: true, tsUs: Date.now() * 1000, processes: snapshot });
  const seenLater: ReturnType<typeof readProcess>[] = [];
  // Kernel times are CLOCK_MONOTONIC; process.hrtime is the same clock, so one offset maps them to wall time.
  const offsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
  const deadline = opts.durationMs === undefined ? Infinity : Date.now() + opts.durationMs;
  let events = 0;
  let closes = 0;
  let malformed = 0;
  const lifecycle: unknown[] = [];
  const drain = (timeoutMs: number): number => {
    if (tracer === null) return 0;
    const batch = tracer.poll(timeoutMs);
    malformed += batch.malformed;
    for (const e of batch.events) {
      const ts = e.tsNs + offsetNs;
      if (!known.has(e.pid)) {
        known.add(e.pid);
        const p = readProcess(e.pid);
        if (p) seenLater.push(p);
      }
      if (e.kind === 1) {
        writer.writeExportedPdu(iface, ts, pduMeta(e), e.payload, { ebpf: contextOf(e) });
        events++;
      } else if (e.kind === 3) {
        closes++;
        lifecycle.push({ tsNs: ts.toString(), event: 'close', socketId: e.socketId.toString(), pid: e.pid, fd: e.fd, role: e.role });
      }
    }
    if (lifecycle.length >= 1024) writer.writeRecord(RecordType.TCP_LIFECYCLE, { events: lifecycle.splice(0) });
    flush();
    return batch.events.length;
  };
  try {
    while (Date.now() < deadline && !opts.signal?.aborted) {
      // Poll the ring buffer without blocking the event loop for long: libpcap's packets arrive through it.
      drain(pcaps.length > 0 ? 0 : 50);
      await new Promise((r) => (pcaps.length > 0 ? setTimeout(r, 5) : setImmediate(r)));
    }
    for (const p of pcaps) p.close();
    while (drain(0) > 0) { /* what arrived before the stop */ }
    if (lifecycle.length) writer.writeRecord(RecordType.TCP_LIFECYCLE, { events: lifecycle.splice(0) });
    if (seenLater.length) writer.writeRecord(RecordType.PROCESS_TABLE, { snapshot: false, tsUs: Date.now() * 1000, processes: seenLater });
    const counters = tracer?.counters() ?? { events: 0, dropped: 0, dataBytes: 0, notSocket: 0 };
    writer.writeRecord(RecordType.COVERAGE_STATS, {
      sources: [
        ...(tracer ? [{ source: 'ebpf', host, events: counters.events, dropped: counters.dropped, payloadBytes: counters.dataBytes, written: events + closes }] : []),
        // cap does not expose libpcap's drop counters: packets written are known, drops are not (null).
        ...Object.entries(packets).map(([device, n]) => ({ source: 'pcap', host, device, packets: n, dropped: null })),
      ],
    });
    writer.writeSummary({ host });
    flush();
    return { out: opts.out, packets, events, closes, counters, malformed, bytes };
  } finally {
    for (const p of pcaps) p.close();
    tracer?.close();
    try {
      flush();
    } finally {
      closeSync(fd);
    }
  }
}
