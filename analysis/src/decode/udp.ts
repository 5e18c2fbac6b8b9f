// UDP header, and the hand-off to UDP-carried tunnels by port.
import { Step } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import type { DecodedPacket } from './types.js';
import { UdpTunnel, decodeUdpTunnel } from './udp-tunnels.js';

export function decodeUdp(d: DecodeState, out: DecodedPacket): StepCode {
  const buf = d.buf;
  const off = d.off;
  if (d.end - off < 8) return d.fail(out, 'udp-truncated');
  if (d.wireLen < 8) return d.fail(out, 'udp-bad-length');
  const sp = (buf[off] << 8) | buf[off + 1];
  const dp = (buf[off + 2] << 8) | buf[off + 3];
  const udpLen = (buf[off + 4] << 8) | buf[off + 5];
  let wire = d.wireLen - 8;
  // The UDP length wins when it fits inside the IP payload (tshark does the same); 0 (jumbograms) or a length
  // past the IP payload is not trusted.
  if (udpLen >= 8 && udpLen - 8 <= wire) {
    wire = udpLen - 8;
    if (off + udpLen < d.end) d.end = off + udpLen;
  }
  out.srcPort = sp;
  out.dstPort = dp;
  out.payload = buf;
  out.payloadOffset = off + 8;
  out.payloadLen = d.end - off - 8;
  out.payloadWireLen = wire;
  // VXLAN, GENEVE, VXLAN-GPE and GRE-in-UDP always go to the well-known port in both directions (the source port
  // is a flow hash), so only the destination counts: a DNS reply to ephemeral port 4789 is not VXLAN. Teredo
  // servers and relays answer from 3544, so for Teredo the source port counts too.
  const table = d.opts.udpTunnelByPort;
  let kind = table[dp];
  if (kind === 0) {
    if (table[sp] !== UdpTunnel.TEREDO) return Step.OK;
    kind = UdpTunnel.TEREDO;
  }
  d.off = off + 8;
  d.wireLen = wire;
  return decodeUdpTunnel(d, out, kind);
}
