// MPLS label stacks (EtherType 0x8847/0x8848, GRE and PPP carry them too) down to IP or a pseudowire's Ethernet.
import { Step } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';

/** Deeper stacks than this are treated as garbage rather than walked. */
const MAX_LABELS = 16;

/**
 * Walks 4-byte label entries to the one with the bottom-of-stack bit, then guesses the payload the way routers
 * and tshark do, from its first nibble: 4 = IPv4, 6 = IPv6, 0 = a pseudowire control word followed by Ethernet.
 * ctx gets 'mpls' but no labels: labels are assigned per direction and would split a conversation in two.
 */
export function decodeMpls(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  let off = d.off;
  for (let n = 0; ; n++) {
    if (n === MAX_LABELS) return d.fail(out, 'mpls-too-deep');
    if (d.end - off < 4) return d.fail(out, 'mpls-truncated');
    const bottom = (buf[off + 2] & 1) === 1;
    off += 4;
    if (bottom) break;
  }
  d.addMplsCtx();
  d.off = off;
  if (d.end - off < 1) return d.notIp(out, 'mpls-empty');
  const nibble = buf[off] >> 4;
  if (nibble === 4) return Step.IPV4;
  if (nibble === 6) return Step.IPV6;
  if (nibble === 0 && d.end - off >= 4 + 14) {
    d.off = off + 4;
    return Step.ETHERNET;
  }
  return d.notIp(out, 'mpls-payload');
}
