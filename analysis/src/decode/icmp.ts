// ICMP and ICMPv6 type/code, with the echo identifier standing in for ports so each ping session is its own flow.
import { Step } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';

/**
 * Flow keying: for echo request/reply (ICMP 8/0, ICMPv6 128/129) srcPort = dstPort = the identifier, so request
 * and reply share a flow and concurrent pings stay apart; every other message gets ports 0/0 (one flow per
 * address pair and protocol). The payload is what follows the 8-byte header (type, code, checksum and the 4
 * message-specific bytes): the echo data or the quoted packet of an error.
 */
export function decodeIcmp(d: DecodeState, out: DecodedPacket, v6: boolean): StepCode {
  const buf = d.buf;
  const off = d.off;
  const avail = d.end - off;
  if (avail < 4) return d.fail(out, v6 ? 'icmpv6-truncated' : 'icmp-truncated');
  const type = buf[off];
  out.icmpType = type;
  out.icmpCode = buf[off + 1];
  const echo = v6 ? type === 128 || type === 129 : type === 8 || type === 0;
  if (echo) {
    if (avail < 8) return d.fail(out, v6 ? 'icmpv6-truncated' : 'icmp-truncated');
    const id = (buf[off + 4] << 8) | buf[off + 5];
    out.srcPort = id;
    out.dstPort = id;
  } else {
    out.srcPort = 0;
    out.dstPort = 0;
  }
  const hl = avail < 8 ? avail : 8;
  out.payload = buf;
  out.payloadOffset = off + hl;
  out.payloadLen = avail - hl;
  out.payloadWireLen = d.wireLen > hl ? d.wireLen - hl : 0;
  return Step.OK;
}
