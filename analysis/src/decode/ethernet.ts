// Ethernet II framing, 802.1Q/802.1ad/0x9100 VLAN stacks and the EtherType dispatch shared by every layer that names one.
import { Step, clearVlans, u16 } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';
import { decodePppoeSession } from './ppp.js';

/** More stacked tags than any real network uses (QinQinQ is 3): the rest is treated as garbage. */
const MAX_VLAN_TAGS = 8;

/** dst(6) src(6) type(2). Type/length values below 0x0600 are an 802.3 length: LLC follows, never IP for us. */
export function decodeEthernet(d: DecodeState, out: DecodedPacket): StepCode {
  const off = d.off;
  if (d.end - off < 14) return d.fail(out, 'eth-truncated');
  // out.vlans describes the innermost Ethernet layer only (outer ones stay in ctx).
  if (out.vlans.length !== 0) clearVlans(out.vlans);
  const type = (d.buf[off + 12] << 8) | d.buf[off + 13];
  d.off = off + 14;
  if (type === 0x0800) return Step.IPV4;
  if (type < 0x0600) return d.notIp(out, 'llc');
  d.etherType = type;
  return Step.ETHERTYPE;
}

export function dispatchEtherType(d: DecodeState, out: DecodedPacket): StepCode {
  switch (d.etherType) {
    case 0x0800:
      return Step.IPV4;
    case 0x86dd:
      return Step.IPV6;
    case 0x8100: // 802.1Q
    case 0x88a8: // 802.1ad service tag
    case 0x9100: // pre-standard QinQ
    case 0x9200:
      return decodeVlanTags(d, out);
    case 0x8847: // MPLS unicast
    case 0x8848: // MPLS multicast
      return Step.MPLS;
    case 0x8864:
      return decodePppoeSession(d, out);
    case 0x6558: // transparent Ethernet bridging (GRE, GENEVE)
      return Step.ETHERNET;
    case 0x8909:
      return decodeCiscoMetadata(d, out, 6);
    case 0x0806:
      return d.notIp(out, 'arp');
    default:
      return d.notIp(out, 'ethertype-other');
  }
}

/** A run of stacked tags, each TCI(2) + inner type(2); the VLAN id is the low 12 bits of the TCI (PCP/DEI dropped). */
function decodeVlanTags(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const vlans = out.vlans;
  const first = vlans.length;
  let off = d.off;
  let type = d.etherType;
  while (type === 0x8100 || type === 0x88a8 || type === 0x9100 || type === 0x9200) {
    if (vlans.length - first === MAX_VLAN_TAGS) return d.fail(out, 'vlan-too-deep');
    if (d.end - off < 4) return d.fail(out, 'vlan-truncated');
    vlans.push(u16(buf, off) & 0x0fff);
    type = u16(buf, off + 2);
    off += 4;
  }
  d.addVlanCtx(vlans, first);
  d.off = off;
  if (type < 0x0600) return d.notIp(out, 'llc');
  d.etherType = type;
  return dispatchEtherType(d, out);
}

/**
 * Cisco MetaData (0x8909, carries a security group tag): 8 bytes, version(1) length(1) options(2) SGT(2) and the
 * next EtherType, which sits last after an Ethernet header but first inside GRE (typeAt = 6 or 0), as tshark
 * reads it. The SGT labels the sender, not the path, so it stays out of ctx.
 */
export function decodeCiscoMetadata(d: DecodeState, out: DecodedPacket, typeAt: 0 | 6): StepCode {
  if (d.end - d.off < 8) return d.fail(out, 'cmd-truncated');
  const type = u16(d.buf, d.off + typeAt);
  d.off += 8;
  if (type < 0x0600) return d.notIp(out, 'llc');
  d.etherType = type;
  return dispatchEtherType(d, out);
}
