// Test-only builders that lay out protocol headers byte by byte (lengths and IPv4 checksums computed) for fixtures.

export function hex(s: string): Buffer {
  return Buffer.from(s.replace(/[^0-9a-fA-F]/g, ''), 'hex');
}

const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);
const be16 = (v: number): Buffer => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const be32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

export function ip4(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

/** Parses an IPv6 text address (with '::' and an optional dotted tail) into 16 bytes. */
export function ip6(addr: string): Buffer {
  let text = addr;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ip4(dotted[1]);
    tail.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    text = text.slice(0, -dotted[1].length) + '0:0';
  }
  const [head, rest] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const r = rest === undefined ? [] : rest === '' ? [] : rest.split(':');
  const fill = rest === undefined ? 0 : 8 - h.length - r.length;
  const groups = [...h, ...Array<string>(fill).fill('0'), ...r].map((g) => parseInt(g, 16));
  if (tail.length > 0) groups.splice(6, 2, ...tail);
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
  return b;
}

export const MAC_A = hex('02 00 00 00 00 0a');
export const MAC_B = hex('02 00 00 00 00 0b');

/** Ethernet II: dst, src, EtherType. */
export function eth(type: number, payload: Buffer): Buffer {
  return cat(MAC_B, MAC_A, be16(type), payload);
}

/** A VLAN tag as it sits after the outer type field: TCI (PCP 0, DEI 0, VID) then the inner type. */
export function vlanTag(id: number, innerType: number): Buffer {
  return cat(be16(id & 0xfff), be16(innerType));
}

/** Ethernet with stacked tags; tpids[i] is the type field in front of tag i (0x8100, 0x88a8, 0x9100). */
export function ethTagged(tags: { tpid: number; id: number }[], type: number, payload: Buffer): Buffer {
  const parts: Buffer[] = [MAC_B, MAC_A];
  tags.forEach((t) => parts.push(be16(t.tpid), be16(t.id)));
  parts.push(be16(type), payload);
  return cat(...parts);
}

function checksum(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length % 2 === 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  id?: number;
  ttl?: number;
  /** Flags + fragment offset field as on the wire: MF = 0x2000, offset in 8-byte units. */
  frag?: number;
  options?: Buffer;
  /** Overrides the computed total length (truncation / lies). */
  totalLen?: number;
}

export function ipv4(s: Ipv4Spec, payload: Buffer): Buffer {
  const opts = s.options ?? Buffer.alloc(0);
  const hl = 20 + opts.length;
  const h = Buffer.alloc(20);
  h[0] = 0x40 | (hl >> 2);
  h.writeUInt16BE(s.totalLen ?? hl + payload.length, 2);
  h.writeUInt16BE(s.id ?? 0x1234, 4);
  h.writeUInt16BE(s.frag ?? 0x4000, 6);
  h[8] = s.ttl ?? 64;
  h[9] = s.proto;
  ip4(s.src).copy(h, 12);
  ip4(s.dst).copy(h, 16);
  const header = cat(h, opts);
  header.writeUInt16BE(checksum(header), 10);
  return cat(header, payload);
}

export function ipv6(s: { src: string; dst: string; nh: number; hlim?: number; payloadLen?: number }, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 0x60;
  h.writeUInt16BE(s.payloadLen ?? payload.length, 4);
  h[6] = s.nh;
  h[7] = s.hlim ?? 64;
  return cat(h, ip6(s.src), ip6(s.dst), payload);
}

/** A generic extension header (hop-by-hop, routing, destination options): padded to a multiple of 8 bytes. */
export function ext6(nh: number, body: Buffer): Buffer {
  const len = Math.ceil((body.length + 2) / 8) * 8;
  const b = Buffer.alloc(len);
  b[0] = nh;
  b[1] = len / 8 - 1;
  body.copy(b, 2);
  return b;
}

export function frag6(nh: number, offsetBytes: number, more: boolean, id: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = nh;
  b.writeUInt16BE((offsetBytes & 0xfff8) | (more ? 1 : 0), 2);
  b.writeUInt32BE(id >>> 0, 4);
  return b;
}

export interface TcpSpec {
  sp: number;
  dp: number;
  seq?: number;
  ack?: number;
  flags?: number;
  win?: number;
  options?: Buffer;
}

export function tcp(s: TcpSpec, payload: Buffer = Buffer.alloc(0)): Buffer {
  const opts = s.options ?? Buffer.alloc(0);
  const hl = 20 + opts.length;
  const h = Buffer.alloc(20);
  h.writeUInt16BE(s.sp, 0);
  h.writeUInt16BE(s.dp, 2);
  h.writeUInt32BE((s.seq ?? 1000) >>> 0, 4);
  h.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  h[12] = (hl / 4) << 4;
  h[13] = s.flags ?? 0x18;
  h.writeUInt16BE(s.win ?? 65535, 14);
  return cat(h, opts, payload);
}

export function udp(sp: number, dp: number, payload: Buffer = Buffer.alloc(0), len?: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(sp, 0);
  h.writeUInt16BE(dp, 2);
  h.writeUInt16BE(len ?? 8 + payload.length, 4);
  return cat(h, payload);
}

/** ICMP / ICMPv6: type, code, checksum (left 0), then the 4 message-specific bytes and the body. */
export function icmp(type: number, code: number, rest: Buffer, body: Buffer = Buffer.alloc(0)): Buffer {
  return cat(Buffer.from([type, code, 0, 0]), rest, body);
}

export function vxlan(vni: number, inner: Buffer): Buffer {
  return cat(hex('08 00 00 00'), be32(vni << 8), inner);
}

export function geneve(vni: number, protocol: number, options: Buffer, inner: Buffer): Buffer {
  return cat(Buffer.from([options.length / 4, 0]), be16(protocol), be32(vni << 8), options, inner);
}

export function gre(s: { proto: number; key?: number; seq?: number; csum?: boolean }, inner: Buffer): Buffer {
  let flags = 0;
  const parts: Buffer[] = [];
  if (s.csum) {
    flags |= 0x8000;
    parts.push(hex('00 00 00 00'));
  }
  if (s.key !== undefined) {
    flags |= 0x2000;
    parts.push(be32(s.key));
  }
  if (s.seq !== undefined) {
    flags |= 0x1000;
    parts.push(be32(s.seq));
  }
  return cat(be16(flags), be16(s.proto), ...parts, inner);
}

/** ERSPAN type II header (GRE must carry a sequence number): ver 1, VLAN, COS/En/T, session id, index. */
export function erspan2(session: number, inner: Buffer, vlan = 0): Buffer {
  return cat(be16(0x1000 | vlan), be16(session & 0x3ff), be32(0), inner);
}

/** ERSPAN type III header: ver 2, VLAN, session, timestamp, SGT, P/FT/HW id/D/Gra/O (+8-byte subheader). */
export function erspan3(session: number, inner: Buffer, platform?: Buffer, frameType = 0): Buffer {
  const word3 = Buffer.alloc(4);
  word3[2] = (frameType & 0x1f) << 2;
  word3[3] = platform ? 1 : 0;
  return cat(be16(0x2000), be16(session & 0x3ff), be32(0xdeadbeef), word3, platform ?? Buffer.alloc(0), inner);
}

/** PPTP enhanced GRE (version 1, K and S set, protocol PPP) around a PPP frame. */
export function pptpGre(callId: number, seq: number, ppp: Buffer): Buffer {
  return cat(be16(0x3001), be16(0x880b), be16(ppp.length), be16(callId), be32(seq), ppp);
}

export function mpls(labels: number[], payload: Buffer): Buffer {
  const parts = labels.map((l, i) => be32((l << 12) | (i === labels.length - 1 ? 0x100 : 0) | 64));
  return cat(...parts, payload);
}

export function pppoeSession(session: number, pppProto: number, payload: Buffer): Buffer {
  return cat(Buffer.from([0x11, 0x00]), be16(session), be16(payload.length + 2), be16(pppProto), payload);
}

/** Linux SLL v1 header (incoming unicast, ARPHRD_ETHER, 6-byte address). */
export function sll(proto: number, payload: Buffer): Buffer {
  return cat(be16(0), be16(1), be16(6), MAC_A, hex('00 00'), be16(proto), payload);
}

/** Linux SLL v2 header. */
export function sll2(proto: number, ifindex: number, payload: Buffer): Buffer {
  return cat(be16(proto), be16(0), be32(ifindex), be16(1), Buffer.from([0, 6]), MAC_A, hex('00 00'), payload);
}

/** BSD loopback header: the address family as a 4-byte integer in the given byte order. */
export function nullHeader(af: number, littleEndian: boolean, payload: Buffer): Buffer {
  const b = Buffer.alloc(4);
  if (littleEndian) b.writeUInt32LE(af);
  else b.writeUInt32BE(af);
  return cat(b, payload);
}

/** TCP option bytes. */
export const tcpOpt = {
  mss: (v: number): Buffer => cat(hex('02 04'), be16(v)),
  wscale: (v: number): Buffer => Buffer.from([3, 3, v]),
  sackPermitted: (): Buffer => hex('04 02'),
  sack: (blocks: [number, number][]): Buffer => cat(Buffer.from([5, 2 + 8 * blocks.length]), ...blocks.flatMap(([l, r]) => [be32(l), be32(r)])),
  timestamps: (val: number, ecr: number): Buffer => cat(hex('08 0a'), be32(val), be32(ecr)),
  nop: (): Buffer => hex('01'),
  end: (): Buffer => hex('00'),
};
