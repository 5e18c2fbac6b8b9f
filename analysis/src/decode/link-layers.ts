// Capture link-layer headers other than Ethernet: BSD null/loopback, Linux cooked SLL/SLL2, raw IP and PPP.
import { Step, u16, u32 } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';

/**
 * DLT_NULL (0) and DLT_LOOP (108): a 4-byte address family. NULL is in the capturing host's byte order and
 * LOOP should be big-endian but writers disagree, so both are accepted in either order: AF values are small,
 * so the two zero bytes tell the order. AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD)
 * or 30 (macOS).
 */
export function decodeNull(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 4) return d.fail(out, 'null-truncated');
  let af: number;
  if (buf[off] === 0 && buf[off + 1] === 0) af = u16(buf, off + 2);
  else af = buf[off] | (buf[off + 1] << 8);
  d.off = off + 4;
  if (af === 2) return Step.IPV4;
  if (af === 24 || af === 28 || af === 30) return Step.IPV6;
  return d.notIp(out, 'null-af-other');
}

/** ARPHRD_NETLINK: netlink messages captured on nlmon, never IP. */
const ARPHRD_NETLINK = 824;

/**
 * Linux cooked capture v1 (113): packet type(2) ARPHRD(2) address length(2) address(8) protocol(2). The
 * protocol is an EtherType except the Linux-internal values below 0x0600 (1 = Novell 802.3, 4 = 802.2 LLC...).
 */
export function decodeSll(d: DecodeState, out: DecodedPacket): StepCode {
  const off = d.off;
  if (d.end - off < 16) return d.fail(out, 'sll-truncated');
  if (u16(d.buf, off + 2) === ARPHRD_NETLINK) return d.notIp(out, 'netlink');
  const proto = u16(d.buf, off + 14);
  d.off = off + 16;
  if (proto < 0x0600) return d.notIp(out, 'llc');
  d.etherType = proto;
  return Step.ETHERTYPE;
}

/**
 * Linux cooked capture v2 (276): protocol(2) reserved(2) interface index(4) ARPHRD(2) packet type(1)
 * address length(1) address(8). A capture on "any" can see one packet on several interfaces (veth, bridge,
 * NIC), so the interface index goes into ctx unless the option turns that off.
 */
export function decodeSll2(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 20) return d.fail(out, 'sll2-truncated');
  if (u16(buf, off + 8) === ARPHRD_NETLINK) return d.notIp(out, 'netlink');
  const proto = u16(buf, off);
  if (d.opts.sll2InterfaceInCtx) d.addInterfaceCtx(u32(buf, off + 4));
  d.off = off + 20;
  if (proto < 0x0600) return d.notIp(out, 'llc');
  d.etherType = proto;
  return Step.ETHERTYPE;
}

/** Raw IP link types: the version nibble chooses. */
export function decodeIpAny(d: DecodeState, out: DecodedPacket): StepCode {
  if (d.end - d.off < 1) return d.fail(out, 'ip-truncated');
  const version = d.buf[d.off] >> 4;
  if (version === 4) return Step.IPV4;
  if (version === 6) return Step.IPV6;
  return d.fail(out, 'ip-bad-version');
}

/** NFULA_PAYLOAD: the TLV holding the logged network-layer packet. */
const NFULA_PAYLOAD = 9;
/** TLVs walked at most: a real NFLOG record has about ten. */
const MAX_NFLOG_TLVS = 64;

/**
 * Linux NFLOG (239): family(1) version(1) resource id(2), then TLVs padded to 4 bytes whose length (header
 * included) and type are in the logging host's byte order: little-endian is tried first, big-endian when that
 * length cannot be right. The packet is in NFULA_PAYLOAD, starting at its IP header. The nflog group stays out
 * of ctx: it names a logging rule, not where the packet travelled.
 */
export function decodeNflog(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const end = d.end;
  let p = d.off + 4;
  if (end - d.off < 4) return d.fail(out, 'nflog-truncated');
  for (let n = 0; n < MAX_NFLOG_TLVS && end - p >= 4; n++) {
    let len = buf[p] | (buf[p + 1] << 8);
    let type = buf[p + 2] | (buf[p + 3] << 8);
    if (len < 4 || len > end - p) {
      len = u16(buf, p);
      type = u16(buf, p + 2);
      if (len < 4 || len > end - p) return d.fail(out, 'nflog-bad-tlv');
    }
    if ((type & 0x7fff) === NFULA_PAYLOAD) {
      d.off = p + 4;
      d.end = p + len;
      return Step.IP_ANY;
    }
    p += (len + 3) & ~3;
  }
  return d.notIp(out, 'nflog-no-payload');
}
