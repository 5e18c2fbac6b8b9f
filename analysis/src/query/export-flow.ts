// Exports the packets of one flow as a pcapng file, so that a connection found in the request or flow log opens in
// Wireshark. The packets are read again from the capture the flow was imported from: the frames between the flow's
// first and last frame whose addresses and ports are the flow's, either direction. A Name Resolution Block names the
// two addresses after the flow's tags (pod, service, node), so Wireshark shows pods with name resolution on.
import { createReadStream, existsSync } from 'node:fs';
import { CaptureReader } from '../bundle/reader.js';
import type { InterfaceInfo, NameRecord, PacketRecord } from '../bundle/types.js';
import { BundleWriter } from '../bundle/writer.js';
import { ENGINE_VERSION } from '../version.js';
import { newDecodedPacket, PacketDecoder } from '../decode/decoder.js';
import type { DecodedPacket } from '../decode/types.js';
import type { Db } from '../store/store.js';

export class ExportError extends Error {
  constructor(message: string, readonly code: 'not_found' | 'source_missing' | 'mixed_link_types') {
    super(message);
    this.name = 'ExportError';
  }
}

interface FlowKey {
  bundle_id: number;
  observation_point_id: number;
  ip_0: string;
  ip_1: string;
  client_port: number;
  server_port: number;
  protocol: number;
  first_frame: number;
  last_frame: number;
  path: string;
  section_index: number;
  interface_index: number;
}

export interface ExportResult {
  /** The pcapng file's bytes (one section: interface, names, packets). */
  pcap: Buffer;
  packets: number;
  linkType: number;
  /** A file name for the download: flow-<id>-<client>-<server>.pcapng */
  fileName: string;
  /** The names written for the flow's addresses (none when the capture had no tags for them). */
  names: NameRecord[];
}

interface FlowPacket {
  rec: PacketRecord;
  iface: InterfaceInfo;
  pkt: DecodedPacket;
  /** True for the client → server direction. */
  fromClient: boolean;
}

function flowKey(db: Db, flowId: number): FlowKey {
  const f = db.prepare(`SELECT f.bundle_id, f.observation_point_id, f.ip_0, f.ip_1, f.client_port, f.server_port, f.protocol, f.first_frame,
      f.last_frame, b.path, op.section_index, op.interface_index
    FROM _l4_flow_log f JOIN bundles b ON b.id = f.bundle_id JOIN observation_points op ON op.id = f.observation_point_id
    WHERE f.flow_id = ?`).get(flowId) as FlowKey | undefined;
  if (!f) throw new ExportError(`no flow ${flowId}`, 'not_found');
  if (!existsSync(f.path)) throw new ExportError(`the capture of flow ${flowId} is no longer at ${f.path}`, 'source_missing');
  return f;
}

/** Reads the flow's capture again and calls `each` for every packet of the flow, in capture order. */
async function forEachFlowPacket(f: FlowKey, each: (p: FlowPacket) => void): Promise<void> {
  const ifaces: InterfaceInfo[] = [];
  const decoder = new PacketDecoder();
  const pkt = newDecodedPacket();
  let done = false;
  const reader = new CaptureReader({
    iface: (i) => {
      ifaces[i.id] = i;
    },
    packet: (rec: PacketRecord) => {
      if (done || rec.frameNumber < f.first_frame) return;
      if (rec.frameNumber > f.last_frame) {
        done = true;
        return;
      }
      const iface = ifaces[rec.interfaceId];
      if (!iface || iface.sectionIndex !== f.section_index || iface.localId !== f.interface_index) return;
      decoder.decode(iface.linkType, rec.data, rec.tsUs, pkt);
      // As the flow table does: only IP packets that decoded (an ARP frame between the flow's hosts leaves the last
      // packet's protocol and ports in the reused `pkt`, and was exported with the flow).
      if (pkt.status !== 'ok' || pkt.ipVersion === 0 || pkt.ipProto !== f.protocol) return;
      const fwd = pkt.srcIp === f.ip_0 && pkt.dstIp === f.ip_1 && pkt.srcPort === f.client_port && pkt.dstPort === f.server_port;
      const rev = pkt.srcIp === f.ip_1 && pkt.dstIp === f.ip_0 && pkt.srcPort === f.server_port && pkt.dstPort === f.client_port;
      if (fwd || rev) each({ rec, iface, pkt, fromClient: fwd });
    },
  });
  const stream = createReadStream(f.path, { highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream) {
    reader.push(chunk as Buffer);
    if (done) break;
  }
  stream.destroy();
  if (!done) reader.end();
}

/** The download name of a flow's capture: flow-<id>-<client>_<port>-<server>_<port>.pcapng */
export function flowPcapName(flowId: number, f: Record<string, unknown> | FlowKey): string {
  const r = f as Record<string, unknown>;
  const safe = (s: unknown): string => String(s).replace(/[^0-9A-Za-z.]+/g, '_');
  return `flow-${flowId}-${safe(r.ip_0)}_${String(r.client_port)}-${safe(r.ip_1)}_${String(r.server_port)}.pcapng`;
}

/**
 * Names for the flow's two addresses, from the tags auto-tagging gave the flow (the same pod_0 / pod_1 / service_1 the
 * flow log shows): a pod `name.namespace`, a service `name.namespace.svc`, a node by its name — each only when that
 * resource has the address itself (behind a ClusterIP, pod_1 is the backend that answered, not the address called).
 */
function hostNames(db: Db, flowId: number, f: FlowKey): NameRecord[] {
  const t = db.prepare('SELECT pod_res_0, node_res_0, pod_res_1, service_res_1, node_res_1 FROM _l4_flow_log WHERE flow_id = ?').get(flowId) as
    Record<string, number | null> | undefined;
  if (t === undefined) return [];
  const byId = db.prepare('SELECT kind, name, namespace, ip FROM resources WHERE id = ?');
  const name = (ip: string, ids: (number | null)[]): string | null => {
    for (const id of ids) {
      if (id === null) continue;
      const r = byId.get(id) as { kind: string; name: string; namespace: string | null; ip: string | null } | undefined;
      if (r === undefined || r.ip !== ip) continue;
      if (r.kind === 'Node' || r.namespace === null) return r.name;
      return r.kind === 'Service' ? `${r.name}.${r.namespace}.svc` : `${r.name}.${r.namespace}`;
    }
    return null;
  };
  const out: NameRecord[] = [];
  const add = (ip: string, n: string | null): void => {
    if (n !== null && !out.some((x) => x.address === ip)) out.push({ type: ip.includes(':') ? 'ipv6' : 'ipv4', address: ip, names: [n] });
  };
  add(f.ip_0, name(f.ip_0, [t.pod_res_0, t.node_res_0]));
  add(f.ip_1, name(f.ip_1, [t.pod_res_1, t.service_res_1, t.node_res_1]));
  return out;
}

/** The capture of flow `flowId` (an l4_flow_log flow_id). Throws ExportError when the flow or its capture is missing. */
export async function exportFlowPcap(db: Db, flowId: number): Promise<ExportResult> {
  const f = flowKey(db, flowId);
  // The reader reuses its record object: what is kept of each packet is copied out of it.
  const found: { ts: bigint; origLen: number; data: Buffer }[] = [];
  let linkType = -1;
  let snapLen = 0;
  await forEachFlowPacket(f, ({ rec, iface }) => {
    if (linkType === -1) {
      linkType = iface.linkType;
      snapLen = iface.snapLen;
    } else if (linkType !== iface.linkType) throw new ExportError('the flow spans interfaces of different link types', 'mixed_link_types');
    found.push({ ts: BigInt(rec.tsUs) * 1000n + BigInt(rec.tsSubUsNs ?? 0), origLen: rec.origLen, data: Buffer.from(rec.data) });
  });
  const names = hostNames(db, flowId, f);
  const chunks: Buffer[] = [];
  const w = new BundleWriter((b) => chunks.push(b), {
    userAppl: `Rewind ${ENGINE_VERSION}`,
    comment: `flow ${flowId}: ${f.ip_0}:${f.client_port} → ${f.ip_1}:${f.server_port}, frames ${f.first_frame}–${f.last_frame} of ${f.path}`,
    // No closing summary: Wireshark would list its Custom Block as one more frame, and an import does not need it.
    digest: false,
  });
  const iface = w.addInterface({ linkType: linkType === -1 ? 1 : linkType, snapLen: snapLen > 0 ? snapLen : 262144, tsResol: 9 });
  // Before the packets: a one-pass reader (tshark without -2) then names the first frames too.
  if (names.length > 0) w.writeNameResolution(names);
  for (const p of found) w.writePacket(iface, p.ts, p.data, { origLen: p.origLen });
  return {
    pcap: Buffer.concat(chunks),
    packets: found.length,
    linkType: linkType === -1 ? 1 : linkType,
    fileName: flowPcapName(flowId, f),
    names,
  };
}

export interface MessageBytes {
  /** The message's bytes as captured (at most `limit`), base64. */
  base64: string;
  /** Bytes of the message (request_length / response_length). */
  length: number;
  /** Bytes returned (less than length when cut at the limit or when the capture lacks some). */
  captured: number;
  /** Bytes missing from the capture inside what was returned (gaps, snap length). */
  missing: number;
}

export interface RequestPayload {
  request: MessageBytes | null;
  response: MessageBytes | null;
  /** Why there are no bytes (eBPF records, UDP without sequence numbers, …). */
  note: string | null;
}

/**
 * The bytes of a request and its response, read again from the capture: the TCP payload of each direction from the
 * message's first sequence number (req_tcp_seq / resp_tcp_seq) on, for its length, at most `limit` bytes each.
 */
export async function requestPayload(db: Db, id: number, limit = 64 * 1024): Promise<RequestPayload> {
  const r = db.prepare(`SELECT l.flow_id, l.req_tcp_seq, l.resp_tcp_seq, l.request_length, l.response_length, f.signal_source, f.protocol
    FROM _l7_flow_log l JOIN _l7_flow f ON f.flow_id = l.flow_id WHERE l.id = ?`).get(id) as
    { flow_id: number; req_tcp_seq: number | null; resp_tcp_seq: number | null; request_length: number | null; response_length: number | null; signal_source: number; protocol: number } | undefined;
  if (!r) throw new ExportError(`no request ${id}`, 'not_found');
  if (r.signal_source !== 0) return { request: null, response: null, note: 'eBPF records keep no packet bytes here (the payload is in the bundle\'s syscall events)' };
  if (r.protocol !== 6) return { request: null, response: null, note: 'payload bytes are shown for TCP messages' };
  const f = flowKey(db, r.flow_id);
  const want = [
    { seq: r.req_tcp_seq, len: r.request_length, fromClient: true, segs: [] as { rel: number; data: Buffer }[] },
    { seq: r.resp_tcp_seq, len: r.response_length, fromClient: false, segs: [] as { rel: number; data: Buffer }[] },
  ];
  await forEachFlowPacket(f, ({ pkt, fromClient }) => {
    if (pkt.payloadLen === 0) return;
    for (const w of want) {
      if (w.fromClient !== fromClient || w.seq === null || w.len === null) continue;
      const cap = Math.min(w.len, limit);
      const rel = (pkt.seq - w.seq) | 0;
      const end = rel + pkt.payloadLen;
      if (end <= 0 || rel >= cap) continue;
      w.segs.push({ rel, data: Buffer.from(pkt.payload.subarray(pkt.payloadOffset, pkt.payloadOffset + pkt.payloadLen)) });
    }
  });
  const assemble = (w: (typeof want)[number]): MessageBytes | null => {
    if (w.seq === null || w.len === null) return null;
    const cap = Math.min(w.len, limit);
    const out = Buffer.alloc(cap);
    const have = new Uint8Array(cap);
    for (const s of w.segs) {
      const from = Math.max(0, -s.rel);
      const to = Math.min(s.data.length, cap - s.rel);
      if (to > from) {
        s.data.copy(out, s.rel + from, from, to);
        have.fill(1, s.rel + from, s.rel + to);
      }
    }
    let missing = 0;
    for (let i = 0; i < cap; i++) if (have[i] === 0) missing++;
    return { base64: out.toString('base64'), length: w.len, captured: cap, missing };
  };
  return { request: assemble(want[0]), response: assemble(want[1]), note: null };
}
