// Wireshark exported-PDU (link type 252) tag headers: how eBPF socket data tells tshark which dissector to run.

import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './addresses.js';

/** Tag numbers of Wireshark's exported-PDU TLVs (type and length big-endian u16). */
export const ExportedPduTag = {
  END: 0,
  DISSECTOR_NAME: 12,
  HEUR_DISSECTOR_NAME: 13,
  IPV4_SRC: 20,
  IPV4_DST: 21,
  IPV6_SRC: 22,
  IPV6_DST: 23,
  PORT_TYPE: 24,
  SRC_PORT: 25,
  DST_PORT: 26,
} as const;

/** EXP_PDU_PT_* values of the port-type tag. */
export const PortType = { NONE: 0, SCTP: 1, TCP: 2, UDP: 3 } as const;

export interface ExportedPduMeta {
  /** Wireshark dissector name, e.g. 'http', 'mysql', 'redis'. */
  proto: string;
  ipVersion?: 4 | 6;
  src?: string;
  dst?: string;
  srcPort?: number;
  dstPort?: number;
  /** EXP_PDU_PT_* (2 = TCP). */
  portType?: number;
}

function tag(type: number, value: Buffer): Buffer {
  // Strings are NUL-padded to 4 bytes and the padding counts in the length, as Wireshark writes them.
  const len = (value.length + 3) & ~3;
  const out = Buffer.alloc(4 + len);
  out.writeUInt16BE(type, 0);
  out.writeUInt16BE(len, 2);
  value.copy(out, 4);
  return out;
}

function u32be(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

/** Tag header (ending with the end tag) followed by `payload`: the data of an EPB on a link-type-252 interface. */
export function exportedPduPayload(meta: ExportedPduMeta, payload: Buffer): Buffer {
  const parts: Buffer[] = [tag(ExportedPduTag.DISSECTOR_NAME, Buffer.from(meta.proto, 'ascii'))];
  const v6 = meta.ipVersion === 6 || (meta.ipVersion === undefined && (meta.src ?? meta.dst ?? '').includes(':'));
  if (meta.src !== undefined) parts.push(tag(v6 ? ExportedPduTag.IPV6_SRC : ExportedPduTag.IPV4_SRC, v6 ? parseIpv6(meta.src) : parseIpv4(meta.src)));
  if (meta.dst !== undefined) parts.push(tag(v6 ? ExportedPduTag.IPV6_DST : ExportedPduTag.IPV4_DST, v6 ? parseIpv6(meta.dst) : parseIpv4(meta.dst)));
  if (meta.portType !== undefined) parts.push(tag(ExportedPduTag.PORT_TYPE, u32be(meta.portType)));
  if (meta.srcPort !== undefined) parts.push(tag(ExportedPduTag.SRC_PORT, u32be(meta.srcPort)));
  if (meta.dstPort !== undefined) parts.push(tag(ExportedPduTag.DST_PORT, u32be(meta.dstPort)));
  parts.push(Buffer.alloc(4)); // end tag: type 0, length 0
  parts.push(payload);
  return Buffer.concat(parts);
}

export interface ParsedExportedPdu extends Partial<ExportedPduMeta> {
  /** Offset of the PDU payload after the end tag. */
  payloadOffset: number;
}

/** Reads the tags of an exported-PDU frame; undefined when they run past the data (never throws). */
export function parseExportedPdu(data: Buffer): ParsedExportedPdu | undefined {
  const out: ParsedExportedPdu = { payloadOffset: 0 };
  let pos = 0;
  while (pos + 4 <= data.length) {
    const type = data.readUInt16BE(pos);
    const len = data.readUInt16BE(pos + 2);
    const v = pos + 4;
    if (v + len > data.length) return undefined;
    if (type === ExportedPduTag.END) {
      out.payloadOffset = v + len;
      return out;
    }
    const value = data.subarray(v, v + len);
    switch (type) {
      case ExportedPduTag.DISSECTOR_NAME: {
        const nul = value.indexOf(0);
        out.proto = value.subarray(0, nul < 0 ? len : nul).toString('ascii');
        break;
      }
      case ExportedPduTag.IPV4_SRC:
      case ExportedPduTag.IPV4_DST:
        if (len >= 4) {
          out.ipVersion = 4;
          out[type === ExportedPduTag.IPV4_SRC ? 'src' : 'dst'] = formatIpv4(value);
        }
        break;
      case ExportedPduTag.IPV6_SRC:
      case ExportedPduTag.IPV6_DST:
        if (len >= 16) {
          out.ipVersion = 6;
          out[type === ExportedPduTag.IPV6_SRC ? 'src' : 'dst'] = formatIpv6(value);
        }
        break;
      case ExportedPduTag.PORT_TYPE:
        if (len >= 4) out.portType = value.readUInt32BE(0);
        break;
      case ExportedPduTag.SRC_PORT:
        if (len >= 4) out.srcPort = value.readUInt32BE(0);
        break;
      case ExportedPduTag.DST_PORT:
        if (len >= 4) out.dstPort = value.readUInt32BE(0);
        break;
    }
    pos = v + len;
  }
  return undefined;
}
