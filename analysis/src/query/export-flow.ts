// Exports the packets of one flow as a classic pcap file (nanosecond timestamps), so that a connection found in the
// request or flow log opens in Wireshark. The packets are read again from the capture the flow was imported from:
// the frames between the flow's first and last frame whose addresses and ports are the flow's, either direction.
import { existsSync } from 'node:fs';
import { CaptureReader } from '../bundle/reader.js';
import type { InterfaceInfo, PacketRecord } from '../bundle/types.js';
import { newDecodedPacket, PacketDecoder } from '../decode/decoder.js';
import type { Db } from '../store/store.js';
import { createReadStream } from 'node:fs';

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
  /** The pcap file's bytes. */
  pcap: Buffer;
  packets: number;
  linkType: number;
  /** A file name for the download: flow-<id>-<client>-<server>.pcap */
  fileName: string;
}

const PCAP_NS_MAGIC = 0xa1b23c4d;

/** The pcap of flow `flowId` (an l4_flow_log flow_id). Throws ExportError when the flow or its capture is missing. */
export async function exportFlowPcap(db: Db, flowId: number): Promise<ExportResult> {
  const f = db.prepare(`SELECT f.bundle_id, f.observation_point_id, f.ip_0, f.ip_1, f.client_port, f.server_port, f.protocol, f.first_frame,
      f.last_frame, b.path, op.section_index, op.interface_index
    FROM _l4_flow_log f JOIN bundles b ON b.id = f.bundle_id JOIN observation_points op ON op.id = f.observation_point_id
    WHERE f.flow_id = ?`).get(flowId) as FlowKey | undefined;
  if (!f) throw new ExportError(`no flow ${flowId}`, 'not_found');
  if (!existsSync(f.path)) throw new ExportError(`the capture of flow ${flowId} is no longer at ${f.path}`, 'source_missing');
  const ifaces: InterfaceInfo[] = [];
  const decoder = new PacketDecoder();
  const out = newDecodedPacket();
  const chunks: Buffer[] = [];
  let linkType = -1;
  let packets = 0;
  let done = false;
  const matches = (): boolean => {
    if (out.ipProto !== f.protocol) return false;
    const fwd = out.srcIp === f.ip_0 && out.dstIp === f.ip_1 && out.srcPort === f.client_port && out.dstPort === f.server_port;
    const rev = out.srcIp === f.ip_1 && out.dstIp === f.ip_0 && out.srcPort === f.server_port && out.dstPort === f.client_port;
    return fwd || rev;
  };
  const reader = new CaptureReader({
    iface: (i) => {
      ifaces[i.id] = i;
    },
    packet: (p: PacketRecord) => {
      if (done || p.frameNumber < f.first_frame) return;
      if (p.frameNumber > f.last_frame) {
        done = true;
        return;
      }
      const iface = ifaces[p.interfaceId];
      if (!iface || iface.sectionIndex !== f.section_index || iface.localId !== f.interface_index) return;
      decoder.decode(iface.linkType, p.data, p.tsUs, out);
      if (!matches()) return;
      if (linkType === -1) linkType = iface.linkType;
      else if (linkType !== iface.linkType) throw new ExportError('the flow spans interfaces of different link types', 'mixed_link_types');
      const rec = Buffer.allocUnsafe(16);
      const sec = Math.floor(p.tsUs / 1_000_000);
      rec.writeUInt32LE(sec >>> 0, 0);
      rec.writeUInt32LE(((p.tsUs - sec * 1_000_000) * 1000 + (p.tsSubUsNs ?? 0)) >>> 0, 4);
      rec.writeUInt32LE(p.capLen, 8);
      rec.writeUInt32LE(p.origLen, 12);
      chunks.push(rec, Buffer.from(p.data));
      packets++;
    },
  });
  const stream = createReadStream(f.path, { highWaterMark: 4 * 1024 * 1024 });
  for await (const chunk of stream) {
    reader.push(chunk as Buffer);
    if (done) break;
  }
  stream.destroy();
  if (!done) reader.end();
  const header = Buffer.alloc(24);
  header.writeUInt32LE(PCAP_NS_MAGIC, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType === -1 ? 1 : linkType, 20);
  const safe = (s: string): string => s.replace(/[^0-9A-Za-z.]+/g, '_');
  return {
    pcap: Buffer.concat([header, ...chunks]),
    packets,
    linkType: linkType === -1 ? 1 : linkType,
    fileName: `flow-${flowId}-${safe(f.ip_0)}_${f.client_port}-${safe(f.ip_1)}_${f.server_port}.pcap`,
  };
}
