// IPv4 headers (options skipped, checksum not validated) and the hand-off of fragments to the reassembler.
import { Step } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import { FragmentResult } from './ip-fragments.js';
import { formatIpv4 } from './ip-format.js';
import type { DecodedPacket } from './types.js';

export function decodeIpv4(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  const avail = d.end - off;
  if (avail < 20) return d.fail(out, 'ipv4-truncated');
  const vihl = buf[off];
  if (vihl >> 4 !== 4) return d.fail(out, 'ipv4-bad-version');
  const hl = (vihl & 0x0f) << 2;
  if (hl < 20) return d.fail(out, 'ipv4-bad-header-length');
  if (hl > avail) return d.fail(out, 'ipv4-truncated');
  let totalLen = (buf[off + 2] << 8) | buf[off + 3];
  // Total length 0 comes from TCP segmentation offload on the capturing host: trust the captured length.
  if (totalLen === 0) totalLen = avail;
  else if (totalLen < hl) return d.fail(out, 'ipv4-bad-length');
  const src = (buf[off + 12] << 24) | (buf[off + 13] << 16) | (buf[off + 14] << 8) | buf[off + 15];
  const dst = (buf[off + 16] << 24) | (buf[off + 17] << 16) | (buf[off + 18] << 8) | buf[off + 19];
  const proto = buf[off + 9];
  d.addrHash = (Math.imul(src, 0x9e3779b1) + Math.imul(dst, 0x9e3779b1)) | 0;
  out.ipVersion = 4;
  out.srcIp = d.v4.text(src);
  out.dstIp = d.v4.text(dst);
  out.ipProto = proto;
  out.l3Len = totalLen;
  out.ttl = buf[off + 8];
  out.ipId = (buf[off + 4] << 8) | buf[off + 5];
  // Bytes past total length are Ethernet padding or a trailer; fewer mean the snaplen cut the packet.
  d.end = off + totalLen < d.end ? off + totalLen : d.end;
  d.off = off + hl;
  d.wireLen = totalLen - hl;
  const frag = (buf[off + 6] << 8) | buf[off + 7];
  if ((frag & 0x3fff) === 0) return Step.TRANSPORT;
  return reassembleIpv4(d, out, hl, frag, src, dst, proto);
}

function reassembleIpv4(d: DecodeState, out: DecodedPacket, hl: number, frag: number, src: number, dst: number, proto: number): StepCode {
  const start = (frag & 0x1fff) << 3;
  const more = (frag & 0x2000) !== 0;
  const len = d.end - d.off;
  if (len < d.wireLen) {
    // The capture cut this fragment short, so its datagram can never be rebuilt. A first fragment still holds
    // the transport header: decode that (as tshark shows it) instead of losing the packet to the flow.
    return start === 0 ? Step.TRANSPORT : d.fail(out, 'ipv4-fragment-truncated');
  }
  const id = out.ipId;
  const ctx = d.ctx;
  const key = ctx + '|4|' + src + '|' + dst + '|' + proto + '|' + id;
  const label = (): string =>
    `IPv4 datagram ${formatIpv4(src)} > ${formatIpv4(dst)} proto ${proto} id ${id}` + (ctx === '' ? '' : ` ctx ${ctx}`);
  const r = d.fragments.add(key, label, d.tsUs, start, d.buf, d.off, len, more, -1);
  if (r === FragmentResult.PENDING) return Step.FRAGMENT_PENDING;
  if (r === FragmentResult.DROPPED) return d.fail(out, 'ipv4-fragment-dropped');
  const data = d.fragments.completed;
  d.buf = data;
  d.off = 0;
  d.end = data.length;
  d.wireLen = data.length;
  out.reassembled = true;
  out.l3Len = hl + data.length;
  return Step.TRANSPORT;
}
