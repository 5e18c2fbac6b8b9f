// TCP header and the options flow metrics need (MSS, window scale, SACK-permitted, SACK blocks, timestamps).
import { Step } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';

export function decodeTcp(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 20) return d.fail(out, 'tcp-truncated');
  const hl = (buf[off + 12] >> 4) << 2;
  if (hl < 20 || hl > d.wireLen) return d.fail(out, 'tcp-bad-offset');
  if (hl > d.end - off) return d.fail(out, 'tcp-truncated');
  out.srcPort = (buf[off] << 8) | buf[off + 1];
  out.dstPort = (buf[off + 2] << 8) | buf[off + 3];
  out.seq = ((buf[off + 4] << 24) | (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7]) >>> 0;
  out.ack = ((buf[off + 8] << 24) | (buf[off + 9] << 16) | (buf[off + 10] << 8) | buf[off + 11]) >>> 0;
  out.tcpFlags = buf[off + 13];
  out.window = (buf[off + 14] << 8) | buf[off + 15];
  out.mss = -1;
  out.wscale = -1;
  out.sackPermitted = false;
  out.sackBlocks = 0;
  out.hasTimestamps = false;
  out.tsVal = 0;
  out.tsEcr = 0;
  if (hl > 20) parseOptions(buf, off + 20, off + hl, out);
  out.payload = buf;
  out.payloadOffset = off + hl;
  out.payloadLen = d.end - off - hl;
  out.payloadWireLen = d.wireLen - hl;
  return Step.OK;
}

/**
 * Option kinds: 0 end, 1 no-op, 2 MSS, 3 window scale, 4 SACK permitted, 5 SACK, 8 timestamps. A length that is
 * wrong for its kind or runs past the header stops the walk (what was read so far stays): tshark flags the same
 * bytes as malformed options, but the segment itself is still good for flow accounting.
 */
function parseOptions(buf: Buffer, p: number, end: number, out: DecodedPacket): void {
  while (p < end) {
    const kind = buf[p];
    if (kind === 0) return;
    if (kind === 1) {
      p++;
      continue;
    }
    if (p + 1 >= end) return;
    const len = buf[p + 1];
    if (len < 2 || p + len > end) return;
    switch (kind) {
      case 2:
        if (len === 4) out.mss = (buf[p + 2] << 8) | buf[p + 3];
        break;
      case 3:
        if (len === 3) out.wscale = buf[p + 2];
        break;
      case 4:
        if (len === 2) out.sackPermitted = true;
        break;
      case 5:
        out.sackBlocks = (len - 2) >> 3;
        break;
      case 8:
        if (len === 10) {
          out.hasTimestamps = true;
          out.tsVal = ((buf[p + 2] << 24) | (buf[p + 3] << 16) | (buf[p + 4] << 8) | buf[p + 5]) >>> 0;
          out.tsEcr = ((buf[p + 6] << 24) | (buf[p + 7] << 16) | (buf[p + 8] << 8) | buf[p + 9]) >>> 0;
        }
        break;
      default:
        break;
    }
    p += len;
  }
}
