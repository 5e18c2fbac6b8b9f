// UDP-carried tunnels: VXLAN, VXLAN-GPE (with NSH), GENEVE, GRE-in-UDP and Teredo.
import { Step, u16 } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';
import { decodeGre } from './gre.js';

/** Values of ResolvedDecoderOptions.udpTunnelByPort. */
export const UdpTunnel = { NONE: 0, VXLAN: 1, GENEVE: 2, VXLAN_GPE: 3, GRE: 4, TEREDO: 5 } as const;

/**
 * Called with d at the UDP payload and out describing the UDP packet. A payload that does not look like the
 * tunnel its port names leaves the packet as plain UDP (Step.OK), like a port-less heuristic would.
 */
export function decodeUdpTunnel(d: DecodeState, out: DecodedPacket, kind: number): StepCode {
  switch (kind) {
    case UdpTunnel.VXLAN:
      return decodeVxlan(d, out);
    case UdpTunnel.GENEVE:
      return decodeGeneve(d, out);
    case UdpTunnel.VXLAN_GPE:
      return decodeVxlanGpe(d, out);
    case UdpTunnel.GRE:
      return decodeGre(d, out);
    case UdpTunnel.TEREDO:
      return decodeTeredo(d, out);
    default:
      return Step.OK;
  }
}

function tooDeep(d: DecodeState, out: DecodedPacket): StepCode {
  return d.fail(out, 'tunnel-too-deep');
}

/** RFC 7348: flags(1, I = 0x08) reserved(3) VNI(3) reserved(1), then Ethernet. */
function decodeVxlan(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 8 || (buf[off] & 0x08) === 0) return Step.OK;
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  if (!d.enterTunnel(out, 'vxlan', vni, true)) return tooDeep(d, out);
  d.off = off + 8;
  return Step.ETHERNET;
}

/**
 * VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, port 4790): like VXLAN plus a P flag (0x04) and a next-protocol byte at
 * offset 3: 1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH, 5 MPLS. Without P the payload is Ethernet.
 */
function decodeVxlanGpe(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 8 || (buf[off] & 0x08) === 0) return Step.OK;
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  const next = (buf[off] & 0x04) !== 0 ? buf[off + 3] : 3;
  if (!d.enterTunnel(out, 'vxlan-gpe', vni, true)) return tooDeep(d, out);
  d.off = off + 8;
  return nextByNshProtocol(d, out, next);
}

function nextByNshProtocol(d: DecodeState, out: DecodedPacket, next: number): StepCode {
  switch (next) {
    case 1:
      return Step.IPV4;
    case 2:
      return Step.IPV6;
    case 3:
      return Step.ETHERNET;
    case 4:
      return Step.NSH;
    case 5:
      return Step.MPLS;
    default:
      return d.notIp(out, 'tunnel-payload-other');
  }
}

/**
 * Network Service Header (RFC 8300): ver/O/U/TTL(2 bytes, length = low 6 bits of byte 1 in 4-byte words), MD type,
 * next protocol, service path header (4), context. Not in ctx: a service path can differ per direction.
 */
export function decodeNsh(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 8) return d.fail(out, 'nsh-truncated');
  const len = (buf[off + 1] & 0x3f) << 2;
  if (len < 8) return d.fail(out, 'nsh-bad-length');
  if (len > d.end - off) return d.fail(out, 'nsh-truncated');
  const next = buf[off + 3];
  d.off = off + len;
  return nextByNshProtocol(d, out, next);
}

/**
 * GENEVE (RFC 8926): ver(2 bits, 0) option length(6 bits, 4-byte units) flags(1) protocol type(2) VNI(3)
 * reserved(1), then the options, then a payload named by the protocol type (an EtherType; 0x6558 = Ethernet).
 */
function decodeGeneve(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 8 || buf[off] >> 6 !== 0) return Step.OK;
  const hl = 8 + ((buf[off] & 0x3f) << 2);
  if (hl > d.end - off) return d.fail(out, 'geneve-truncated');
  const vni = (buf[off + 4] << 16) | (buf[off + 5] << 8) | buf[off + 6];
  if (!d.enterTunnel(out, 'geneve', vni, true)) return tooDeep(d, out);
  d.etherType = u16(buf, off + 2);
  d.off = off + hl;
  return Step.ETHERTYPE;
}

/**
 * Teredo (RFC 4380, port 3544): IPv6 in UDP, optionally preceded by an authentication indicator (0x0001, id and
 * auth lengths, 8-byte nonce, confirmation byte) and an origin indication (0x0000, 8 bytes). Qualification
 * traffic that is not a whole IPv6 packet stays plain UDP.
 */
function decodeTeredo(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  let p = d.off;
  const end = d.end;
  if (end - p >= 4 && buf[p] === 0x00 && buf[p + 1] === 0x01) p += 4 + buf[p + 2] + buf[p + 3] + 9;
  if (end - p >= 8 && buf[p] === 0x00 && buf[p + 1] === 0x00) p += 8;
  if (end - p < 40 || buf[p] >> 4 !== 6) return Step.OK;
  const ipWire = d.wireLen - (p - d.off);
  if (40 + u16(buf, p + 4) !== ipWire) return Step.OK;
  if (!d.enterTunnel(out, 'teredo', 0, false)) return tooDeep(d, out);
  d.wireLen = ipWire;
  d.off = p;
  return Step.IPV6;
}
