// GRE (RFC 2784/2890, RFC 1701 routing), PPTP enhanced GRE (RFC 2637) and ERSPAN types I, II and III inside GRE.
import { Step, u16, u32 } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';
import { decodeCiscoMetadata } from './ethernet.js';

const GRE_C = 0x8000; // checksum present
const GRE_R = 0x4000; // routing present (RFC 1701)
const GRE_K = 0x2000; // key present
const GRE_S = 0x1000; // sequence number present
const GRE_A = 0x0080; // acknowledgment present (PPTP, version 1)
/** RFC 1701 source route entries walked at most. */
const MAX_SRE = 16;

/**
 * Called with d at the GRE header and out describing the carrying packet with its payload set, so a GRE payload
 * we cannot look into leaves the packet as 'ok' with ipProto 47 (or UDP for GRE-in-UDP).
 */
export function decodeGre(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  const end = d.end;
  if (end - off < 4) return d.fail(out, 'gre-truncated');
  const flags = u16(buf, off);
  const proto = u16(buf, off + 2);
  const version = flags & 7;
  // Version 1 is PPTP's enhanced GRE; some clouds (Tencent) also send version-1 headers carrying plain IP.
  if (version > 1) return Step.OK;
  if (version === 1 && proto === 0x880b) return decodeEnhancedGre(d, out, flags);
  let p = off + 4;
  if (version === 0 && (flags & (GRE_C | GRE_R)) !== 0) p += 4; // checksum + reserved (or offset, with routing)
  let key = -1;
  if ((flags & GRE_K) !== 0) {
    if (end - p < 4) return d.fail(out, 'gre-truncated');
    key = u32(buf, p);
    p += 4;
  }
  if ((flags & GRE_S) !== 0) p += 4;
  if (version === 1 && (flags & GRE_A) !== 0) p += 4;
  if (p > end) return d.fail(out, 'gre-truncated');
  if (version === 0 && (flags & GRE_R) !== 0) {
    // Source route entries: address family(2) offset(1) length(1) data, ended by family 0 and length 0.
    for (let n = 0; ; n++) {
      if (n === MAX_SRE) return d.fail(out, 'gre-bad-routing');
      if (end - p < 4) return d.fail(out, 'gre-truncated');
      const sreLen = buf[p + 3];
      const last = u16(buf, p) === 0 && sreLen === 0;
      p += 4 + sreLen;
      if (last) break;
    }
    if (p > end) return d.fail(out, 'gre-truncated');
  }
  const hl = p - off;
  switch (proto) {
    case 0x0800:
    case 0x86dd:
    case 0x6558:
    case 0x8847:
    case 0x880b:
    case 0x8909:
      if (!d.enterTunnel(out, 'gre', key < 0 ? 0 : key, key >= 0 && d.opts.greKeyInCtx)) return d.fail(out, 'tunnel-too-deep');
      d.off = p;
      d.wireLen -= hl;
      if (proto === 0x880b) return Step.PPP;
      if (proto === 0x8909) return decodeCiscoMetadata(d, out, 0);
      d.etherType = proto;
      return Step.ETHERTYPE;
    case 0x88be:
      return decodeErspan(d, out, p, (flags & GRE_S) !== 0 ? 2 : 1);
    case 0x22eb:
      return decodeErspan(d, out, p, 3);
    default:
      return Step.OK;
  }
}

/**
 * PPTP's enhanced GRE: flags with K (always) S and A, protocol 0x880b (PPP), key = payload length(2) + call id(2),
 * then sequence and acknowledgment numbers. The call id is the receiver's, so it differs per direction and stays
 * out of ctx (tunnelId has it). A header without payload is a bare acknowledgment.
 */
function decodeEnhancedGre(d: DecodeState, out: DecodedPacket, flags: number): StepCode {
  const buf = d.buf;
  const off = d.off;
  if ((flags & GRE_K) === 0) return d.fail(out, 'gre-bad-flags');
  let p = off + 8;
  if ((flags & GRE_S) !== 0) p += 4;
  if ((flags & GRE_A) !== 0) p += 4;
  if (p > d.end) return d.fail(out, 'gre-truncated');
  const payloadLen = u16(buf, off + 4);
  const callId = u16(buf, off + 6);
  if (!d.enterTunnel(out, 'pptp', callId, false)) return d.fail(out, 'tunnel-too-deep');
  if (payloadLen === 0 || (flags & GRE_S) === 0) return d.notIp(out, 'pptp-ack');
  d.off = p;
  if (p + payloadLen < d.end) d.end = p + payloadLen;
  return Step.PPP;
}

/**
 * ERSPAN. Type I (0x88be without a GRE sequence number) has no header: Ethernet follows GRE. Type II (8 bytes):
 * ver(4) VLAN(12) COS(3) En(2) T(1) session id(10) reserved(12) index(20). Type III (12 bytes): ver(4) VLAN(12)
 * COS(3) BSO(2) T(1) session id(10) timestamp(32) SGT(16) P(1) FT(5) HW id(6) D(1) Gra(2) O(1), then an 8-byte
 * platform-specific subheader when O is set; frame type 0 is Ethernet and 2 is IP. The session id is in ctx:
 * one packet mirrored by two sessions is two observations.
 */
function decodeErspan(d: DecodeState, out: DecodedPacket, p: number, type: 1 | 2 | 3): StepCode {
  const buf = d.buf;
  const avail = d.end - p;
  let session = 0;
  let next: StepCode = Step.ETHERNET;
  let hl = 0;
  if (type === 2) {
    if (avail < 8) return d.fail(out, 'erspan-truncated');
    session = u16(buf, p + 2) & 0x03ff;
    hl = 8;
  } else if (type === 3) {
    if (avail < 12) return d.fail(out, 'erspan-truncated');
    session = u16(buf, p + 2) & 0x03ff;
    const frameType = (buf[p + 10] >> 2) & 0x1f;
    hl = (buf[p + 11] & 1) === 1 ? 20 : 12;
    if (avail < hl) return d.fail(out, 'erspan-truncated');
    if (frameType === 2) next = Step.IP_ANY;
    else if (frameType !== 0) {
      if (!d.enterTunnel(out, 'erspan', session, true)) return d.fail(out, 'tunnel-too-deep');
      return d.notIp(out, 'tunnel-payload-other');
    }
  }
  if (!d.enterTunnel(out, 'erspan', session, type !== 1)) return d.fail(out, 'tunnel-too-deep');
  d.off = p + hl;
  return next;
}
