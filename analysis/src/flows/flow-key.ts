// Flow identity: the ports (or ICMP message class) that key a flow, their canonical order, and the client/server side guess.
import type { DecodedPacket } from '../decode/types.js';
import type { SideSource } from './types.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

/**
 * Ports that are servers even above 1024. Kept short on purpose: it only breaks ties when no handshake was seen,
 * and a wrong entry turns clients into servers.
 */
const SERVICE_PORTS = new Set<number>([
  1433, 1521, 1883, 2049, 2181, 2379, 2380, 3000, 3306, 3389, 4222, 4317, 4318, 5000, 5044, 5432, 5672, 5601, 6379,
  6380, 6443, 7000, 7001, 8000, 8008, 8080, 8081, 8086, 8088, 8123, 8443, 8500, 8848, 8883, 8888, 9000, 9042, 9090,
  9091, 9092, 9093, 9100, 9200, 9300, 9411, 10250, 11211, 14250, 15672, 16686, 20880, 26379, 27017, 50051,
]);

/** Linux picks client ports from 32768 up; a port below that, facing one above, is most likely the listener. */
const EPHEMERAL_FROM = 32768;

export function isServicePort(port: number): boolean {
  return port < 1024 || SERVICE_PORTS.has(port);
}

/**
 * ICMP has no ports: the key's port slot holds message class × 65536 + the decoder's srcPort, which is the echo
 * identifier for echo request/reply (0 for other messages). So each ping session is its own flow, and echo,
 * errors and neighbour discovery between two hosts are separate flows. Records carry ports 0 for ICMP.
 */
export function icmpKeyPort(pkt: DecodedPacket): number {
  const t = pkt.icmpType;
  let cls: number;
  if (pkt.ipProto === PROTO_ICMP) {
    if (t === 0 || t === 8) cls = 1; // echo reply / request
    else if (t === 13 || t === 14) cls = 2; // timestamp
    else if (t === 3 || t === 4 || t === 5 || t === 11 || t === 12) cls = 3; // errors
    else cls = 256 + t;
  } else if (t === 128 || t === 129) cls = 1;
  else if (t < 128) cls = 3; // ICMPv6 errors are types 0..127
  else if (t >= 133 && t <= 137) cls = 4; // neighbour discovery
  else cls = 256 + t;
  return cls * 65536 + (cls === 1 ? pkt.srcPort : 0);
}

/** True when the ICMP message is sent by the responder of its exchange (echo / timestamp reply). */
export function icmpIsReply(pkt: DecodedPacket): boolean {
  const t = pkt.icmpType;
  return pkt.ipProto === PROTO_ICMP ? t === 0 || t === 14 : t === 129;
}

/** True when the ICMP message opens an exchange (echo / timestamp request). */
export function icmpIsRequest(pkt: DecodedPacket): boolean {
  const t = pkt.icmpType;
  return pkt.ipProto === PROTO_ICMP ? t === 8 || t === 13 : t === 128;
}

/**
 * Canonical order of a packet's two endpoints, so both directions find the same flow: true when (srcIp, srcPort)
 * comes first. The IP version needs no slot of its own: IPv4 and IPv6 address texts never compare equal.
 */
export function srcFirst(srcIp: string, srcPort: number, dstIp: string, dstPort: number): boolean {
  return srcIp < dstIp || (srcIp === dstIp && srcPort <= dstPort);
}

/** Side guess when the handshake does not tell: `srcIsClient` says whether the first packet's sender is the client. */
export interface SideGuess {
  srcIsClient: boolean;
  source: SideSource;
}

/**
 * Port heuristics (no handshake seen): a service port (< 1024 or a known service) faces a non-service port → it is
 * the server; both are service ports → the lower is the server; neither: the lower port is the server when it is
 * below the ephemeral range, otherwise (two ephemeral-looking or equal ports) the first packet goes to the server.
 */
export function guessSides(srcPort: number, dstPort: number, out: SideGuess): void {
  if (srcPort !== dstPort) {
    const srcSvc = isServicePort(srcPort);
    const dstSvc = isServicePort(dstPort);
    if (srcSvc !== dstSvc) {
      out.srcIsClient = dstSvc;
      out.source = 'port';
      return;
    }
    if (srcSvc || Math.min(srcPort, dstPort) < EPHEMERAL_FROM) {
      out.srcIsClient = dstPort < srcPort;
      out.source = 'port';
      return;
    }
  }
  out.srcIsClient = true;
  out.source = 'first-packet';
}
