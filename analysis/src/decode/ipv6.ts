// IPv6 headers and extension headers (hop-by-hop, routing, destination options, fragment with reassembly, AH).
import { Step, u16, u32 } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import { FragmentResult } from './ip-fragments.js';
import type { DecodedPacket } from './types.js';

/** Extension headers walked per packet at most; each is ≥ 8 bytes so real packets never get near it. */
const MAX_EXT_HEADERS = 32;

export function decodeIpv6(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  const avail = d.end - off;
  if (avail < 40) return d.fail(out, 'ipv6-truncated');
  if (buf[off] >> 4 !== 6) return d.fail(out, 'ipv6-bad-version');
  let payloadLen = u16(buf, off + 4);
  // 0 is a jumbogram (RFC 2675) or segmentation offload: trust the captured length.
  if (payloadLen === 0) payloadLen = avail - 40;
  out.ipVersion = 6;
  out.srcIp = d.v6.text(buf, off + 8);
  const srcHash = d.v6.lastHash;
  out.dstIp = d.v6.text(buf, off + 24);
  d.addrHash = (srcHash + d.v6.lastHash) | 0;
  out.l3Len = 40 + payloadLen;
  out.ttl = buf[off + 7];
  out.ipId = 0;
  d.end = off + 40 + payloadLen < d.end ? off + 40 + payloadLen : d.end;
  d.off = off + 40;
  d.wireLen = payloadLen;
  return walkExtensionHeaders(d, out, buf[off + 6], off);
}

/**
 * Follows Next Header through extension headers to the upper-layer protocol, which lands in out.ipProto. ESP (50)
 * and No Next Header (59) end the walk like any upper-layer protocol: nothing after them is readable.
 */
function walkExtensionHeaders(d: DecodeState, out: DecodedPacket, nextHeader: number, ipStart: number): StepCode {
  let nh = nextHeader;
  for (let n = 0; n < MAX_EXT_HEADERS; n++) {
    const buf = d.buf;
    const off = d.off;
    let len: number;
    switch (nh) {
      case 0: // hop-by-hop options
      case 43: // routing
      case 60: // destination options
        if (d.end - off < 2) return d.fail(out, 'ipv6-ext-truncated');
        len = (buf[off + 1] + 1) << 3;
        break;
      case 51: // authentication header: length in 4-byte units minus 2
        if (d.end - off < 2) return d.fail(out, 'ipv6-ext-truncated');
        len = (buf[off + 1] + 2) << 2;
        break;
      case 44: {
        if (d.end - off < 8) return d.fail(out, 'ipv6-ext-truncated');
        const fo = u16(buf, off + 2);
        out.ipId = u32(buf, off + 4);
        if ((fo & 0xfff9) === 0) {
          // Atomic fragment (offset 0, M = 0; RFC 6946): the whole datagram is here, no reassembly.
          nh = buf[off];
          d.off = off + 8;
          d.wireLen -= 8;
          continue;
        }
        const r = reassembleIpv6(d, out, fo, ipStart);
        if (r !== Step.TRANSPORT) return r;
        nh = out.ipProto; // where the walk resumes: the first fragment's Next Header
        continue;
      }
      default:
        out.ipProto = nh;
        return Step.TRANSPORT;
    }
    if (len > d.wireLen) return d.fail(out, 'ipv6-ext-bad-length');
    if (len > d.end - off) return d.fail(out, 'ipv6-ext-truncated');
    if (nh === 43 && buf[off + 3] > 0) finalDestination(d, out, off, len, ipStart);
    nh = buf[off];
    d.off = off + len;
    d.wireLen -= len;
  }
  return d.fail(out, 'ipv6-ext-too-many');
}

/**
 * A routing header with segments left names the packet's final destination, which is the conversation's peer
 * (and what the transport checksum covers): tshark keys its conversations by it too. Type 0 (deprecated source
 * route) and type 2 (Mobile IPv6) carry it last in their address list, type 4 (SRv6) first.
 */
function finalDestination(d: DecodeState, out: DecodedPacket, off: number, len: number, ipStart: number): void {
  const type = d.buf[off + 2];
  const addrs = (len - 8) >> 4;
  if (addrs < 1) return;
  let at: number;
  if (type === 0 || type === 2) at = off + 8 + ((addrs - 1) << 4);
  else if (type === 4) at = off + 8;
  else return;
  d.v6.text(d.buf, ipStart + 8);
  const srcHash = d.v6.lastHash;
  out.dstIp = d.v6.text(d.buf, at);
  d.addrHash = (srcHash + d.v6.lastHash) | 0;
}

/**
 * Feeds the fragmentable part after the fragment header at d.off. Step.TRANSPORT means the walk goes on at
 * d.off (the reassembled bytes, or a snaplen-cut first fragment) with Next Header out.ipProto.
 */
function reassembleIpv6(d: DecodeState, out: DecodedPacket, fo: number, ipStart: number): StepCode {
  const buf = d.buf;
  const fragHeader = d.off;
  const start = fo & 0xfff8;
  const more = (fo & 1) === 1;
  const dataOff = fragHeader + 8;
  const len = d.end - dataOff;
  if (d.wireLen < 8) return d.fail(out, 'ipv6-ext-bad-length');
  if (len < d.wireLen - 8) {
    // Cut by the snaplen: never reassemblable. A first fragment still shows its upper-layer header (see IPv4).
    if (start !== 0) return d.fail(out, 'ipv6-fragment-truncated');
    d.off = dataOff;
    d.wireLen -= 8;
    out.ipProto = buf[fragHeader];
    return Step.TRANSPORT;
  }
  const id = out.ipId;
  const src = out.srcIp;
  const dst = out.dstIp;
  const ctx = d.ctx;
  out.ipProto = 44;
  const key = ctx + '|6|' + src + '|' + dst + '|' + id;
  const label = (): string => `IPv6 datagram ${src} > ${dst} id ${id}` + (ctx === '' ? '' : ` ctx ${ctx}`);
  const r = d.fragments.add(key, label, d.tsUs, start, buf, dataOff, len, more, buf[fragHeader]);
  if (r === FragmentResult.PENDING) return Step.FRAGMENT_PENDING;
  if (r === FragmentResult.DROPPED) return d.fail(out, 'ipv6-fragment-dropped');
  const data = d.fragments.completed;
  // The original datagram: IPv6 header + unfragmentable extension headers + the reassembled part.
  out.l3Len = fragHeader - ipStart + data.length;
  out.reassembled = true;
  out.ipProto = d.fragments.completedNextHeader;
  d.buf = data;
  d.off = 0;
  d.end = data.length;
  d.wireLen = data.length;
  return Step.TRANSPORT;
}
