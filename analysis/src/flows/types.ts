// Types of the flow table: finished flow records (l4_flow_log rows), per-second network metrics, and the L7 stream interface.
import type { DecodedPacket } from '../decode/types.js';

/** How the client/server sides of a flow were decided. */
export type SideSource = 'handshake' | 'port' | 'first-packet';

/**
 * Why a flow ended, following DeepFlow's close_type names (stored as text in l4_flow_log.close_type).
 * Setup failures carry the side that failed.
 */
export type CloseType =
  | 'unknown'
  | 'normal' // FIN both ways (DeepFlow tcp-fin)
  | 'client-reset' // RST from the client after establishment (tcp-client-rst)
  | 'server-reset' // RST from the server after establishment (tcp-server-rst)
  | 'timeout' // idle past the timeout while established or not TCP
  | 'client-half-close' // client sent FIN, server never did before timeout
  | 'server-half-close' // server sent FIN, client never did before timeout
  | 'client-syn-repeat' // setup failure: SYN retransmitted, no SYN/ACK (server no response)
  | 'server-synack-repeat' // setup failure: SYN/ACK retransmitted, no final ACK (client no response)
  | 'server-reset-on-syn' // setup failure: server answered the SYN with RST (port closed / direct reset)
  | 'client-reset-on-setup' // setup failure: client reset during the handshake
  | 'client-source-port-reuse' // a new SYN reused the 5-tuple before the old flow ended
  | 'forced-report' // still open at the end of the capture
  ;

export type FlowDirection = 0 | 1; // 0 = client → server (tx), 1 = server → client (rx)

/** One finished flow = one row of l4_flow_log. Times in µs since epoch; durations in µs; -1 = not measured. */
export interface FlowRecord {
  flowId: number;
  observationPointId: number;
  /** Encapsulation context (VLANs / tunnel) the flow was seen in, '' when none. */
  ctx: string;
  vlan: number; // innermost VLAN id, 0 when none
  tunnelType: string;
  tunnelId: number;
  ipVersion: 4 | 6;
  ip0: string; // client
  ip1: string; // server
  clientPort: number;
  serverPort: number;
  protocol: number; // IP protocol number (6, 17, 1, 58 ...)
  sideSource: SideSource;
  packetTx: number;
  packetRx: number;
  byteTx: number; // frame bytes (original length) client → server
  byteRx: number;
  l3ByteTx: number; // IP bytes
  l3ByteRx: number;
  l4ByteTx: number; // transport payload bytes
  l4ByteRx: number;
  startTime: number;
  endTime: number;
  duration: number;
  /** Handshake: rtt = ACK − SYN, rtt_client = ACK − SYN/ACK, rtt_server = SYN/ACK − SYN. */
  rtt: number;
  rttClient: number;
  rttServer: number;
  /** System response time: data/FIN from client → ACK from server (DeepFlow srt). */
  srtSum: number;
  srtCount: number;
  srtMax: number;
  /** Application response time: last client data → first server data (DeepFlow art). */
  artSum: number;
  artCount: number;
  artMax: number;
  /** Client idle time: server data → next client request data (DeepFlow cit). */
  citSum: number;
  citCount: number;
  citMax: number;
  retransTx: number;
  retransRx: number;
  zeroWinTx: number;
  zeroWinRx: number;
  oooTx: number;
  oooRx: number;
  synCount: number;
  synackCount: number;
  synRetrans: number;
  synackRetrans: number;
  rstTx: number; // RST segments sent by the client
  rstRx: number; // RST segments sent by the server
  finTx: number;
  finRx: number;
  closeType: CloseType;
  /** 'ok' | 'client-error' | 'server-error' | 'timeout', derived from closeType like DeepFlow's status. */
  status: string;
  /** TCP flags seen (OR) per direction. */
  tcpFlagsTx: number;
  tcpFlagsRx: number;
  /** Frame numbers of the first and last packet, for export and drill-down. */
  firstFrame: number;
  lastFrame: number;
}

/** Per-second network metrics of one edge (client ip, server ip, server port, protocol) at one observation point. */
export interface NetMetricsRow {
  time: number; // µs since epoch, floored to the second
  observationPointId: number;
  ip0: string;
  ip1: string;
  serverPort: number;
  protocol: number;
  packetTx: number;
  packetRx: number;
  byteTx: number;
  byteRx: number;
  newFlow: number;
  closedFlow: number;
  retransTx: number;
  retransRx: number;
  zeroWinTx: number;
  zeroWinRx: number;
  synCount: number;
  synackCount: number;
  rstTx: number;
  rstRx: number;
  rttSum: number;
  rttCount: number;
  rttMax: number;
  srtSum: number;
  srtCount: number;
  srtMax: number;
  artSum: number;
  artCount: number;
  artMax: number;
  /** Flows that ended in a setup failure / reset / timeout during this second. */
  setupFailures: number;
  resets: number;
  timeouts: number;
}

/** Read-only view of a live flow handed to stream consumers (L7 stage). */
export interface FlowHandle {
  readonly flowId: number;
  readonly observationPointId: number;
  readonly protocol: number;
  readonly ip0: string;
  readonly ip1: string;
  readonly clientPort: number;
  readonly serverPort: number;
  readonly sideSource: SideSource;
  /** Free slot for the L7 stage's per-connection state (parser choice, buffers). */
  l7: unknown;
}

/**
 * Consumer of in-order transport payload (the L7 stage). TCP data arrives reassembled, in sequence order,
 * once per byte; UDP datagrams arrive one call each. `seq` is the TCP sequence number of data[0]
 * (0 for UDP). `data` is a view valid only during the call.
 */
export interface StreamConsumer {
  onData(flow: FlowHandle, dir: FlowDirection, tsUs: number, seq: number, data: Buffer, frameNumber: number): void;
  /** Bytes that will never arrive (capture loss or reassembly buffer overflow) at `seq` in `dir`. */
  onGap(flow: FlowHandle, dir: FlowDirection, tsUs: number, seq: number, length: number): void;
  /** The flow ended; no more calls for it. */
  onEnd(flow: FlowHandle, record: FlowRecord): void;
}

/** Sinks the flow table reports to. All callbacks are synchronous. */
export interface FlowSinks {
  flow(record: FlowRecord): void;
  metrics(row: NetMetricsRow): void;
  /** Optional L7 stage; when absent the table keeps no reassembly buffers. */
  stream?: StreamConsumer;
  violation?(kind: string, message: string, frameNumber: number): void;
}

export interface FlowTableOptions {
  /** Idle timeout of established TCP flows (µs of capture time). */
  tcpEstablishedTimeoutUs?: number;
  /** Idle timeout of TCP flows in setup or closing, and of UDP/ICMP flows. */
  shortTimeoutUs?: number;
  /** Max bytes of out-of-order data buffered per direction before a gap is declared. */
  maxReassemblyBytesPerDir?: number;
  /** First flow id to assign (flow ids are unique per database). */
  firstFlowId?: number;
  /** How long (µs of capture time, idle) a closed flow (both FINs acknowledged, or RST) stays in the table before it is emitted. */
  closedLingerUs?: number;
  /** Per-second metrics rows of second S are handed to `sinks.metrics` once capture time passes S + 1 s + this delay. */
  metricsFlushDelayUs?: number;
}

/** Counters of the flow table, for the import summary and tests. */
export interface FlowTableStats {
  /** Packets that reached a flow. */
  packets: number;
  /** Packets skipped because the decoder gave no IP packet (not-ip, fragment-pending, malformed). */
  ignoredPackets: number;
  activeFlows: number;
  peakActiveFlows: number;
  flowsCreated: number;
  flowsEmitted: number;
  metricsRowsEmitted: number;
  /** Packets whose timestamp fell before a per-second metrics row already handed out (counted into the oldest open second). */
  lateMetricsPackets: number;
  /** Out-of-order TCP payload bytes held for reassembly right now. */
  reassemblyBytesHeld: number;
  /** Gaps declared to the stream consumer, and the bytes they cover. */
  reassemblyGaps: number;
  reassemblyGapBytes: number;
}

export type { DecodedPacket };
