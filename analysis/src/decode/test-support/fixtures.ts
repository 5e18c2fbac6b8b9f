// Crafted frames for every supported layer and tunnel, each with what tshark 4.0 decodes from the same bytes.
import type { DecodedPacket, DecodeStatus } from '../types.js';
import {
  erspan2, erspan3, eth, ethTagged, ext6, frag6, geneve, gre, hex, icmp, ipv4, ipv6, mpls, nullHeader, pppoeSession,
  pptpGre, sll, sll2, tcp, udp, vxlan,
} from './frames.js';

export interface Fixture {
  name: string;
  linkType: number;
  frame: Buffer;
  /** tshark's frame.protocols for these bytes (checked by decoder.tshark.test.ts when tshark is present). */
  tsharkProtocols: string;
  /** Why tshark's addresses/ports differ from Rewind's for these bytes (they are then not compared). */
  tsharkDiffers?: string;
  /** Fields the decoder must produce. */
  expect: Partial<DecodedPacket> & { status: DecodeStatus };
}

// The innermost conversations most fixtures carry.
const C4 = '10.0.0.1';
const S4 = '10.0.0.2';
const C6 = '2001:db8::1';
const S6 = '2001:db8::2';
const T1 = '172.16.0.1'; // tunnel endpoints
const T2 = '172.16.0.2';
const T61 = 'fd00::a';
const T62 = 'fd00::b';

const tcpSeg = tcp({ sp: 40000, dp: 80, seq: 0xfffffff0, ack: 7, flags: 0x18 }, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
const tcp4 = ipv4({ src: C4, dst: S4, proto: 6 }, tcpSeg);
const udp4 = ipv4({ src: C4, dst: S4, proto: 17 }, udp(5353, 53, Buffer.from('query')));
const tcp6 = ipv6({ src: C6, dst: S6, nh: 6 }, tcpSeg);
const udp6 = ipv6({ src: C6, dst: S6, nh: 17 }, udp(5353, 53, Buffer.from('query')));
const ethTcp4 = eth(0x0800, tcp4);

const TCP4 = { srcIp: C4, dstIp: S4, srcPort: 40000, dstPort: 80, ipProto: 6, ipVersion: 4 as const, seq: 0xfffffff0, ack: 7 };
const UDP4 = { srcIp: C4, dstIp: S4, srcPort: 5353, dstPort: 53, ipProto: 17, ipVersion: 4 as const };
const TCP6 = { srcIp: C6, dstIp: S6, srcPort: 40000, dstPort: 80, ipProto: 6, ipVersion: 6 as const };
const UDP6 = { srcIp: C6, dstIp: S6, srcPort: 5353, dstPort: 53, ipProto: 17, ipVersion: 6 as const };
const PLAIN = { ctx: '', tunnelDepth: 0, tunnelType: '' };

const outer4 = (proto: number, payload: Buffer): Buffer => eth(0x0800, ipv4({ src: T1, dst: T2, proto }, payload));
const outerUdp4 = (dp: number, payload: Buffer, sp = 51000): Buffer => outer4(17, udp(sp, dp, payload));

export const fixtures: Fixture[] = [
  // Link layers ----------------------------------------------------------------------------------------------
  // tshark: Ethernet II / IPv4 10.0.0.1 → 10.0.0.2 / TCP 40000 → 80, seq (raw) 4294967280, ack 7.
  { name: 'ethernet ipv4 tcp', linkType: 1, frame: ethTcp4, tsharkProtocols: 'eth:ethertype:ip:tcp:http', expect: { status: 'ok', ...TCP4, ...PLAIN, vlans: [] } },
  // tshark: IPv4 with a 4-byte Router Alert option (header length 24) / TCP 40000 → 80.
  {
    name: 'ipv4 options',
    linkType: 1,
    frame: eth(0x0800, ipv4({ src: C4, dst: S4, proto: 6, options: hex('94 04 00 00') }, tcpSeg)),
    tsharkProtocols: 'eth:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ...PLAIN, l3Len: 24 + tcpSeg.length },
  },
  // tshark: Ethernet / IPv6 2001:db8::1 → 2001:db8::2 / TCP 40000 → 80.
  { name: 'ethernet ipv6 tcp', linkType: 1, frame: eth(0x86dd, tcp6), tsharkProtocols: 'eth:ethertype:ipv6:tcp:http', expect: { status: 'ok', ...TCP6, ...PLAIN, ttl: 64 } },
  // tshark: IEEE 802.3 Ethernet (length 7) / LLC DSAP 0x42 (STP) — not IP.
  { name: '802.3 llc', linkType: 1, frame: Buffer.concat([hex('01 80 c2 00 00 00 02 00 00 00 00 0a 00 07 42 42 03 00 00 00 00')]), tsharkProtocols: 'eth:llc:stp', expect: { status: 'not-ip', error: 'llc' } },
  // tshark: Ethernet / ARP request who-has 10.0.0.2 tell 10.0.0.1 — not IP.
  {
    name: 'arp',
    linkType: 1,
    frame: eth(0x0806, hex('0001 0800 06 04 0001 02000000000a 0a000001 000000000000 0a000002')),
    tsharkProtocols: 'eth:ethertype:arp',
    expect: { status: 'not-ip', error: 'arp' },
  },
  // tshark: Linux cooked capture v1 (protocol 0x0800) / IPv4 / TCP 40000 → 80.
  { name: 'linux sll', linkType: 113, frame: sll(0x0800, tcp4), tsharkProtocols: 'sll:ethertype:ip:tcp:http', expect: { status: 'ok', ...TCP4, ...PLAIN } },
  // tshark: Linux cooked capture v2 (protocol 0x86dd, interface index 7) / IPv6 / UDP 5353 → 53 (DNS).
  { name: 'linux sll2', linkType: 276, frame: sll2(0x86dd, 7, udp6), tsharkProtocols: 'sll:ethertype:ipv6:udp:dns', expect: { status: 'ok', ...UDP6, ctx: 'if7' } },
  // tshark: Null/Loopback family 2 (little-endian) / IPv4 / TCP.
  { name: 'null le ipv4', linkType: 0, frame: nullHeader(2, true, tcp4), tsharkProtocols: 'null:ip:tcp:http', expect: { status: 'ok', ...TCP4, ...PLAIN } },
  // tshark: Null/Loopback family 30 (big-endian, macOS AF_INET6) / IPv6 / TCP.
  { name: 'null be ipv6 (30)', linkType: 0, frame: nullHeader(30, false, tcp6), tsharkProtocols: 'null:ipv6:tcp:http', expect: { status: 'ok', ...TCP6 } },
  // tshark: Null/Loopback family 28 (little-endian, FreeBSD AF_INET6) / IPv6 / TCP.
  { name: 'null le ipv6 (28)', linkType: 0, frame: nullHeader(28, true, tcp6), tsharkProtocols: 'null:ipv6:tcp:http', expect: { status: 'ok', ...TCP6 } },
  // tshark: (shown as 'null') OpenBSD loopback family 24 (big-endian) / IPv6 / UDP.
  { name: 'loop be ipv6 (24)', linkType: 108, frame: nullHeader(24, false, udp6), tsharkProtocols: 'null:ipv6:udp:dns', expect: { status: 'ok', ...UDP6 } },
  // tshark: OpenBSD loopback with family 2 written little-endian: tshark reads LOOP big-endian only and shows data.
  // Rewind accepts either order for both NULL and LOOP (writers disagree).
  {
    name: 'loop le ipv4',
    linkType: 108,
    frame: nullHeader(2, true, udp4),
    tsharkProtocols: 'null:data',
    tsharkDiffers: 'tshark reads LOOP headers big-endian only',
    expect: { status: 'ok', ...UDP4 },
  },
  // tshark: Raw packet data / IPv4 / TCP.
  { name: 'raw 101 ipv4', linkType: 101, frame: tcp4, tsharkProtocols: 'raw:ip:tcp:http', expect: { status: 'ok', ...TCP4 } },
  // tshark: Raw packet data / IPv6 / UDP.
  { name: 'raw 101 ipv6', linkType: 101, frame: udp6, tsharkProtocols: 'raw:ipv6:udp:dns', expect: { status: 'ok', ...UDP6 } },
  // tshark: (LINKTYPE_IPV4, no link layer shown) IPv4 / UDP.
  { name: 'linktype ipv4 228', linkType: 228, frame: udp4, tsharkProtocols: 'ip:udp:dns', expect: { status: 'ok', ...UDP4 } },
  // tshark: (LINKTYPE_IPV6, no link layer shown) IPv6 / TCP.
  { name: 'linktype ipv6 229', linkType: 229, frame: tcp6, tsharkProtocols: 'ipv6:tcp:http', expect: { status: 'ok', ...TCP6 } },
  // tshark: Raw IP (DLT 12 as written by Linux/BSD tools) / IPv4 / TCP.
  { name: 'dlt 12 raw', linkType: 12, frame: tcp4, tsharkProtocols: 'raw:ip:tcp:http', expect: { status: 'ok', ...TCP4 } },
  // tshark: Raw IP (DLT 14, OpenBSD) / IPv6 / TCP.
  { name: 'dlt 14 raw', linkType: 14, frame: tcp6, tsharkProtocols: 'raw:ipv6:tcp:http', expect: { status: 'ok', ...TCP6 } },

  // VLANs, MPLS, PPPoE ---------------------------------------------------------------------------------------
  // tshark: Ethernet / 802.1Q VLAN 100 / IPv4 / UDP 5353 → 53.
  { name: 'vlan', linkType: 1, frame: ethTagged([{ tpid: 0x8100, id: 100 }], 0x0800, udp4), tsharkProtocols: 'eth:ethertype:vlan:ethertype:ip:udp:dns', expect: { status: 'ok', ...UDP4, ctx: 'v100', vlans: [100] } },
  // tshark: Ethernet / 802.1ad S-tag 200 / 802.1Q C-tag 100 / IPv4 / TCP.
  {
    name: 'qinq 802.1ad',
    linkType: 1,
    frame: ethTagged([{ tpid: 0x88a8, id: 200 }, { tpid: 0x8100, id: 100 }], 0x0800, tcp4),
    tsharkProtocols: 'eth:ethertype:ieee8021ad:ethertype:vlan:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: 'v200.100', vlans: [200, 100] },
  },
  // tshark: Ethernet / VLAN 10 (TPID 0x9100) / VLAN 20 / VLAN 30 / IPv4 / TCP.
  {
    name: 'qinqinq 0x9100',
    linkType: 1,
    frame: ethTagged([{ tpid: 0x9100, id: 10 }, { tpid: 0x8100, id: 20 }, { tpid: 0x8100, id: 30 }], 0x0800, tcp4),
    tsharkProtocols: 'eth:ethertype:vlan:ethertype:vlan:ethertype:vlan:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: 'v10.20.30', vlans: [10, 20, 30] },
  },
  // tshark: Ethernet / VLAN 0 (priority tag) / IPv6 / TCP.
  { name: 'vlan 0', linkType: 1, frame: ethTagged([{ tpid: 0x8100, id: 0 }], 0x86dd, tcp6), tsharkProtocols: 'eth:ethertype:vlan:ethertype:ipv6:tcp:http', expect: { status: 'ok', ...TCP6, ctx: 'v0', vlans: [0] } },
  // tshark: Ethernet / MPLS label 16 / MPLS label 17 (bottom) / IPv4 / TCP.
  { name: 'mpls stack', linkType: 1, frame: eth(0x8847, mpls([16, 17], tcp4)), tsharkProtocols: 'eth:ethertype:mpls:ip:tcp:http', expect: { status: 'ok', ...TCP4, ctx: 'mpls' } },
  // tshark: Ethernet / MPLS label 299776 (bottom) / IPv6 / UDP.
  { name: 'mpls ipv6', linkType: 1, frame: eth(0x8847, mpls([299776], udp6)), tsharkProtocols: 'eth:ethertype:mpls:ipv6:udp:dns', expect: { status: 'ok', ...UDP6, ctx: 'mpls' } },
  // tshark: Ethernet / MPLS label 16 / then its heuristic tries Ethernet without control word and shows data. With
  // -d mpls.label==16,pwethcw: PW control word / Ethernet / IPv4 / UDP 5353 → 53, which is what Rewind decodes.
  {
    name: 'mpls ethernet pseudowire with control word',
    linkType: 1,
    frame: eth(0x8847, mpls([16], Buffer.concat([hex('00000000'), eth(0x0800, udp4)]))),
    tsharkProtocols: 'eth:ethertype:mpls:pwethheuristic:pwethnocw:eth:ethertype:data',
    tsharkDiffers: 'tshark needs -d mpls.label==16,pwethcw',
    expect: { status: 'ok', ...UDP4, ctx: 'mpls' },
  },
  // tshark: Ethernet / PPPoE session 0x1234 / PPP (IPv4) / IPv4 / UDP.
  { name: 'pppoe', linkType: 1, frame: eth(0x8864, pppoeSession(0x1234, 0x0021, udp4)), tsharkProtocols: 'eth:ethertype:pppoes:ppp:ip:udp:dns', expect: { status: 'ok', ...UDP4, ctx: 'pppoe:4660' } },
  // tshark: Ethernet / VLAN 2474 / VLAN 3704 / PPPoE session 7 / PPP (IPv6) / IPv6 / TCP.
  {
    name: 'pppoe over qinq',
    linkType: 1,
    frame: ethTagged([{ tpid: 0x8100, id: 2474 }, { tpid: 0x8100, id: 3704 }], 0x8864, pppoeSession(7, 0x0057, tcp6)),
    tsharkProtocols: 'eth:ethertype:vlan:ethertype:vlan:ethertype:pppoes:ppp:ipv6:tcp:http',
    expect: { status: 'ok', ...TCP6, ctx: 'v2474.3704|pppoe:7', vlans: [2474, 3704] },
  },

  // IPv6 extension headers -----------------------------------------------------------------------------------
  // tshark: IPv6 / hop-by-hop (PadN) / destination options / routing type 0 (one address) / UDP 5353 → 53.
  {
    name: 'ipv6 ext headers',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: C6, dst: S6, nh: 0 }, Buffer.concat([
      ext6(60, hex('01 04 00 00 00 00')),
      ext6(43, hex('01 04 00 00 00 00')),
      // routing header type 0, segments left 0, reserved, one address
      Buffer.concat([hex('11 02 00 00 00 00 00 00'), hex('2001 0db8 0000 0000 0000 0000 0000 0099')]),
      udp(5353, 53, Buffer.from('query')),
    ]))),
    tsharkProtocols: 'eth:ethertype:ipv6:ipv6.hopopts:ipv6.dstopts:ipv6.routing:udp:dns',
    expect: { status: 'ok', ...UDP6 },
  },
  // tshark: IPv6 / AH (SPI 0x100, 12-byte ICV) / TCP 40000 → 80.
  {
    name: 'ipv6 ah',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: C6, dst: S6, nh: 51 }, Buffer.concat([hex('06 04 0000 00000100 00000001 000000000000000000000000'), tcpSeg]))),
    tsharkProtocols: 'eth:ethertype:ipv6:ah:tcp:http',
    expect: { status: 'ok', ...TCP6 },
  },
  // tshark: IPv6 / ESP (SPI 0x1001) — encrypted, nothing further.
  {
    name: 'ipv6 esp',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: C6, dst: S6, nh: 50 }, hex('00001001 00000001 deadbeefdeadbeef'))),
    tsharkProtocols: 'eth:ethertype:ipv6:esp',
    expect: { status: 'ok', srcIp: C6, dstIp: S6, ipProto: 50, payloadLen: 16, srcPort: 0, dstPort: 0 },
  },
  // tshark: IPv6 / next header 59 (no next header).
  { name: 'ipv6 no next header', linkType: 1, frame: eth(0x86dd, ipv6({ src: C6, dst: S6, nh: 59 }, Buffer.alloc(0))), tsharkProtocols: 'eth:ethertype:ipv6', expect: { status: 'ok', ipProto: 59, payloadLen: 0 } },
  // tshark: IPv6 / fragment header offset 0, M = 0 (atomic fragment, id 0xabcd) / TCP 40000 → 80.
  {
    name: 'ipv6 atomic fragment',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: C6, dst: S6, nh: 44 }, Buffer.concat([frag6(6, 0, false, 0xabcd), tcpSeg]))),
    tsharkProtocols: 'eth:ethertype:ipv6:ipv6.fraghdr:tcp:http',
    expect: { status: 'ok', ...TCP6, ipId: 0xabcd, reassembled: false },
  },

  // ICMP -------------------------------------------------------------------------------------------------------
  // tshark: IPv4 / ICMP echo request id 0x4242 seq 1.
  {
    name: 'icmp echo',
    linkType: 1,
    frame: eth(0x0800, ipv4({ src: C4, dst: S4, proto: 1 }, icmp(8, 0, hex('4242 0001'), Buffer.from('ping')))),
    tsharkProtocols: 'eth:ethertype:ip:icmp:data',
    expect: { status: 'ok', ipProto: 1, icmpType: 8, icmpCode: 0, srcPort: 0x4242, dstPort: 0x4242, payloadLen: 4 },
  },
  // tshark: IPv4 / ICMP destination unreachable (port unreachable) quoting IPv4 / UDP 5353 → 53.
  {
    name: 'icmp unreachable',
    linkType: 1,
    frame: eth(0x0800, ipv4({ src: S4, dst: C4, proto: 1 }, icmp(3, 3, hex('0000 0000'), udp4.subarray(0, 28)))),
    tsharkProtocols: 'eth:ethertype:ip:icmp:ip:udp',
    expect: { status: 'ok', srcIp: S4, dstIp: C4, ipProto: 1, icmpType: 3, icmpCode: 3, srcPort: 0, dstPort: 0, payloadLen: 28 },
  },
  // tshark: IPv6 / ICMPv6 echo reply id 7.
  {
    name: 'icmpv6 echo reply',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: S6, dst: C6, nh: 58 }, icmp(129, 0, hex('0007 0001')))),
    tsharkProtocols: 'eth:ethertype:ipv6:icmpv6',
    expect: { status: 'ok', ipProto: 58, icmpType: 129, srcPort: 7, dstPort: 7 },
  },

  // UDP tunnels ------------------------------------------------------------------------------------------------
  // tshark: Ethernet / IPv4 172.16.0.1 → 172.16.0.2 / UDP 51000 → 4789 / VXLAN VNI 42 / Ethernet / IPv4 / TCP.
  {
    name: 'vxlan',
    linkType: 1,
    frame: outerUdp4(4789, vxlan(42, ethTcp4)),
    tsharkProtocols: 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `vxlan:42@${T1},${T2}`, tunnelType: 'vxlan', tunnelId: 42, tunnelDepth: 1 },
  },
  // tshark: the reverse direction: IPv4 172.16.0.2 → 172.16.0.1 / UDP → 4789 / VXLAN VNI 42 / ... / TCP 80 → 40000.
  {
    name: 'vxlan reverse direction shares ctx',
    linkType: 1,
    frame: eth(0x0800, ipv4({ src: T2, dst: T1, proto: 17 }, udp(40001, 4789, vxlan(42, eth(0x0800, ipv4({ src: S4, dst: C4, proto: 6 }, tcp({ sp: 80, dp: 40000 }))))))),
    tsharkProtocols: 'eth:ethertype:ip:udp:vxlan:eth:ethertype:ip:tcp',
    expect: { status: 'ok', srcIp: S4, dstIp: C4, srcPort: 80, dstPort: 40000, ctx: `vxlan:42@${T1},${T2}` },
  },
  // tshark: (with the default VXLAN port table, 8472 is not VXLAN; -d udp.port==8472,vxlan shows VXLAN VNI 1) — plain
  // decoding stops at UDP 51000 → 8472 data. Rewind treats 8472 (Linux/flannel default) as VXLAN.
  {
    name: 'vxlan on 8472',
    linkType: 1,
    frame: outerUdp4(8472, vxlan(1, eth(0x0800, udp4))),
    tsharkProtocols: 'eth:ethertype:ip:udp:data',
    tsharkDiffers: 'tshark needs -d udp.port==8472,vxlan',
    expect: { status: 'ok', ...UDP4, ctx: `vxlan:1@${T1},${T2}`, tunnelId: 1 },
  },
  // tshark: Ethernet / IPv6 fd00::a → fd00::b / UDP → 4789 / VXLAN VNI 27 / Ethernet / IPv6 / TCP.
  {
    name: 'vxlan over ipv6',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: T62, dst: T61, nh: 17 }, udp(50000, 4789, vxlan(27, eth(0x86dd, tcp6))))),
    tsharkProtocols: 'eth:ethertype:ipv6:udp:vxlan:eth:ethertype:ipv6:tcp:http',
    expect: { status: 'ok', ...TCP6, ctx: `vxlan:27@${T61},${T62}` },
  },
  // tshark: Ethernet / VLAN 5 / IPv4 / UDP / VXLAN VNI 1111 / Ethernet / VLAN 10 / IPv4 / TCP.
  {
    name: 'vlan vxlan vlan',
    linkType: 1,
    frame: ethTagged([{ tpid: 0x8100, id: 5 }], 0x0800, ipv4({ src: T1, dst: T2, proto: 17 }, udp(51000, 4789, vxlan(1111, ethTagged([{ tpid: 0x8100, id: 10 }], 0x0800, tcp4))))),
    tsharkProtocols: 'eth:ethertype:vlan:ethertype:ip:udp:vxlan:eth:ethertype:vlan:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `v5|vxlan:1111@${T1},${T2}|v10`, vlans: [10] },
  },
  // tshark: VXLAN VNI 9 carrying Ethernet / ARP — not IP (the outer UDP is a tunnel, not the flow).
  {
    name: 'vxlan carrying arp',
    linkType: 1,
    frame: outerUdp4(4789, vxlan(9, eth(0x0806, hex('0001 0800 06 04 0001 02000000000a 0a000001 000000000000 0a000002')))),
    tsharkProtocols: 'eth:ethertype:ip:udp:vxlan:eth:ethertype:arp',
    expect: { status: 'not-ip', error: 'arp', ctx: `vxlan:9@${T1},${T2}` },
  },
  // tshark: UDP → 4789 whose flags lack the I bit: tshark still calls it VXLAN (and 4 bytes of Ethernet); Rewind keeps
  // it as plain UDP, since no VNI is valid.
  {
    name: 'vxlan port without I flag',
    linkType: 1,
    frame: outerUdp4(4789, hex('00 00 00 00 00 00 2a 00 ff ff ff ff')),
    tsharkProtocols: 'eth:ethertype:ip:udp:vxlan:eth',
    expect: { status: 'ok', srcIp: T1, dstIp: T2, srcPort: 51000, dstPort: 4789, ipProto: 17, ctx: '', payloadLen: 12 },
  },
  // tshark: IPv4 / UDP → 6081 / GENEVE VNI 0x123456, 8 bytes of options, protocol 0x6558 / Ethernet / IPv4 / UDP.
  {
    name: 'geneve with options',
    linkType: 1,
    frame: outerUdp4(6081, geneve(0x123456, 0x6558, hex('0102 03 01 00000000'), eth(0x0800, udp4))),
    tsharkProtocols: 'eth:ethertype:ip:udp:geneve:eth:ethertype:ip:udp:dns',
    expect: { status: 'ok', ...UDP4, ctx: `geneve:1193046@${T1},${T2}`, tunnelType: 'geneve', tunnelId: 0x123456 },
  },
  // tshark: IPv4 / UDP → 6081 / GENEVE VNI 5, protocol 0x0800 / IPv4 / TCP.
  {
    name: 'geneve ip payload',
    linkType: 1,
    frame: outerUdp4(6081, geneve(5, 0x0800, Buffer.alloc(0), tcp4)),
    tsharkProtocols: 'eth:ethertype:ip:udp:geneve:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `geneve:5@${T1},${T2}` },
  },
  // tshark: IPv4 / UDP → 4790 / VXLAN-GPE VNI 3, next protocol IPv4 / IPv4 / TCP (frame.protocols omits the GPE layer).
  {
    name: 'vxlan-gpe ipv4',
    linkType: 1,
    frame: outerUdp4(4790, Buffer.concat([hex('0c 00 00 01 00 00 03 00'), tcp4])),
    tsharkProtocols: 'eth:ethertype:ip:udp:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `vxlan-gpe:3@${T1},${T2}` },
  },
  // tshark: IPv4 / UDP → 4790 / VXLAN-GPE next protocol NSH / NSH (MD type 2, length 2 words, next IPv4) / IPv4 / UDP.
  {
    name: 'vxlan-gpe nsh',
    linkType: 1,
    frame: outerUdp4(4790, Buffer.concat([hex('0c 00 00 04 00 00 00 00'), hex('0f c2 02 01 00 00 01 ff'), udp4])),
    tsharkProtocols: 'eth:ethertype:ip:udp:nsh:ip:udp:dns',
    expect: { status: 'ok', ...UDP4, ctx: `vxlan-gpe:0@${T1},${T2}` },
  },
  // tshark: IPv4 / UDP → 4754 / GRE (protocol IPv4, key 77) / IPv4 / TCP.
  {
    name: 'gre in udp',
    linkType: 1,
    frame: outerUdp4(4754, gre({ proto: 0x0800, key: 77 }, tcp4)),
    tsharkProtocols: 'eth:ethertype:ip:udp:gre:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `gre:77@${T1},${T2}` },
  },
  // tshark: IPv4 / UDP 3544 → 3544 / Teredo / IPv6 2001:0:: → 2001:db8::2 / ICMPv6 echo request id 1.
  {
    name: 'teredo',
    linkType: 1,
    frame: outerUdp4(3544, ipv6({ src: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dst: S6, nh: 58 }, icmp(128, 0, hex('0001 0001'))), 3544),
    tsharkProtocols: 'eth:ethertype:ip:udp:teredo:ipv6:icmpv6',
    expect: { status: 'ok', srcIp: '2001:0:4136:e378:8000:63bf:3fff:fdd2', dstIp: S6, ipProto: 58, icmpType: 128, ctx: `teredo@${T1},${T2}` },
  },
  // tshark: IPv4 / UDP 3544 → 40000 / Teredo origin indication / IPv6 / UDP.
  {
    name: 'teredo origin indication',
    linkType: 1,
    frame: outerUdp4(40000, Buffer.concat([hex('0000 8c1f 3fff fdd2'), udp6]), 3544),
    tsharkProtocols: 'eth:ethertype:ip:udp:teredo:ipv6:udp:dns',
    expect: { status: 'ok', ...UDP6, ctx: `teredo@${T1},${T2}` },
  },

  // GRE family --------------------------------------------------------------------------------------------------
  // tshark: IPv4 / GRE (no options, protocol IPv4) / IPv4 / TCP.
  { name: 'gre ipv4', linkType: 1, frame: outer4(47, gre({ proto: 0x0800 }, tcp4)), tsharkProtocols: 'eth:ethertype:ip:gre:ip:tcp:http', expect: { status: 'ok', ...TCP4, ctx: `gre@${T1},${T2}`, tunnelType: 'gre', tunnelId: 0 } },
  // tshark: IPv4 / GRE with checksum, key 0x01020304 and sequence 9 / IPv6 / UDP.
  {
    name: 'gre checksum key sequence',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x86dd, csum: true, key: 0x01020304, seq: 9 }, udp6)),
    tsharkProtocols: 'eth:ethertype:ip:gre:ipv6:udp:dns',
    expect: { status: 'ok', ...UDP6, ctx: `gre:16909060@${T1},${T2}`, tunnelId: 0x01020304 },
  },
  // tshark: IPv4 / GRE key 7, transparent Ethernet bridging / Ethernet / VLAN 30 / IPv4 / TCP.
  {
    name: 'gre teb',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x6558, key: 7 }, ethTagged([{ tpid: 0x8100, id: 30 }], 0x0800, tcp4))),
    tsharkProtocols: 'eth:ethertype:ip:gre:eth:ethertype:vlan:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `gre:7@${T1},${T2}|v30`, vlans: [30] },
  },
  // tshark: IPv4 / GRE (sequence 1, protocol 0x88be) / ERSPAN type II session 5 / Ethernet / IPv4 / TCP.
  {
    name: 'erspan type II',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x88be, seq: 1 }, erspan2(5, ethTcp4))),
    tsharkProtocols: 'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `erspan:5@${T1},${T2}`, tunnelType: 'erspan', tunnelId: 5, tunnelDepth: 1 },
  },
  // tshark: IPv4 / GRE (no sequence, 0x88be) / ERSPAN type I (no header) / Ethernet / IPv4 / TCP.
  {
    name: 'erspan type I',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x88be }, ethTcp4)),
    tsharkProtocols: 'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `erspan@${T1},${T2}`, tunnelType: 'erspan' },
  },
  // tshark: IPv4 / GRE (sequence, 0x22eb) / ERSPAN type III session 300 / Ethernet / VLAN 10 / IPv4 / TCP.
  {
    name: 'erspan type III',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x22eb, seq: 2 }, erspan3(300, ethTagged([{ tpid: 0x8100, id: 10 }], 0x0800, tcp4)))),
    tsharkProtocols: 'eth:ethertype:ip:gre:erspan:eth:ethertype:vlan:ethertype:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `erspan:300@${T1},${T2}|v10`, vlans: [10] },
  },
  // tshark: IPv4 / GRE / ERSPAN type III with the O flag and its 8-byte platform subheader / Ethernet / IPv4 / UDP.
  {
    name: 'erspan type III platform subheader',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x22eb, seq: 3 }, erspan3(1, eth(0x0800, udp4), hex('0800 0000 0000 0001')))),
    tsharkProtocols: 'eth:ethertype:ip:gre:erspan:eth:ethertype:ip:udp:dns',
    expect: { status: 'ok', ...UDP4, ctx: `erspan:1@${T1},${T2}` },
  },
  // tshark: IPv4 / enhanced GRE (PPTP call id 0x0101, sequence 5) / PPP (address 0xff, control 0x03, IPv4) / IPv4 / UDP.
  {
    name: 'pptp gre ppp',
    linkType: 1,
    frame: outer4(47, pptpGre(0x0101, 5, Buffer.concat([hex('ff 03 00 21'), udp4]))),
    tsharkProtocols: 'eth:ethertype:ip:gre:ppp:ip:udp:dns',
    expect: { status: 'ok', ...UDP4, ctx: `pptp@${T1},${T2}`, tunnelType: 'pptp', tunnelId: 0x0101 },
  },
  // tshark: IPv4 / enhanced GRE / PPP with compressed protocol field (0x21) / IPv4 / TCP.
  {
    name: 'pptp ppp pfc',
    linkType: 1,
    frame: outer4(47, pptpGre(9, 6, Buffer.concat([hex('21'), tcp4]))),
    tsharkProtocols: 'eth:ethertype:ip:gre:ppp:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `pptp@${T1},${T2}` },
  },
  // tshark: IPv4 / GRE key 0x28, protocol Cisco MetaData (type IPv4 first in GRE, SGT 0) / IPv4 / TCP.
  {
    name: 'gre cisco metadata',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x8909, key: 0x28 }, Buffer.concat([hex('0800 01 01 0001 0000'), tcp4]))),
    tsharkProtocols: 'eth:ethertype:ip:gre:cmd:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `gre:40@${T1},${T2}` },
  },
  // tshark: IPv4 / GRE version 1 (K and S, protocol IPv4, key 0x00010285) — Tencent style — / IPv4 / TCP.
  {
    name: 'gre version 1 carrying ip',
    linkType: 1,
    frame: outer4(47, Buffer.concat([hex('3001 0800 00010285 0000000a'), tcp4])),
    tsharkProtocols: 'eth:ethertype:ip:gre:ip:tcp:http',
    expect: { status: 'ok', ...TCP4, ctx: `gre:66181@${T1},${T2}` },
  },
  // tshark: IPv4 / GRE protocol 0x88b5 (local experimental) / data — Rewind reports the GRE packet itself.
  {
    name: 'gre unknown payload',
    linkType: 1,
    frame: outer4(47, gre({ proto: 0x88b5 }, hex('01 02 03 04'))),
    tsharkProtocols: 'eth:ethertype:ip:gre:data',
    expect: { status: 'ok', srcIp: T1, dstIp: T2, ipProto: 47, ctx: '', tunnelDepth: 0, payloadLen: 8 },
  },

  // IP in IP -----------------------------------------------------------------------------------------------------
  // tshark: IPv4 172.16.0.1 → 172.16.0.2 (protocol 4) / IPv4 / TCP.
  { name: '4in4', linkType: 1, frame: outer4(4, tcp4), tsharkProtocols: 'eth:ethertype:ip:ip:tcp:http', expect: { status: 'ok', ...TCP4, ctx: `ipip@${T1},${T2}`, tunnelType: 'ipip', tunnelDepth: 1 } },
  // tshark: IPv4 (protocol 41) / IPv6 / UDP.
  { name: '6in4', linkType: 1, frame: outer4(41, udp6), tsharkProtocols: 'eth:ethertype:ip:ipv6:udp:dns', expect: { status: 'ok', ...UDP6, ctx: `ipip@${T1},${T2}` } },
  // tshark: IPv6 fd00::a → fd00::b (next header 4) / IPv4 / TCP.
  { name: '4in6', linkType: 1, frame: eth(0x86dd, ipv6({ src: T61, dst: T62, nh: 4 }, tcp4)), tsharkProtocols: 'eth:ethertype:ipv6:ip:tcp:http', expect: { status: 'ok', ...TCP4, ctx: `ipip@${T61},${T62}` } },
  // tshark: IPv6 / IPv6 / IPv6 / UDP (6in6in6).
  {
    name: '6in6in6',
    linkType: 1,
    frame: eth(0x86dd, ipv6({ src: T61, dst: T62, nh: 41 }, ipv6({ src: 'fd01::1', dst: 'fd01::2', nh: 41 }, udp6))),
    tsharkProtocols: 'eth:ethertype:ipv6:ipv6:ipv6:udp:dns',
    expect: { status: 'ok', ...UDP6, ctx: `ipip@${T61},${T62}|ipip@fd01::1,fd01::2`, tunnelDepth: 2 },
  },

  // Truncation and padding -----------------------------------------------------------------------------------
  // tshark: Ethernet / IPv4 (total length 58) / TCP 40000 → 80 with 18 payload bytes, the capture cut after 5 of them.
  {
    name: 'snaplen cut payload',
    linkType: 1,
    frame: ethTcp4.subarray(0, 14 + 20 + 20 + 5),
    tsharkProtocols: 'eth:ethertype:ip:tcp',
    expect: { status: 'ok', ...TCP4, payloadLen: 5, payloadWireLen: 18, l3Len: 58 },
  },
  // tshark: Ethernet / IPv4 / UDP with 5 payload bytes, then Ethernet padding (trailer) to 60 bytes.
  {
    name: 'ethernet padding',
    linkType: 1,
    frame: Buffer.concat([eth(0x0800, udp4), Buffer.alloc(60 - 14 - udp4.length)]),
    tsharkProtocols: 'eth:ethertype:ip:udp:dns',
    expect: { status: 'ok', ...UDP4, payloadLen: 5, payloadWireLen: 5 },
  },
];
