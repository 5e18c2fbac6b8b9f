// PPPoE session headers and PPP framing (PPPoE, PPTP enhanced GRE, PPP link types) down to IPv4/IPv6.
import { Step, u16 } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';

/**
 * PPPoE session stage (EtherType 0x8864, RFC 2516): ver/type(1) code(1) session id(2) length(2), then the
 * 2-byte PPP protocol. The session id is the same in both directions, so it keys the flow context.
 */
export function decodePppoeSession(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 8) return d.fail(out, 'pppoe-truncated');
  if (buf[off] !== 0x11) return d.fail(out, 'pppoe-bad-version');
  const session = u16(buf, off + 2);
  const len = u16(buf, off + 4);
  d.addPppoeCtx(session);
  // The length field bounds the PPP frame (Ethernet padding follows short frames).
  if (off + 6 + len < d.end) d.end = off + 6 + len;
  d.off = off + 6;
  return decodePppProtocol(d, out, u16(buf, off + 6), 2);
}

/** A PPP frame: optional address/control 0xff 0x03, then a 1-byte (protocol field compression) or 2-byte protocol. */
export function decodePpp(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  let off = d.off;
  if (d.end - off >= 2 && buf[off] === 0xff && buf[off + 1] === 0x03) off += 2;
  if (d.end - off < 1) return d.notIp(out, 'ppp-empty');
  d.off = off;
  // An odd first byte is a compressed 1-byte protocol (RFC 1661 §6.5): protocol numbers end their high byte even.
  if ((buf[off] & 1) === 1) return decodePppProtocol(d, out, buf[off], 1);
  if (d.end - off < 2) return d.fail(out, 'ppp-truncated');
  return decodePppProtocol(d, out, u16(buf, off), 2);
}

function decodePppProtocol(d: DecodeState, out: DecodedPacket, proto: number, fieldLen: number): StepCode {
  d.off += fieldLen;
  if (proto === 0x0021) return Step.IPV4;
  if (proto === 0x0057) return Step.IPV6;
  if (proto === 0x0281) return Step.MPLS;
  return d.notIp(out, 'ppp-other');
}
