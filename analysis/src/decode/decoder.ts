// PacketDecoder: runs the layer decoders from the capture link type down to the innermost IP packet and transport.
import { DecodeState, Step, clearVlans } from './decode-state.js';
import type { StepCode } from './decode-state.js';
import { decodeEthernet, dispatchEtherType } from './ethernet.js';
import { FragmentReassembler } from './ip-fragments.js';
import type { FragmentStats } from './ip-fragments.js';
import { Ipv4TextCache, Ipv6TextCache } from './ip-format.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeIpAny, decodeNflog, decodeNull, decodeSll, decodeSll2 } from './link-layers.js';
import { decodeMpls } from './mpls.js';
import { decodePpp } from './ppp.js';
import { decodeTransport } from './transport.js';
import { LinkType } from './types.js';
import type { DecodedPacket, DecoderOptions, DecodeStatus, DecodeViolation } from './types.js';
import { UdpTunnel, decodeNsh } from './udp-tunnels.js';

/** Layer decoders run per frame at most (tunnel depth and header counts are capped lower; this is the backstop). */
const MAX_STEPS = 128;
/** Violations queued between drains; more are counted and summarised so a hostile capture cannot grow memory. */
const MAX_QUEUED_VIOLATIONS = 10_000;

export interface DecoderStats {
  frames: number;
  ok: number;
  notIp: number;
  malformed: number;
  fragmentPending: number;
  /** Frames with at least one tunnel removed. */
  tunnelled: number;
  /** Malformed error codes and not-ip reasons, with counts. */
  reasons: Record<string, number>;
  fragments: FragmentStats;
  /** Violations that did not fit the queue between two drains (summarised as one 'decode-violations-dropped'). */
  violationsDropped: number;
}

/** A fresh DecodedPacket with every field present, so all instances share one hidden class. */
export function newDecodedPacket(): DecodedPacket {
  return {
    status: 'not-ip',
    error: '',
    ctx: '',
    vlans: [],
    tunnelDepth: 0,
    tunnelType: '',
    tunnelId: 0,
    ipVersion: 0,
    srcIp: '',
    dstIp: '',
    ipProto: 0,
    l3Len: 0,
    ttl: 0,
    ipId: 0,
    reassembled: false,
    srcPort: 0,
    dstPort: 0,
    tcpFlags: 0,
    seq: 0,
    ack: 0,
    window: 0,
    mss: -1,
    wscale: -1,
    sackPermitted: false,
    sackBlocks: 0,
    tsVal: 0,
    tsEcr: 0,
    hasTimestamps: false,
    icmpType: 0,
    icmpCode: 0,
    payload: Buffer.alloc(0),
    payloadOffset: 0,
    payloadLen: 0,
    payloadWireLen: 0,
  };
}

/**
 * Decodes captured frames into a caller-owned, reused DecodedPacket. One instance per capture (it holds the
 * fragment reassembly state); not thread-safe, never throws on packet bytes.
 *
 * Per-frame results are the returned status and out.error. Losses that outlive a frame (fragment trains timed
 * out, evicted or overlapping) are queued as violations: collect them with drainViolations(), and call
 * flushFragments() at the end of a capture to turn still-incomplete datagrams into violations too.
 */
export class PacketDecoder {
  private readonly state: DecodeState;
  private readonly fragments: FragmentReassembler;
  private violations: DecodeViolation[] = [];
  private droppedSinceDrain = 0;
  private readonly counters = { frames: 0, ok: 0, notIp: 0, malformed: 0, fragmentPending: 0, tunnelled: 0, violationsDropped: 0 };
  private readonly reasons = new Map<string, number>();

  constructor(opts: DecoderOptions = {}) {
    const table = new Uint8Array(65536);
    const mark = (ports: number[] | undefined, fallback: number[], kind: number): void => {
      for (const port of ports ?? fallback) if (Number.isInteger(port) && port > 0 && port < 65536) table[port] = kind;
    };
    mark(opts.teredoPorts, [3544], UdpTunnel.TEREDO);
    mark(opts.greUdpPorts, [4754], UdpTunnel.GRE);
    mark(opts.vxlanGpePorts, [4790], UdpTunnel.VXLAN_GPE);
    mark(opts.genevePorts, [6081], UdpTunnel.GENEVE);
    mark(opts.vxlanPorts, [4789, 8472], UdpTunnel.VXLAN);
    this.fragments = new FragmentReassembler(
      opts.maxFragmentBytes ?? 4 * 1024 * 1024, // Linux's ipfrag_high_thresh
      opts.fragmentTimeoutUs ?? 30_000_000, // Linux's ipfrag_time
      (v) => this.addViolation(v),
    );
    this.state = new DecodeState(
      {
        maxTunnelDepth: opts.maxTunnelDepth ?? 8,
        sll2InterfaceInCtx: opts.sll2InterfaceInCtx ?? true,
        greKeyInCtx: opts.greKeyInCtx ?? true,
        udpTunnelByPort: table,
      },
      new Ipv4TextCache(),
      new Ipv6TextCache(),
      this.fragments,
    );
  }

  /**
   * Decodes one frame of the given pcap link type captured at tsUs (capture time drives fragment timeouts).
   * `out` is overwritten; it may keep references to `frame` (out.payload) until the next call.
   */
  decode(linkType: number, frame: Buffer, tsUs: number, out: DecodedPacket): DecodeStatus {
    return this.decodeAt(linkType, frame, 0, frame.length, tsUs, out);
  }

  /** decode() of the frame at buf[start, end), without a view of it. */
  decodeAt(linkType: number, buf: Buffer, start: number, end: number, tsUs: number, out: DecodedPacket): DecodeStatus {
    const d = this.state;
    d.reset(buf, start, end, tsUs);
    out.error = '';
    if (out.vlans.length !== 0) clearVlans(out.vlans);
    out.tunnelDepth = 0;
    out.tunnelType = '';
    out.tunnelId = 0;
    out.ipVersion = 0;
    out.reassembled = false;
    if (tsUs >= this.fragments.nextDeadlineUs) this.fragments.expire(tsUs);
    let step: StepCode;
    switch (linkType) {
      case LinkType.ETHERNET:
        step = Step.ETHERNET;
        break;
      case LinkType.RAW:
      case LinkType.RAW_DLT12:
      case LinkType.RAW_DLT14:
        step = Step.IP_ANY;
        break;
      case LinkType.IPV4:
        step = Step.IPV4;
        break;
      case LinkType.IPV6:
        step = Step.IPV6;
        break;
      case LinkType.NULL:
      case LinkType.LOOP:
        step = decodeNull(d, out);
        break;
      case LinkType.LINUX_SLL:
        step = decodeSll(d, out);
        break;
      case LinkType.LINUX_SLL2:
        step = decodeSll2(d, out);
        break;
      case LinkType.NFLOG:
        step = decodeNflog(d, out);
        break;
      case LinkType.PPP:
      case LinkType.PPP_HDLC:
        step = Step.PPP;
        break;
      case LinkType.EXPORTED_PDU:
        // eBPF socket data: the pipeline reads it from the block's options and tags, not as packets.
        step = d.notIp(out, 'exported-pdu');
        break;
      default:
        step = d.notIp(out, 'unsupported-link-type');
    }
    for (let n = 0; n < MAX_STEPS; n++) {
      switch (step) {
        case Step.ETHERNET:
          step = decodeEthernet(d, out);
          continue;
        case Step.IPV4:
          step = decodeIpv4(d, out);
          continue;
        case Step.TRANSPORT:
          step = decodeTransport(d, out);
          continue;
        case Step.IPV6:
          step = decodeIpv6(d, out);
          continue;
        case Step.ETHERTYPE:
          step = dispatchEtherType(d, out);
          continue;
        case Step.IP_ANY:
          step = decodeIpAny(d, out);
          continue;
        case Step.PPP:
          step = decodePpp(d, out);
          continue;
        case Step.MPLS:
          step = decodeMpls(d, out);
          continue;
        case Step.NSH:
          step = decodeNsh(d, out);
          continue;
        case Step.OK:
          return this.finish(out, 'ok');
        case Step.NOT_IP:
          return this.finish(out, 'not-ip');
        case Step.FRAGMENT_PENDING:
          return this.finish(out, 'fragment-pending');
        default:
          return this.finish(out, 'malformed');
      }
    }
    out.error = 'too-many-layers';
    return this.finish(out, 'malformed');
  }

  private finish(out: DecodedPacket, status: DecodeStatus): DecodeStatus {
    const c = this.counters;
    out.status = status;
    out.ctx = this.state.ctx;
    c.frames++;
    if (out.tunnelDepth !== 0) c.tunnelled++;
    switch (status) {
      case 'ok':
        c.ok++;
        break;
      case 'fragment-pending':
        c.fragmentPending++;
        break;
      case 'not-ip':
        c.notIp++;
        this.reasons.set(out.error, (this.reasons.get(out.error) ?? 0) + 1);
        break;
      default:
        c.malformed++;
        this.reasons.set(out.error, (this.reasons.get(out.error) ?? 0) + 1);
    }
    return status;
  }

  /** Reports datagrams still waiting for fragments (call at the end of a capture) as violations. */
  flushFragments(): void {
    this.fragments.flush();
  }

  /** Returns the violations recorded since the last call and clears the queue. */
  drainViolations(): DecodeViolation[] {
    const v = this.violations;
    if (this.droppedSinceDrain > 0) {
      v.push({ kind: 'decode-violations-dropped', message: `${this.droppedSinceDrain} more violations not kept (queue limit ${MAX_QUEUED_VIOLATIONS})` });
      this.droppedSinceDrain = 0;
    }
    this.violations = [];
    return v;
  }

  stats(): DecoderStats {
    return { ...this.counters, reasons: Object.fromEntries(this.reasons), fragments: this.fragments.stats() };
  }

  private addViolation(v: DecodeViolation): void {
    if (this.violations.length < MAX_QUEUED_VIOLATIONS) this.violations.push(v);
    else {
      this.droppedSinceDrain++;
      this.counters.violationsDropped++;
    }
  }
}
