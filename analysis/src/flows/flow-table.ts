// The flow table: packets → flows per observation point, TCP metrics and lifecycle, idle expiry, per-second metrics, stream reassembly.
import { TcpFlag } from '../decode/types.js';
import type { CloseType, DecodedPacket, FlowSinks, FlowTableOptions, FlowTableStats, NetMetricsRow, StreamConsumer } from './types.js';
import { isReset, isSetupFailure } from './close-status.js';
import { ExpiryWheel } from './expiry-wheel.js';
import { Flow } from './flow.js';
import type { FlowIdentity } from './flow.js';
import { FlowIndex } from './flow-index.js';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, guessSides, icmpIsReply, icmpIsRequest, icmpKeyPort, srcFirst } from './flow-key.js';
import type { SideGuess } from './flow-key.js';
import { NetMetricsAggregator } from './net-metrics.js';
import {
  A_ANY_RETRANSMISSION, A_ZERO_WINDOW, ART_MAX_US, M_ART, M_CIT, M_RTT, M_SRT, TcpMetrics,
} from './tcp-metrics.js';
import { TCP_CLOSED, TcpLifecycle } from './tcp-lifecycle.js';
import { ReassemblyCounters, TcpReassembler } from './tcp-reassembly.js';

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;
const US_PER_S = 1_000_000;

export const DEFAULT_TCP_ESTABLISHED_TIMEOUT_US = 300 * US_PER_S;
export const DEFAULT_SHORT_TIMEOUT_US = 30 * US_PER_S;
export const DEFAULT_CLOSED_LINGER_US = 2 * US_PER_S;
export const DEFAULT_MAX_REASSEMBLY_BYTES_PER_DIR = 1 << 20;
export const DEFAULT_METRICS_FLUSH_DELAY_US = 5 * US_PER_S;

/**
 * Time is capture time only (the tsUs passed in). Flows are keyed per observation point by encapsulation context,
 * protocol and both (address, port) endpoints in canonical order (FlowIndex); a flow leaves the index when it is
 * emitted, so memory follows the number of concurrently active flows, not the capture size. Expiry is checked once
 * per capture second through an ExpiryWheel, and lazily when a packet finds an idle flow.
 */
export class FlowTable {
  private readonly flows = new FlowIndex<Flow>();
  private readonly wheel = new ExpiryWheel<Flow>();
  private readonly metrics: NetMetricsAggregator;
  private readonly stream: StreamConsumer | undefined;
  private readonly reassembly = new ReassemblyCounters();
  private readonly establishedUs: number;
  private readonly shortUs: number;
  private readonly lingerUs: number;
  private readonly maxHeldBytes: number;
  private readonly side: SideGuess = { srcIsClient: true, source: 'port' };
  private readonly visitDue: (flow: Flow) => void;
  private nextFlowId: number;
  private nowUs = -Infinity;
  private nextSweepUs = -Infinity;
  private packets = 0;
  private ignoredPackets = 0;
  private flowsCreated = 0;
  private flowsEmitted = 0;
  private peakActiveFlows = 0;
  private lateMetricsPackets = 0;

  constructor(
    private readonly sinks: FlowSinks,
    opts: FlowTableOptions = {},
  ) {
    this.establishedUs = opts.tcpEstablishedTimeoutUs ?? DEFAULT_TCP_ESTABLISHED_TIMEOUT_US;
    this.shortUs = opts.shortTimeoutUs ?? DEFAULT_SHORT_TIMEOUT_US;
    this.lingerUs = opts.closedLingerUs ?? DEFAULT_CLOSED_LINGER_US;
    this.maxHeldBytes = opts.maxReassemblyBytesPerDir ?? DEFAULT_MAX_REASSEMBLY_BYTES_PER_DIR;
    this.nextFlowId = opts.firstFlowId ?? 1;
    this.stream = sinks.stream;
    const metricsSink = (row: NetMetricsRow): void => sinks.metrics(row);
    this.metrics = new NetMetricsAggregator(metricsSink, opts.metricsFlushDelayUs ?? DEFAULT_METRICS_FLUSH_DELAY_US);
    this.visitDue = (flow) => this.onDue(flow);
  }

  /** A new flow id from the table's sequence (also for flows made outside it, e.g. eBPF sockets). */
  allocateFlowId(): number {
    return this.nextFlowId++;
  }

  ingest(opId: number, pkt: DecodedPacket, tsUs: number, frameLen: number, frameNumber: number): void {
    if (pkt.status !== 'ok' || pkt.ipVersion === 0) {
      this.ignoredPackets++;
      return;
    }
    if (tsUs > this.nowUs) {
      this.nowUs = tsUs;
      if (tsUs >= this.nextSweepUs) this.sweep();
    }
    this.packets++;
    const proto = pkt.ipProto;
    let sPort = 0;
    let dPort = 0;
    if (proto === PROTO_TCP || proto === PROTO_UDP) {
      sPort = pkt.srcPort;
      dPort = pkt.dstPort;
    } else if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
      sPort = dPort = icmpKeyPort(pkt);
    }
    const src = pkt.srcIp;
    const dst = pkt.dstIp;
    const first = srcFirst(src, sPort, dst, dPort);
    let flow = first
      ? this.flows.get(opId, pkt.ctx, proto, src, sPort, dst, dPort)
      : this.flows.get(opId, pkt.ctx, proto, dst, dPort, src, sPort);
    if (flow !== undefined) {
      if (tsUs - flow.lastTs > flow.timeoutUs) {
        this.expire(flow);
        flow = undefined;
      } else if (proto === PROTO_TCP && (pkt.tcpFlags & (SYN | ACK | RST)) === SYN && this.isNewConnection(flow, pkt, src, sPort)) {
        this.end(flow, (flow.life as TcpLifecycle).closeTypeOnPortReuse(), flow.closeEventTs >= 0 ? flow.closeEventTs : tsUs);
        flow = undefined;
      }
    }
    let created = false;
    if (flow === undefined) {
      flow = this.create(first, opId, pkt, tsUs, frameNumber, sPort, dPort);
      created = true;
    }
    const fromClient = src === flow.ip0 && sPort === flow.clientKeyPort;

    if (tsUs > flow.lastTs) flow.lastTs = tsUs;
    flow.lastFrame = frameNumber;
    const sec = Math.floor(tsUs / US_PER_S);
    let row = flow.row;
    if (sec !== flow.rowSec || row === null || sec < this.metrics.openFromSec) {
      const rowSec = this.metrics.secondOf(tsUs);
      if (rowSec !== sec) this.timeRegression(tsUs, frameNumber);
      row = this.metrics.row(rowSec, flow);
      flow.row = row;
      flow.rowSec = rowSec;
    }
    if (created) row.newFlow++;
    if (fromClient) {
      flow.packetTx++;
      flow.byteTx += frameLen;
      flow.l3ByteTx += pkt.l3Len;
      flow.l4ByteTx += pkt.payloadWireLen;
      row.packetTx++;
      row.byteTx += frameLen;
    } else {
      flow.packetRx++;
      flow.byteRx += frameLen;
      flow.l3ByteRx += pkt.l3Len;
      flow.l4ByteRx += pkt.payloadWireLen;
      row.packetRx++;
      row.byteRx += frameLen;
    }
    if (proto === PROTO_TCP) this.tcpSegment(flow, fromClient, pkt, tsUs, frameNumber, row);
    else if (proto === PROTO_UDP) this.udpDatagram(flow, fromClient, pkt, tsUs, frameNumber, row);
  }

  /** A packet older than metrics already handed out: counted into the oldest open second; the first one is reported. */
  private timeRegression(tsUs: number, frameNumber: number): void {
    if (this.lateMetricsPackets++ === 0 && this.sinks.violation !== undefined) {
      const behind = ((this.nowUs - tsUs) / US_PER_S).toFixed(3);
      this.sinks.violation('flow-time-regression', `packet timestamp ${behind} s behind capture time; per-second metrics count it late`, frameNumber);
    }
  }

  /** Capture time moved on without packets for this table (e.g. another source): expire idle flows. */
  advanceTime(tsUs: number): void {
    if (tsUs > this.nowUs) {
      this.nowUs = tsUs;
      if (tsUs >= this.nextSweepUs) this.sweep();
    }
  }

  /** End of input: expire what is idle, report every other flow (forced-report unless already closed), flush all metrics. */
  flush(): void {
    if (this.nowUs > -Infinity) this.sweep();
    const open = this.flows.all();
    open.sort((x, y) => x.flowId - y.flowId);
    for (const flow of open) {
      const closeType: CloseType = flow.life === null ? 'forced-report' : flow.life.closeTypeOnFlush();
      this.end(flow, closeType, flow.closeEventTs >= 0 ? flow.closeEventTs : flow.lastTs);
    }
    this.metrics.flushAll();
  }

  stats(): FlowTableStats {
    return {
      packets: this.packets,
      ignoredPackets: this.ignoredPackets,
      activeFlows: this.flows.size,
      peakActiveFlows: this.peakActiveFlows,
      flowsCreated: this.flowsCreated,
      flowsEmitted: this.flowsEmitted,
      metricsRowsEmitted: this.metrics.rowsEmitted,
      lateMetricsPackets: this.lateMetricsPackets,
      reassemblyBytesHeld: this.reassembly.bytesHeld,
      reassemblyGaps: this.reassembly.gaps,
      reassemblyGapBytes: this.reassembly.gapBytes,
    };
  }

  /** Entries in the expiry schedule, stale ones included (memory-bound tests). */
  scheduledEntries(): number {
    return this.wheel.size;
  }

  // --- per-protocol work -----------------------------------------------------------------------------------------

  private tcpSegment(flow: Flow, fromClient: boolean, pkt: DecodedPacket, tsUs: number, frameNumber: number, row: NetMetricsRow): void {
    const flags = pkt.tcpFlags;
    if (fromClient) {
      flow.tcpFlagsTx |= flags;
      if ((flags & FIN) !== 0) flow.finTx++;
      if ((flags & RST) !== 0) {
        flow.rstTx++;
        row.rstTx++;
      }
    } else {
      flow.tcpFlagsRx |= flags;
      if ((flags & FIN) !== 0) flow.finRx++;
      if ((flags & RST) !== 0) {
        flow.rstRx++;
        row.rstRx++;
      }
    }
    if ((flags & SYN) !== 0) {
      if ((flags & ACK) === 0) row.synCount++;
      else row.synackCount++;
    }
    const tcp = flow.tcp as TcpMetrics;
    const a = tcp.segment(fromClient, flags, pkt.seq, pkt.ack, pkt.window, pkt.payloadWireLen, tsUs);
    if ((a & A_ANY_RETRANSMISSION) !== 0) {
      if (fromClient) row.retransTx++;
      else row.retransRx++;
    }
    if ((a & A_ZERO_WINDOW) !== 0) {
      if (fromClient) row.zeroWinTx++;
      else row.zeroWinRx++;
    }
    if (a >= M_RTT) this.recordTimes(flow, tcp, a, row);
    const life = flow.life as TcpLifecycle;
    if (life.segment(fromClient, flags, pkt.seq, pkt.ack, pkt.payloadWireLen)) this.onStateChange(flow, life, tsUs);
    if (this.stream !== undefined) this.reassemble(flow, fromClient, pkt, tsUs, frameNumber);
  }

  private recordTimes(flow: Flow, tcp: TcpMetrics, a: number, row: NetMetricsRow): void {
    if ((a & M_RTT) !== 0 && tcp.rtt >= 0) {
      row.rttSum += tcp.rtt;
      row.rttCount++;
      if (tcp.rtt > row.rttMax) row.rttMax = tcp.rtt;
    }
    if ((a & M_SRT) !== 0) {
      const v = tcp.lastSrt;
      flow.srtSum += v;
      flow.srtCount++;
      if (v > flow.srtMax) flow.srtMax = v;
      row.srtSum += v;
      row.srtCount++;
      if (v > row.srtMax) row.srtMax = v;
    }
    if ((a & M_ART) !== 0) this.recordArt(flow, tcp.lastArt, row);
    if ((a & M_CIT) !== 0) {
      const v = tcp.lastCit;
      flow.citSum += v;
      flow.citCount++;
      if (v > flow.citMax) flow.citMax = v;
    }
  }

  private recordArt(flow: Flow, v: number, row: NetMetricsRow): void {
    flow.artSum += v;
    flow.artCount++;
    if (v > flow.artMax) flow.artMax = v;
    row.artSum += v;
    row.artCount++;
    if (v > row.artMax) row.artMax = v;
  }

  private onStateChange(flow: Flow, life: TcpLifecycle, tsUs: number): void {
    if (life.state === TCP_CLOSED && flow.closeEventTs < 0) flow.closeEventTs = tsUs;
    flow.timeoutUs = life.timeoutUs(this.establishedUs, this.shortUs, this.lingerUs);
    this.wheel.schedule(flow, flow.lastTs + flow.timeoutUs);
  }

  private reassemble(flow: Flow, fromClient: boolean, pkt: DecodedPacket, tsUs: number, frameNumber: number): void {
    const flags = pkt.tcpFlags;
    if ((flags & RST) !== 0) return; // a reset's payload is a diagnostic, and its ack may be anything
    const fwd = (fromClient ? flow.streamTx : flow.streamRx) as TcpReassembler;
    const rev = (fromClient ? flow.streamRx : flow.streamTx) as TcpReassembler;
    let seq = pkt.seq;
    if ((flags & SYN) !== 0) {
      fwd.syn(seq);
      seq = (seq + 1) >>> 0; // SYN consumes one sequence number; TFO data follows it
    }
    const wireLen = pkt.payloadWireLen;
    if (wireLen > 0) fwd.segment(seq, pkt.payload, pkt.payloadOffset, pkt.payloadLen, wireLen, tsUs, frameNumber);
    if ((flags & FIN) !== 0) fwd.fin((seq + wireLen) >>> 0);
    if ((flags & ACK) !== 0) rev.acked(pkt.ack, tsUs);
  }

  /** UDP: one stream call per datagram; art from a client datagram to the next server datagram (DeepFlow's UDP art). */
  private udpDatagram(flow: Flow, fromClient: boolean, pkt: DecodedPacket, tsUs: number, frameNumber: number, row: NetMetricsRow): void {
    if (fromClient) {
      flow.datagramAwaitingReply = true;
      flow.lastRequestTs = tsUs;
    } else if (flow.datagramAwaitingReply) {
      flow.datagramAwaitingReply = false;
      const art = tsUs - flow.lastRequestTs;
      if (art >= 0 && art <= ART_MAX_US) this.recordArt(flow, art, row);
    }
    const stream = this.stream;
    if (stream === undefined || pkt.payloadWireLen <= 0) return;
    const dir = fromClient ? 0 : 1;
    const off = pkt.payloadOffset;
    stream.onData(flow, dir, tsUs, 0, pkt.payload.subarray(off, off + pkt.payloadLen), frameNumber);
    // A truncated capture kept only part of the datagram: say so rather than let the parser guess.
    if (pkt.payloadLen < pkt.payloadWireLen) stream.onGap(flow, dir, tsUs, 0, pkt.payloadWireLen - pkt.payloadLen);
  }

  // --- flow lifecycle --------------------------------------------------------------------------------------------

  /**
   * A SYN (no ACK) on an existing flow starts a new connection unless its ISN is the one this flow expects from that
   * side: the ISN of an earlier SYN (a retransmission), or ack − 1 of the peer's SYN/ACK (the capture reordered SYN
   * and SYN/ACK). That is tshark's rule for a new tcp.stream ("reused ports").
   */
  private isNewConnection(flow: Flow, pkt: DecodedPacket, src: string, sPort: number): boolean {
    const tcp = flow.tcp as TcpMetrics;
    const fromClient = src === flow.ip0 && sPort === flow.clientKeyPort;
    const peer = fromClient ? tcp.client : tcp.server;
    if (peer.synSeen) return peer.isn !== pkt.seq;
    return !(peer.isnFromPeer && peer.isn === pkt.seq);
  }

  private create(first: boolean, opId: number, pkt: DecodedPacket, tsUs: number, frameNumber: number, sPort: number, dPort: number): Flow {
    const proto = pkt.ipProto;
    const side = this.side;
    let hasPorts = false;
    if (proto === PROTO_TCP) {
      hasPorts = true;
      const f = pkt.tcpFlags & (SYN | ACK | RST);
      if (f === SYN) {
        side.srcIsClient = true;
        side.source = 'handshake';
      } else if (f === (SYN | ACK)) {
        side.srcIsClient = false;
        side.source = 'handshake';
      } else {
        guessSides(sPort, dPort, side);
      }
    } else if (proto === PROTO_UDP) {
      hasPorts = true;
      guessSides(sPort, dPort, side);
    } else if ((proto === PROTO_ICMP || proto === PROTO_ICMPV6) && (icmpIsRequest(pkt) || icmpIsReply(pkt))) {
      // The echo/timestamp request sender is the client: the message type tells, as a handshake would.
      side.srcIsClient = icmpIsRequest(pkt);
      side.source = 'handshake';
    } else {
      side.srcIsClient = true;
      side.source = 'first-packet';
    }
    const s = side.srcIsClient;
    const vlans = pkt.vlans;
    const id: FlowIdentity = {
      flowId: this.allocateFlowId(),
      observationPointId: opId,
      ctx: pkt.ctx,
      vlan: vlans.length > 0 ? vlans[vlans.length - 1] : 0,
      tunnelType: pkt.tunnelType,
      tunnelId: pkt.tunnelId,
      ipVersion: pkt.ipVersion as 4 | 6,
      protocol: proto,
      ip0: s ? pkt.srcIp : pkt.dstIp,
      ip1: s ? pkt.dstIp : pkt.srcIp,
      clientPort: hasPorts ? (s ? sPort : dPort) : 0,
      serverPort: hasPorts ? (s ? dPort : sPort) : 0,
      clientKeyPort: s ? sPort : dPort,
      keyIpA: first ? pkt.srcIp : pkt.dstIp,
      keyIpB: first ? pkt.dstIp : pkt.srcIp,
      keyPortA: first ? sPort : dPort,
      keyPortB: first ? dPort : sPort,
      sideSource: side.source,
    };
    const flow = new Flow(id, tsUs, frameNumber);
    if (proto === PROTO_TCP) {
      flow.tcp = new TcpMetrics();
      const life = new TcpLifecycle();
      life.begin(pkt.tcpFlags);
      flow.life = life;
      flow.timeoutUs = life.timeoutUs(this.establishedUs, this.shortUs, this.lingerUs);
      const stream = this.stream;
      if (stream !== undefined) {
        flow.streamTx = new TcpReassembler(flow, 0, stream, this.maxHeldBytes, this.reassembly);
        flow.streamRx = new TcpReassembler(flow, 1, stream, this.maxHeldBytes, this.reassembly);
      }
    } else {
      flow.timeoutUs = this.shortUs;
    }
    this.flows.add(flow);
    this.flowsCreated++;
    if (this.flows.size > this.peakActiveFlows) this.peakActiveFlows = this.flows.size;
    this.wheel.schedule(flow, tsUs + flow.timeoutUs);
    return flow;
  }

  private sweep(): void {
    const now = this.nowUs;
    this.wheel.due(now, this.visitDue);
    this.metrics.advance(now);
    this.nextSweepUs = (Math.floor(now / US_PER_S) + 1) * US_PER_S;
  }

  private onDue(flow: Flow): void {
    if (flow.emitted) return;
    if (this.nowUs - flow.lastTs > flow.timeoutUs) this.expire(flow);
    else this.wheel.schedule(flow, flow.lastTs + flow.timeoutUs);
  }

  /** The flow has been idle past its timeout. */
  private expire(flow: Flow): void {
    const life = flow.life;
    const closeType: CloseType = life === null ? 'timeout' : life.closeTypeOnIdle();
    this.end(flow, closeType, flow.closeEventTs >= 0 ? flow.closeEventTs : flow.lastTs + flow.timeoutUs);
  }

  /** Emit a flow: stream end, metrics counters at `eventTs` (when it closed or expired), the record. */
  private end(flow: Flow, closeType: CloseType, eventTs: number): void {
    flow.emitted = true;
    this.flows.delete(flow);
    this.flowsEmitted++;
    const row = this.metrics.row(this.metrics.secondOf(eventTs), flow);
    row.closedFlow++;
    if (isSetupFailure(closeType)) row.setupFailures++;
    else if (isReset(closeType)) row.resets++;
    else if (closeType === 'timeout') row.timeouts++;
    const record = flow.toRecord(closeType);
    const stream = this.stream;
    if (stream !== undefined) {
      const tx = flow.streamTx;
      const rx = flow.streamRx;
      if (tx !== null && rx !== null) {
        tx.finish(flow.lastTs);
        rx.finish(flow.lastTs);
        tx.release();
        rx.release();
      }
      if (flow.protocol === PROTO_TCP || flow.protocol === PROTO_UDP) stream.onEnd(flow, record);
    }
    flow.row = null;
    this.sinks.flow(record);
  }
}
