// Import pipeline: capture file(s) → reader → decoder → flow table → SQLite store, with progress and violation accounting.
import { open, stat } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CaptureReader } from '../bundle/reader.js';
import { CaptureFormatError } from '../bundle/types.js';
import { ResourceCollector } from '../tagging/resources.js';
import { autoTagStatements, resourceStatements } from '../tagging/auto-tag.js';
import { RecordType } from '../bundle/constants.js';
import type { CaptureHandler, InterfaceInfo, PacketRecord, ReadSummary, SectionInfo } from '../bundle/types.js';
import { PacketDecoder, newDecodedPacket } from '../decode/index.js';
import type { DecoderOptions } from '../decode/types.js';
import { FlowTable } from '../flows/index.js';
import type { FlowRecord, FlowTableOptions, NetMetricsRow } from '../flows/types.js';
import { L7Stage } from '../l7/stage.js';
import { writeL7RowValues } from '../l7/record-row.js';
import { PROTOCOL_PARSERS } from '../protocols/registry.js';
import { EbpfIngest } from './ebpf-ingest.js';
import type { EbpfFlow } from './ebpf-ingest.js';
import { openStore } from '../store/store.js';
import type { Store } from '../store/store.js';
import { linkTypeName } from './link-types.js';

const CHUNK_BYTES = 4 << 20;
/**
 * Latest timestamp accepted (µs): 2^53 µs is year 2255; past it µs arithmetic in doubles loses whole units and
 * capture-time bookkeeping (timeouts, per-second buckets) cannot advance. Later or negative timestamps come from
 * corrupt headers: the packet takes the latest valid capture time and a 'bad-timestamp' violation is recorded.
 */
const MAX_TS_US = 2 ** 53 - 2 ** 40;
const EXPORTED_PDU = 252;

export interface ImportProgress {
  file: string;
  fileIndex: number;
  fileCount: number;
  /** Bytes of the input file read so far (compressed bytes for gzip input). */
  bytesRead: number;
  totalBytes: number;
  packets: number;
  flows: number;
}

export interface ImportOptions {
  inputs: string[];
  dbPath: string;
  onProgress?: (p: ImportProgress) => void;
  /** Wall clock in µs since epoch, for bundles.imported_at (injected so the library has no hidden clock). */
  now?: () => number;
  /** Decoder settings, e.g. extra VXLAN ports (tshark's decode-as). */
  decoder?: DecoderOptions;
  /** Flow table settings (timeouts, reassembly limits). */
  flows?: FlowTableOptions;
  /** More server ports per L7 parser name (tshark's decode-as), e.g. {HTTP: [2375]}. */
  l7Ports?: Record<string, number[]>;
  /** Parse application protocols into l7_flow_log (default true); false = flows and TCP metrics only. */
  l7?: boolean;
  /** Auto-tag flows from the bundles' Kubernetes and cloud records (default true); false = leave them untagged. */
  tags?: boolean;
  /** Insert rows from a second thread (default true; see StoreOptions.writerThread). */
  writerThread?: boolean;
}

export interface BundleImportResult {
  path: string;
  bundleId: number;
  status: 'ok' | 'partial' | 'failed';
  error?: string;
  packets: number;
  flows: number;
  /** l7_flow_log rows (requests, responses, sessions). */
  l7Records: number;
  violations: number;
  truncatedTailBytes: number;
  unknownBlocks: Record<string, number>;
  firstTime: number | null;
  lastTime: number | null;
  durationUs: number;
}

export interface ImportSummary {
  dbPath: string;
  bundles: BundleImportResult[];
  packets: number;
  flows: number;
  l7Records: number;
  violations: number;
  durationUs: number;
}

interface OpState {
  dbId: number;
  info: InterfaceInfo;
  linkType: number;
  packets: number;
  bytes: number;
  firstTime: number | null;
  lastTime: number | null;
  ifRecv: number | null;
  ifDrop: number | null;
  osDrop: number | null;
}

const wallClockUs = (): number => Date.now() * 1000;

/** Imports captures into the database at opts.dbPath (created if missing; existing Rewind data is kept). */
export async function importCaptures(opts: ImportOptions): Promise<ImportSummary> {
  const now = opts.now ?? wallClockUs;
  const started = now();
  const store = openStore(opts.dbPath, { writerThread: opts.writerThread });
  const summary: ImportSummary = { dbPath: opts.dbPath, bundles: [], packets: 0, flows: 0, l7Records: 0, violations: 0, durationUs: 0 };
  try {
    for (let i = 0; i < opts.inputs.length; i++) {
      const r = await importOne(store, opts.inputs[i], i, opts.inputs.length, now, opts.onProgress, opts);
      summary.bundles.push(r);
      summary.packets += r.packets;
      summary.flows += r.flows;
      summary.l7Records += r.l7Records;
      summary.violations += r.violations;
    }
    await store.drain();
    store.finishImport();
    await store.closeAsync();
  } finally {
    store.close();
  }
  summary.durationUs = now() - started;
  return summary;
}

async function importOne(
  store: Store, file: string, fileIndex: number, fileCount: number, now: () => number,
  onProgress?: (p: ImportProgress) => void, settings?: { decoder?: DecoderOptions; flows?: FlowTableOptions; l7Ports?: Record<string, number[]>; l7?: boolean; tags?: boolean },
): Promise<BundleImportResult> {
  const st = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw new Error(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
  });
  if (!st.isFile()) throw new Error(`cannot read ${file}: not a regular file`);
  const fh = await open(file, 'r');
  try {
    return await ingestCapture(store, {
      path: path.resolve(file), name: path.basename(file), size: st.size, chunks: fileChunks(fh),
    }, { now, decoder: settings?.decoder, flows: settings?.flows, l7Ports: settings?.l7Ports, l7: settings?.l7, tags: settings?.tags, onProgress: (bytesRead, packets, flows) => onProgress?.({ file, fileIndex, fileCount, bytesRead, totalBytes: st.size, packets, flows }) });
  } finally {
    await fh.close();
  }
}

/** Reads the next chunk (null at the end of the file). */
async function readChunk(fh: FileHandle): Promise<Buffer | null> {
  // A fresh buffer per chunk: the reader may keep views of the previous chunk's tail.
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  const { bytesRead: n } = await fh.read(buf, 0, CHUNK_BYTES, null);
  if (n === 0) return null;
  return n === CHUNK_BYTES ? buf : buf.subarray(0, n);
}

/**
 * The file's chunks, one read ahead: the next chunk is read (on libuv's thread pool) while the caller works on
 * this one, instead of the importing thread waiting for every read (≈ 2 ms per 4 MiB chunk).
 */
async function* fileChunks(fh: FileHandle): AsyncGenerator<Buffer> {
  let next: Promise<Buffer | null> = readChunk(fh);
  try {
    for (;;) {
      const buf = await next;
      if (buf === null) return;
      next = readChunk(fh);
      yield buf;
    }
  } finally {
    // Stopped early (an error, or the caller gave up): let the read in flight end before the file is closed.
    await next.catch(() => null);
  }
}

/** A capture to ingest: where it came from and its bytes as a sequence of chunks. */
export interface CaptureSource {
  path: string;
  name: string;
  size: number;
  chunks: AsyncIterable<Buffer> | Iterable<Buffer>;
}

/**
 * Runs one capture through reader → decoder → flow table into `store` as one bundle row.
 * Never throws for bad input: unreadable captures end as status 'failed' with the reason.
 */
export interface IngestOptions {
  now?: () => number;
  /** Parse application protocols (default true). */
  l7?: boolean;
  /** Auto-tag from Kubernetes and cloud records (default true). */
  tags?: boolean;
  /** More server ports per L7 parser name (tshark's decode-as), e.g. {HTTP: [2375]}. */
  l7Ports?: Record<string, number[]>;
  decoder?: DecoderOptions;
  flows?: FlowTableOptions;
  onProgress?: (bytesRead: number, packets: number, flows: number) => void;
}

export async function ingestCapture(store: Store, src: CaptureSource, opts: IngestOptions = {}): Promise<BundleImportResult> {
  const now = opts.now ?? wallClockUs;
  const onProgress = opts.onProgress;
  const started = now();
  const bundleId = store.beginBundle({ path: src.path, fileName: src.name, sizeBytes: src.size, importedAt: started });
  const ops: OpState[] = [];
  let firstSection: SectionInfo | null = null;
  let packets = 0;
  let flows = 0;
  let violations = 0;
  let l7Records = 0;
  let firstTime: number | null = null;
  let lastTime: number | null = null;
  const decoder = new PacketDecoder(opts.decoder);
  // Kubernetes and cloud records, turned into resources and flow tags once every flow is stored.
  const resources = new ResourceCollector();
  const sectionHosts: (string | null)[] = [];
  const pkt = newDecodedPacket();

  /** Flows whose _l7_flow row is written. */
  const l7Flows = new WeakSet<object>();
  const protocolIds = new Map<string, number>();
  const l7 = PROTOCOL_PARSERS.length === 0 || opts.l7 === false ? undefined : new L7Stage(PROTOCOL_PARSERS, {
    record(flow, protocol, rec) {
      l7Records++;
      if (!l7Flows.has(flow)) {
        l7Flows.add(flow);
        const ebpfFlow = (flow as Partial<EbpfFlow>).processId !== undefined ? (flow as EbpfFlow) : undefined;
        store.addL7Flow({
          flowId: flow.flowId, bundleId, observationPointId: flow.observationPointId, signalSource: ebpfFlow ? 'ebpf' : 'packet',
          ip0: flow.ip0, ip1: flow.ip1, clientPort: flow.clientPort, serverPort: flow.serverPort, protocol: flow.protocol,
          processId: ebpfFlow?.processId, processName: ebpfFlow?.processName, tls: ebpfFlow?.tls,
        });
      }
      let pid = protocolIds.get(protocol);
      if (pid === undefined) {
        pid = store.protocolId(protocol);
        protocolIds.set(protocol, pid);
      }
      const row = store.l7Row();
      writeL7RowValues(row.out, row.offset, flow.flowId, pid, rec, store.attributes);
      store.endL7();
      if (rec.request?.syscall !== undefined || rec.response?.syscall !== undefined) store.addL7Syscall(row.id, rec.request?.syscall, rec.response?.syscall); // the store rolls the row up into metrics_app_1s / _1m
    },
    violation(flow, kind, message) {
      violations++;
      store.addViolation({ bundleId, observationPointId: flow.observationPointId, layer: 'l7', kind, message: `flow ${flow.flowId}: ${message}` });
    },
  }, { extraPorts: opts.l7Ports });

  const table = new FlowTable({
    stream: l7,
    flow(rec: FlowRecord) {
      flows++;
      store.addFlow(rec, bundleId);
    },
    metrics(row: NetMetricsRow) {
      store.addNetMetrics(row);
    },
    violation(kind: string, message: string, frameNumber: number) {
      violations++;
      store.addViolation({ bundleId, layer: 'flow', kind, message, frameNumber });
    },
  }, { ...opts.flows, firstFlowId: store.maxFlowId() + 1 });

  // The c-p / s-p observation points of each eBPF interface, made when the first socket of that side appears.
  const ebpfSides = new Map<string, number>();
  const ebpf = l7 === undefined ? undefined : new EbpfIngest(l7, {
    allocateFlowId: () => table.allocateFlowId(),
    observationPoint(ifaceDbId, side) {
      const key = `${ifaceDbId}|${side}`;
      let id = ebpfSides.get(key);
      if (id === undefined) {
        const o = ops.find((x) => x !== undefined && x.dbId === ifaceDbId) as OpState;
        const meta = o.info.observationPoint ?? {};
        id = store.addObservationPoint({
          bundleId, sectionIndex: o.info.sectionIndex, interfaceIndex: o.info.localId,
          name: `${o.info.name || o.info.description || `${src.name}#${o.info.localId}`} ${side}`, description: o.info.description ?? null,
          linkType: o.info.linkType, linkTypeName: linkTypeName(o.info.linkType), snapLen: o.info.snapLen,
          host: typeof meta.host === 'string' ? meta.host : firstSection?.rewind?.host ?? null, tapSide: side,
          metadata: { ...meta, side, of: ifaceDbId },
        });
        ebpfSides.set(key, id);
      }
      return id;
    },
    violation(kind, message, frameNumber) {
      violations++;
      store.addViolation({ bundleId, layer: 'l7', kind, message, frameNumber });
    },
  });

  const handler: CaptureHandler = {
    section(s) {
      if (!firstSection) firstSection = s;
      sectionHosts[s.index] = s.rewind?.host ?? null;
    },
    iface(i: InterfaceInfo) {
      const op = i.observationPoint ?? {};
      const dbId = store.addObservationPoint({
        bundleId,
        sectionIndex: i.sectionIndex,
        interfaceIndex: i.localId,
        name: i.name || i.description || `${src.name}#${i.localId}`,
        description: i.description ?? null,
        linkType: i.linkType,
        linkTypeName: linkTypeName(i.linkType),
        snapLen: i.snapLen,
        host: typeof op.host === 'string' ? op.host : firstSection?.rewind?.host ?? null,
        tapSide: typeof op.tapSide === 'string' ? op.tapSide : 'unknown',
        metadata: i.observationPoint,
      });
      ops[i.id] = { dbId, info: i, linkType: i.linkType, packets: 0, bytes: 0, firstTime: null, lastTime: null, ifRecv: null, ifDrop: null, osDrop: null };
    },
    packet(p: PacketRecord) {
      const op = ops[p.interfaceId];
      if (op === undefined) return; // the reader reports unknown interfaces itself
      packets++;
      let ts = p.tsUs;
      if (!(ts >= 0 && ts <= MAX_TS_US)) {
        violations++;
        store.addViolation({
          bundleId, observationPointId: op.dbId, layer: 'capture', kind: 'bad-timestamp',
          message: `frame ${p.frameNumber}: timestamp out of range (${ts} µs); the latest valid capture time is used instead`,
          frameNumber: p.frameNumber,
        });
        ts = lastTime ?? 0;
      }
      op.packets++;
      op.bytes += p.origLen;
      if (op.firstTime === null || ts < op.firstTime) op.firstTime = ts;
      if (op.lastTime === null || ts > op.lastTime) op.lastTime = ts;
      if (firstTime === null || ts < firstTime) firstTime = ts;
      if (lastTime === null || ts > lastTime) lastTime = ts;
      if (op.linkType === EXPORTED_PDU) {
        // eBPF socket data: straight to the L7 stage as the socket's bytes (no packet flow).
        ebpf?.packet(op.dbId, p, ts);
        return;
      }
      const status = p.buffer !== undefined && p.dataOffset !== undefined
        ? decoder.decodeAt(op.linkType, p.buffer, p.dataOffset, p.dataOffset + p.capLen, ts, pkt)
        : decoder.decode(op.linkType, p.data, ts, pkt);
      if (status === 'ok') {
        if (pkt.error !== '') {
          violations++;
          store.addViolation({
            bundleId, observationPointId: op.dbId, layer: 'decode', kind: pkt.error,
            message: `frame ${p.frameNumber}: ${pkt.error}`, frameNumber: p.frameNumber, time: ts,
          });
        }
        if (pkt.payloadWireLen > pkt.payloadLen && p.capLen === p.origLen) {
          // The IP header claims more bytes than the frame holds although nothing was cut by the snap length:
          // the length field is bogus. Like tshark, trust the frame, and record it.
          pkt.payloadWireLen = pkt.payloadLen;
          violations++;
          store.addViolation({
            bundleId, observationPointId: op.dbId, layer: 'decode', kind: 'ip-length-exceeds-frame',
            message: `frame ${p.frameNumber}: IP length beyond the end of an untruncated frame`, frameNumber: p.frameNumber, time: ts,
          });
        }
        table.ingest(op.dbId, pkt, ts, p.origLen, p.frameNumber);
      } else if (status === 'malformed') {
        violations++;
        store.addViolation({
          bundleId, observationPointId: op.dbId, layer: 'decode', kind: pkt.error || 'malformed',
          message: `frame ${p.frameNumber}: ${pkt.error || 'malformed packet'}`, frameNumber: p.frameNumber, time: ts,
        });
      }
    },
    custom(c) {
      if (c.recordType === RecordType.K8S_SNAPSHOT) return resources.snapshot(c.json);
      if (c.recordType === RecordType.K8S_WATCH_DELTA) return resources.delta(c.json);
      if (c.recordType === RecordType.CLOUD_METADATA) return resources.cloud(sectionHosts[c.sectionIndex] ?? null, c.json);
      if (c.recordType === RecordType.TCP_LIFECYCLE) {
        const v = c.json as { events?: unknown } | undefined;
        const list = v && Array.isArray(v.events) ? (v.events as Record<string, unknown>[]) : null;
        const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
        const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
        let bad = list === null ? 1 : 0;
        for (const e of list ?? []) {
          const ts = typeof e?.tsNs === 'string' && /^\d+$/.test(e.tsNs) ? Number(BigInt(e.tsNs) / 1000n) : null;
          const type = str(e?.type);
          if (ts === null || type === null) {
            bad++;
            continue;
          }
          store.addTcpEvent({
            bundleId, host: sectionHosts[c.sectionIndex] ?? firstSection?.rewind?.host ?? null, time: ts, type, socketId: str(e.socketId), pid: num(e.pid),
            localIp: str(e.src), localPort: num(e.srcPort), remoteIp: str(e.dst), remotePort: num(e.dstPort), oldState: str(e.oldState),
            newState: str(e.newState), state: str(e.state), role: str(e.role),
          });
        }
        if (bad > 0) {
          violations += bad;
          store.addViolation({ bundleId, layer: 'capture', kind: 'tcp-lifecycle-malformed', message: `${bad} TCP lifecycle event(s) without tsNs/type (or a record without events[])` });
        }
        return;
      }
      if (c.recordType !== RecordType.PROCESS_TABLE) return;
      const bad = (): void => {
        violations++;
        store.addViolation({ bundleId, layer: 'capture', kind: 'process-table-malformed', message: 'a process-table record is not {processes: [...]}' });
      };
      const v = c.json as { processes?: unknown; snapshot?: unknown; tsUs?: unknown } | undefined;
      if (!v || !Array.isArray(v.processes)) return bad();
      const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
      const str = (x: unknown): string | null => (typeof x === 'string' ? x : null);
      for (const p of v.processes as Record<string, unknown>[]) {
        const pid = num(p?.pid);
        if (pid === null) {
          bad();
          continue;
        }
        store.addProcess({
          bundleId, host: sectionHosts[c.sectionIndex] ?? firstSection?.rewind?.host ?? null, pid, ppid: num(p.ppid), comm: str(p.comm),
          cmdline: Array.isArray(p.cmdline) ? p.cmdline.filter((a) => typeof a === 'string').join(' ') : null,
          containerId: str(p.containerId), cgroup: str(p.cgroup), startTime: num(p.startTimeUs), seenAt: num(v.tsUs),
          snapshot: v.snapshot !== false,
        });
      }
    },
    stats(s) {
      const op = ops[s.interfaceId];
      if (!op) return;
      if (s.ifRecv !== undefined) op.ifRecv = s.ifRecv;
      if (s.ifDrop !== undefined) op.ifDrop = s.ifDrop;
      if (s.osDrop !== undefined) op.osDrop = s.osDrop;
    },
    violation(v) {
      violations++;
      store.addViolation({ bundleId, layer: 'capture', kind: v.kind, message: v.message, bytesLost: v.bytesLost ?? null });
    },
  };

  const reader = new CaptureReader(handler);
  let readSummary: ReadSummary | null = null;
  let error: string | undefined;
  try {
    let bytesRead = 0;
    for await (const chunk of src.chunks) {
      reader.push(chunk);
      bytesRead += chunk.length;
      const wait = store.pressure();
      if (wait !== null) await wait;
      onProgress?.(bytesRead, packets, flows);
    }
    readSummary = reader.end();
  } catch (err) {
    if (!(err instanceof CaptureFormatError)) throw err;
    error = err.message;
  }
  table.flush();
  ebpf?.endAll();
  for (const op of ops) {
    if (!op) continue;
    store.updateObservationPoint(op.dbId, op);
  }
  decoder.flushFragments();
  for (const v of decoder.drainViolations()) {
    violations++;
    store.addViolation({ bundleId, layer: 'decode', kind: v.kind, message: v.message });
  }
  await store.drain();
  if (!resources.empty && opts.tags !== false) {
    // Auto-tagging: the resources with their validity, then the tags of this bundle's flows (see tagging/auto-tag.ts).
    const built = resources.build(bundleId, store.maxId('resources') + 1);
    for (const [sql, params] of resourceStatements(bundleId, built.resources, built.containers, built.addresses)) store.runSql(sql, params);
    for (const [sql, params] of autoTagStatements(bundleId)) store.runSql(sql, params);
    const keys = new Set(store.podLabelKeys());
    for (const r of built.resources) if (r.kind === 'Pod' && r.labels) for (const k of Object.keys(r.labels)) keys.add(k);
    store.refreshFlowViews([...keys].sort());
    await store.drain();
  }
  if (resources.malformed > 0) {
    violations += resources.malformed;
    store.addViolation({ bundleId, layer: 'capture', kind: 'tag-record-malformed', message: `${resources.malformed} Kubernetes/cloud record(s) or object(s) not in the documented shape` });
  }
  const truncatedTailBytes = readSummary?.truncatedTailBytes ?? 0;
  const status: BundleImportResult['status'] = error ? 'failed' : truncatedTailBytes > 0 || violations > 0 ? 'partial' : 'ok';
  const sec = firstSection as SectionInfo | null;
  const durationUs = now() - started;
  store.finishBundle(bundleId, {
    format: readSummary?.format,
    gzip: readSummary?.gzip,
    formatVersion: sec?.rewind ? `${sec.rewind.formatMajor}.${sec.rewind.formatMinor}` : null,
    host: sec?.rewind?.host ?? null,
    writer: sec?.userAppl ?? null,
    sections: readSummary?.sections ?? 0,
    interfaces: readSummary?.interfaces ?? ops.length,
    packets,
    bytes: readSummary?.bytes ?? 0,
    firstTime,
    lastTime,
    flows,
    truncatedTailBytes,
    unknownBlocks: readSummary?.unknownBlocks ?? {},
    violations,
    status,
    error: error ?? null,
    importDuration: durationUs,
  });
  onProgress?.(src.size, packets, flows);
  return {
    path: src.path, bundleId, status, error, packets, flows, l7Records, violations, truncatedTailBytes,
    unknownBlocks: readSummary?.unknownBlocks ?? {}, firstTime, lastTime, durationUs,
  };
}
