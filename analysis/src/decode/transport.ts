// Dispatch on the innermost IP protocol: TCP, UDP, ICMP/ICMPv6, GRE and IP-in-IP (4in4, 6in4, 4in6, 6in6).
import { Step } from './decode-state.js';
import type { DecodeState, StepCode } from './decode-state.js';
import { decodeGre } from './gre.js';
import { decodeIcmp } from './icmp.js';
import { decodeTcp } from './tcp.js';
import { IpProto } from './types.js';
import type { DecodedPacket } from './types.js';
import { decodeUdp } from './udp.js';

export function decodeTransport(d: DecodeState, out: DecodedPacket): StepCode {
  switch (out.ipProto) {
    case IpProto.TCP:
      return decodeTcp(d, out);
    case IpProto.UDP:
      return decodeUdp(d, out);
    case IpProto.ICMP:
      return decodeIcmp(d, out, false);
    case IpProto.IPV6_ICMP:
      return decodeIcmp(d, out, true);
    case IpProto.GRE:
      d.setPayloadHere(out);
      return decodeGre(d, out);
    case IpProto.IPIP:
    case IpProto.IPV6: {
      d.setPayloadHere(out);
      if (!d.enterTunnel(out, 'ipip', 0, false)) return d.fail(out, 'tunnel-too-deep');
      return out.ipProto === IpProto.IPIP ? Step.IPV4 : Step.IPV6;
    }
    default:
      // Another protocol (ESP, SCTP, IGMP, No Next Header...): an IP packet without ports.
      d.setPayloadHere(out);
      return Step.OK;
  }
}
