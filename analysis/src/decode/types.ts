// Types of the packet decoders: one reusable DecodedPacket filled per frame (no per-packet allocation on the hot path).

/** Link types (pcap LINKTYPE_*) the decoder understands. */
export const LinkType = {
  NULL: 0, // BSD loopback
  ETHERNET: 1,
  RAW: 101, // raw IP (v4 or v6)
  LOOP: 108, // OpenBSD loopback
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  EXPORTED_PDU: 252,
  LINUX_SLL2: 276,
  // Aliases and extras the decoder also accepts.
  PPP: 9,
  RAW_DLT12: 12, // DLT_RAW as most BSDs and Linux number it in files written with the DLT value
  RAW_DLT14: 14, // DLT_RAW on OpenBSD
  PPP_HDLC: 50,
  NFLOG: 239,
} as const;

export const IpProto = { ICMP: 1, TCP: 6, UDP: 17, IPV6_ICMP: 58, GRE: 47, IPIP: 4, IPV6: 41 } as const;

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Result of decoding one frame. */
export type DecodeStatus =
  | 'ok' // an IP packet with its transport header decoded (or an IP packet of another protocol)
  | 'not-ip' // ARP, LLDP, ...: nothing for flows, not an error
  | 'fragment-pending' // IP fragment stored; the datagram is not complete yet
  | 'malformed'; // header truncated or invalid: see `error`

/**
 * The decoder fills one instance per frame. Fields of layers that are absent keep stale values:
 * read them only when the status / ipProto says the layer is there.
 */
export interface DecodedPacket {
  status: DecodeStatus;
  /**
   * Short reason when malformed (e.g. 'ipv4-truncated', 'tcp-bad-offset'). With status 'ok' a non-empty error
   * is an anomaly the packet survived: it still counts for flows, and the importer records it. For 'not-ip' the decoder also names
   * what it stopped at ('arp', 'llc', 'ethertype-other', 'unsupported-link-type', ...); '' otherwise.
   */
  error: string;
  /**
   * Encapsulation context outside the innermost IP header: VLAN ids and tunnel identities, '' when none.
   * Equal 5-tuples with different ctx are different flows. e.g. 'v100.200|vxlan:42@10.0.0.1,10.0.0.2' (tunnel
   * endpoints sorted, so both directions share it); the grammar is documented in decode-state.ts.
   */
  ctx: string;
  /** Outermost-first VLAN ids (802.1Q/802.1ad), as seen on the wire of the innermost Ethernet layer. */
  vlans: number[];
  /** Number of tunnel layers removed (VXLAN, GENEVE, GRE, ERSPAN, IP-in-IP; also VXLAN-GPE, PPTP, Teredo). */
  tunnelDepth: number;
  /**
   * Innermost tunnel kind and id, '' when none (e.g. 'vxlan', 'geneve', 'gre', 'erspan', 'ipip'; also 'vxlan-gpe',
   * 'pptp', 'teredo'). tunnelId: VNI, GRE key (0 without K bit), ERSPAN session, PPTP call id; 0 otherwise.
   */
  tunnelType: string;
  tunnelId: number;
  ipVersion: 0 | 4 | 6;
  /** Innermost IP addresses as text (IPv4 dotted, IPv6 RFC 5952). */
  srcIp: string;
  dstIp: string;
  /** Innermost transport protocol number (after IPv6 extension headers). */
  ipProto: number;
  /** Innermost IP header + payload length, from the IP header (total length / payload length + 40). */
  l3Len: number;
  ttl: number;
  /** IPv4 identification (or IPv6 fragment id), for diagnostics. */
  ipId: number;
  /**
   * True when the transport header came from a reassembled fragment train (l3Len is then the whole datagram's
   * length). 'fragment-pending' frames fill the IP fields (addresses, ipProto, ipId, l3Len, ctx) but not transport.
   */
  reassembled: boolean;
  srcPort: number;
  dstPort: number;
  // TCP
  tcpFlags: number;
  seq: number; // uint32
  ack: number; // uint32
  window: number; // raw, unscaled
  /** TCP options (present in this segment); -1 when absent. */
  mss: number;
  wscale: number;
  sackPermitted: boolean;
  /** Number of SACK blocks in this segment. */
  sackBlocks: number;
  tsVal: number;
  tsEcr: number;
  hasTimestamps: boolean;
  // ICMP / ICMPv6
  icmpType: number;
  icmpCode: number;
  /**
   * Transport payload (TCP/UDP data, or ICMP body). `payload` is the buffer holding it: the frame itself
   * or a reassembly buffer. Bytes actually captured may be fewer than the IP header announces:
   * payloadLen is the captured part, payloadWireLen what the headers say.
   */
  payload: Buffer;
  payloadOffset: number;
  payloadLen: number;
  payloadWireLen: number;
}

export interface DecoderOptions {
  /** UDP ports treated as VXLAN (default [4789, 8472]). */
  vxlanPorts?: number[];
  /** UDP ports treated as GENEVE (default [6081]). */
  genevePorts?: number[];
  /** Max bytes held by the fragment reassembler before it evicts the oldest datagrams. */
  maxFragmentBytes?: number;
  /** Fragment trains older than this (µs of capture time) are dropped and counted. */
  fragmentTimeoutUs?: number;
  /** UDP ports treated as VXLAN-GPE (default [4790]). */
  vxlanGpePorts?: number[];
  /** UDP ports treated as GRE-in-UDP, RFC 8086 (default [4754]). */
  greUdpPorts?: number[];
  /** UDP ports treated as Teredo when the payload is a whole IPv6 packet (default [3544]; [] turns it off). */
  teredoPorts?: number[];
  /** Tunnel layers removed at most before a frame is 'malformed' with 'tunnel-too-deep' (default 8). */
  maxTunnelDepth?: number;
  /** Put the Linux SLL2 interface index into ctx ('if3'), so one packet seen on two interfaces is two flows (default true). */
  sll2InterfaceInCtx?: boolean;
  /**
   * Put the GRE key into ctx (default true), so equal inner 5-tuples under different keys stay apart. Turn off for
   * setups that use a different key per direction (the corpus' erspan.pcap mirrors with keys 0 and 0x02000000),
   * which would otherwise split every conversation in two.
   */
  greKeyInCtx?: boolean;
}

/** A loss the decoder survived, to be recorded in ingest_violations. */
export interface DecodeViolation {
  kind: string;
  message: string;
}
