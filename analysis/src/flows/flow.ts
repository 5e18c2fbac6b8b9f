// One live flow of the flow table: identity, sides, per-direction counters, TCP state; becomes a FlowRecord when it ends.
import type { NetMetricsRow, CloseType, FlowHandle, FlowRecord, SideSource } from './types.js';
import type { Schedulable } from './expiry-wheel.js';
import type { IndexedFlow } from './flow-index.js';
import type { MetricsEdge } from './net-metrics.js';
import type { TcpMetrics } from './tcp-metrics.js';
import type { TcpLifecycle } from './tcp-lifecycle.js';
import type { TcpReassembler } from './tcp-reassembly.js';
import { statusOf } from './close-status.js';

/** Identity of a new flow, decided from its first packet. */
export interface FlowIdentity {
  flowId: number;
  observationPointId: number;
  ctx: string;
  vlan: number;
  tunnelType: string;
  tunnelId: number;
  ipVersion: 4 | 6;
  protocol: number;
  ip0: string;
  ip1: string;
  /** Ports as written in the record (0 for protocols without ports). */
  clientPort: number;
  serverPort: number;
  /** The client's port as used in the lookup key (the ICMP class for ICMP), to tell directions apart. */
  clientKeyPort: number;
  /** Lookup endpoints in canonical order (see srcFirst). */
  keyIpA: string;
  keyIpB: string;
  keyPortA: number;
  keyPortB: number;
  sideSource: SideSource;
}

/**
 * Plain fields only, all initialised in the constructor, so every Flow has the same hidden class and the per-packet
 * code stays monomorphic. Direction naming: Tx = client → server, Rx = server → client.
 */
export class Flow implements FlowHandle, MetricsEdge, Schedulable, IndexedFlow<Flow> {
  readonly flowId: number;
  readonly observationPointId: number;
  readonly edgeKey: string;
  readonly ctx: string;
  readonly vlan: number;
  readonly tunnelType: string;
  readonly tunnelId: number;
  readonly ipVersion: 4 | 6;
  readonly protocol: number;
  readonly ip0: string;
  readonly ip1: string;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly clientKeyPort: number;
  readonly keyIpA: string;
  readonly keyIpB: string;
  readonly keyPortA: number;
  readonly keyPortB: number;
  readonly sideSource: SideSource;
  l7: unknown = undefined;
  nextInSlot: Flow | null = null;

  // Table bookkeeping.
  wakeSec = -1;
  emitted = false;
  timeoutUs = 0;
  /** Capture time of the packet that closed the flow (FIN both ways / RST), -1 while open. */
  closeEventTs = -1;
  /** Cached metrics row of the current second. */
  rowSec = -1;
  row: NetMetricsRow | null = null;

  startTime: number;
  lastTs: number;
  firstFrame: number;
  lastFrame: number;
  packetTx = 0;
  packetRx = 0;
  byteTx = 0;
  byteRx = 0;
  l3ByteTx = 0;
  l3ByteRx = 0;
  l4ByteTx = 0;
  l4ByteRx = 0;
  tcpFlagsTx = 0;
  tcpFlagsRx = 0;
  finTx = 0;
  finRx = 0;
  rstTx = 0;
  rstRx = 0;
  srtSum = 0;
  srtCount = 0;
  srtMax = 0;
  artSum = 0;
  artCount = 0;
  artMax = 0;
  citSum = 0;
  citCount = 0;
  citMax = 0;
  /** UDP request/response timing: a client datagram is waiting for the server's. */
  datagramAwaitingReply = false;
  lastRequestTs = 0;

  tcp: TcpMetrics | null = null;
  life: TcpLifecycle | null = null;
  streamTx: TcpReassembler | null = null;
  streamRx: TcpReassembler | null = null;

  constructor(id: FlowIdentity, tsUs: number, frameNumber: number) {
    this.flowId = id.flowId;
    this.observationPointId = id.observationPointId;
    this.ctx = id.ctx;
    this.vlan = id.vlan;
    this.tunnelType = id.tunnelType;
    this.tunnelId = id.tunnelId;
    this.ipVersion = id.ipVersion;
    this.protocol = id.protocol;
    this.ip0 = id.ip0;
    this.ip1 = id.ip1;
    this.clientPort = id.clientPort;
    this.serverPort = id.serverPort;
    this.clientKeyPort = id.clientKeyPort;
    this.keyIpA = id.keyIpA;
    this.keyIpB = id.keyIpB;
    this.keyPortA = id.keyPortA;
    this.keyPortB = id.keyPortB;
    this.sideSource = id.sideSource;
    this.edgeKey = `${id.observationPointId}|${id.ip0}|${id.ip1}|${id.serverPort}|${id.protocol}`;
    this.startTime = tsUs;
    this.lastTs = tsUs;
    this.firstFrame = frameNumber;
    this.lastFrame = frameNumber;
  }

  toRecord(closeType: CloseType): FlowRecord {
    const t = this.tcp;
    return {
      flowId: this.flowId,
      observationPointId: this.observationPointId,
      ctx: this.ctx,
      vlan: this.vlan,
      tunnelType: this.tunnelType,
      tunnelId: this.tunnelId,
      ipVersion: this.ipVersion,
      ip0: this.ip0,
      ip1: this.ip1,
      clientPort: this.clientPort,
      serverPort: this.serverPort,
      protocol: this.protocol,
      sideSource: this.sideSource,
      packetTx: this.packetTx,
      packetRx: this.packetRx,
      byteTx: this.byteTx,
      byteRx: this.byteRx,
      l3ByteTx: this.l3ByteTx,
      l3ByteRx: this.l3ByteRx,
      l4ByteTx: this.l4ByteTx,
      l4ByteRx: this.l4ByteRx,
      startTime: this.startTime,
      endTime: this.lastTs,
      duration: this.lastTs - this.startTime,
      rtt: t === null ? -1 : t.rtt,
      rttClient: t === null ? -1 : t.rttClient,
      rttServer: t === null ? -1 : t.rttServer,
      srtSum: this.srtSum,
      srtCount: this.srtCount,
      srtMax: this.srtMax,
      artSum: this.artSum,
      artCount: this.artCount,
      artMax: this.artMax,
      citSum: this.citSum,
      citCount: this.citCount,
      citMax: this.citMax,
      retransTx: t === null ? 0 : t.client.retransmissions,
      retransRx: t === null ? 0 : t.server.retransmissions,
      zeroWinTx: t === null ? 0 : t.client.zeroWindows,
      zeroWinRx: t === null ? 0 : t.server.zeroWindows,
      oooTx: t === null ? 0 : t.client.outOfOrder,
      oooRx: t === null ? 0 : t.server.outOfOrder,
      synCount: t === null ? 0 : t.synCount,
      synackCount: t === null ? 0 : t.synackCount,
      synRetrans: t === null ? 0 : t.synRetrans,
      synackRetrans: t === null ? 0 : t.synackRetrans,
      rstTx: this.rstTx,
      rstRx: this.rstRx,
      finTx: this.finTx,
      finRx: this.finRx,
      closeType,
      status: statusOf(closeType),
      tcpFlagsTx: this.tcpFlagsTx,
      tcpFlagsRx: this.tcpFlagsRx,
      firstFrame: this.firstFrame,
      lastFrame: this.lastFrame,
    };
  }
}
