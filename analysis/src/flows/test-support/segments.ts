// Test helpers: build DecodedPacket objects for TCP segments, UDP datagrams and ICMP messages, and record what a FlowTable emits.
import { TcpFlag } from '../../decode/types.js';
import type { DecodedPacket } from '../../decode/types.js';
import type { FlowDirection, FlowHandle, FlowRecord, FlowSinks, NetMetricsRow, StreamConsumer } from '../types.js';
import type { FlowTable } from '../flow-table.js';

export interface Endpoint {
  ip: string;
  port: number;
}

/** One captured frame for `FlowTable.ingest`. */
export interface Frame {
  ts: number;
  pkt: DecodedPacket;
  frameLen: number;
}

export function basePacket(): DecodedPacket {
  return {
    status: 'ok', error: '', ctx: '', vlans: [], tunnelDepth: 0, tunnelType: '', tunnelId: 0,
    ipVersion: 4, srcIp: '', dstIp: '', ipProto: 6, l3Len: 0, ttl: 64, ipId: 0, reassembled: false,
    srcPort: 0, dstPort: 0, tcpFlags: 0, seq: 0, ack: 0, window: 65535, mss: -1, wscale: -1,
    sackPermitted: false, sackBlocks: 0, tsVal: 0, tsEcr: 0, hasTimestamps: false, icmpType: 0, icmpCode: 0,
    payload: Buffer.alloc(0), payloadOffset: 0, payloadLen: 0, payloadWireLen: 0,
  };
}

/** 'S', 'SA', 'A', 'PA', 'FA', 'R', 'RA', ... → TCP flag bits. */
export function tcpFlags(s: string): number {
  let f = 0;
  for (const ch of s) {
    if (ch === 'S') f |= TcpFlag.SYN;
    else if (ch === 'A') f |= TcpFlag.ACK;
    else if (ch === 'F') f |= TcpFlag.FIN;
    else if (ch === 'R') f |= TcpFlag.RST;
    else if (ch === 'P') f |= TcpFlag.PSH;
    else if (ch === 'U') f |= TcpFlag.URG;
    else throw new Error(`unknown TCP flag letter ${ch}`);
  }
  return f;
}

/** Payload byte at sequence number `seq`: every segment carries the bytes its sequence numbers say, so overlaps agree. */
export function streamByte(seq: number): number {
  return (seq * 7 + 3) & 0xff;
}

/** The bytes of the stream from `seq` for `len` bytes (uint32 wraparound included). */
export function streamBytes(seq: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = streamByte((seq + i) >>> 0);
  return b;
}

export interface SegmentOptions {
  win?: number;
  /** Explicit payload; default: `streamBytes(seq, len)` (after the SYN's sequence number on a SYN). */
  data?: Buffer;
  /** Bytes the headers announce when the capture kept fewer (snaplen). */
  wireLen?: number;
  ctx?: string;
}

const L2_LEN = 14;
const TCP_HDR = 20;
const UDP_HDR = 8;

function ipHeaderLen(ip: string): number {
  return ip.includes(':') ? 40 : 20;
}

export function tcpPacket(src: Endpoint, dst: Endpoint, flags: string, seq: number, ack: number, len = 0, o: SegmentOptions = {}): DecodedPacket {
  const f = tcpFlags(flags);
  const dataSeq = (f & TcpFlag.SYN) !== 0 ? (seq + 1) >>> 0 : seq;
  const data = o.data ?? streamBytes(dataSeq, len);
  const captured = data.length;
  const wire = o.wireLen ?? captured;
  const hdr = L2_LEN + ipHeaderLen(src.ip) + TCP_HDR;
  const frame = Buffer.alloc(hdr + captured);
  data.copy(frame, hdr);
  const p = basePacket();
  p.ctx = o.ctx ?? '';
  p.ipVersion = src.ip.includes(':') ? 6 : 4;
  p.srcIp = src.ip;
  p.dstIp = dst.ip;
  p.ipProto = 6;
  p.l3Len = ipHeaderLen(src.ip) + TCP_HDR + wire;
  p.srcPort = src.port;
  p.dstPort = dst.port;
  p.tcpFlags = f;
  p.seq = seq >>> 0;
  p.ack = ack >>> 0;
  p.window = o.win ?? 65535;
  p.payload = frame;
  p.payloadOffset = hdr;
  p.payloadLen = captured;
  p.payloadWireLen = wire;
  return p;
}

/** A TCP conversation between a client and a server endpoint: `seg(ts, 'c'|'s', flags, seq, ack, len)`. */
export class TcpConversation {
  constructor(
    readonly client: Endpoint = { ip: '10.0.0.1', port: 40000 },
    readonly server: Endpoint = { ip: '10.0.0.2', port: 80 },
  ) {}

  seg(ts: number, from: 'c' | 's', flags: string, seq: number, ack = 0, len = 0, o: SegmentOptions = {}): Frame {
    const [src, dst] = from === 'c' ? [this.client, this.server] : [this.server, this.client];
    const pkt = tcpPacket(src, dst, flags, seq, ack, len, o);
    return { ts, pkt, frameLen: L2_LEN + pkt.l3Len };
  }
}

export function udpFrame(ts: number, src: Endpoint, dst: Endpoint, data: Buffer, wireLen = data.length): Frame {
  const hdr = L2_LEN + ipHeaderLen(src.ip) + UDP_HDR;
  const frame = Buffer.alloc(hdr + data.length);
  data.copy(frame, hdr);
  const p = basePacket();
  p.ipVersion = src.ip.includes(':') ? 6 : 4;
  p.srcIp = src.ip;
  p.dstIp = dst.ip;
  p.ipProto = 17;
  p.l3Len = ipHeaderLen(src.ip) + UDP_HDR + wireLen;
  p.srcPort = src.port;
  p.dstPort = dst.port;
  p.payload = frame;
  p.payloadOffset = hdr;
  p.payloadLen = data.length;
  p.payloadWireLen = wireLen;
  return { ts, pkt: p, frameLen: L2_LEN + p.l3Len };
}

/** An ICMP message; `id` is the echo identifier, which the decoder puts in srcPort and dstPort (0 for other types). */
export function icmpFrame(ts: number, srcIp: string, dstIp: string, type: number, id = 0, bodyLen = 56): Frame {
  const p = basePacket();
  p.srcPort = id;
  p.dstPort = id;
  const v6 = srcIp.includes(':');
  p.ipVersion = v6 ? 6 : 4;
  p.srcIp = srcIp;
  p.dstIp = dstIp;
  p.ipProto = v6 ? 58 : 1;
  p.icmpType = type;
  p.l3Len = ipHeaderLen(srcIp) + 8 + bodyLen;
  p.payload = Buffer.alloc(bodyLen);
  p.payloadLen = bodyLen;
  p.payloadWireLen = bodyLen;
  return { ts, pkt: p, frameLen: L2_LEN + p.l3Len };
}

export type StreamEvent =
  | { kind: 'data'; flowId: number; dir: FlowDirection; ts: number; seq: number; data: Buffer; frame: number }
  | { kind: 'gap'; flowId: number; dir: FlowDirection; ts: number; seq: number; length: number }
  | { kind: 'end'; flowId: number; closeType: string };

/** Sinks that keep everything, with an optional stream consumer that copies what it is given. */
export class Recorder implements FlowSinks {
  readonly flows: FlowRecord[] = [];
  readonly rows: NetMetricsRow[] = [];
  readonly events: StreamEvent[] = [];
  readonly violations: string[] = [];
  stream?: StreamConsumer;

  constructor(withStream = false) {
    if (withStream) {
      const events = this.events;
      this.stream = {
        onData(flow: FlowHandle, dir: FlowDirection, ts: number, seq: number, data: Buffer, frame: number): void {
          events.push({ kind: 'data', flowId: flow.flowId, dir, ts, seq, data: Buffer.from(data), frame });
        },
        onGap(flow: FlowHandle, dir: FlowDirection, ts: number, seq: number, length: number): void {
          events.push({ kind: 'gap', flowId: flow.flowId, dir, ts, seq, length });
        },
        onEnd(flow: FlowHandle, record: FlowRecord): void {
          events.push({ kind: 'end', flowId: flow.flowId, closeType: record.closeType });
        },
      };
    }
  }

  flow(record: FlowRecord): void {
    this.flows.push(record);
  }

  metrics(row: NetMetricsRow): void {
    this.rows.push(row);
  }

  violation(kind: string, message: string): void {
    this.violations.push(`${kind}: ${message}`);
  }

  /** Concatenated payload delivered for one flow and direction. */
  bytes(flowId: number, dir: FlowDirection): Buffer {
    const parts: Buffer[] = [];
    for (const e of this.events) if (e.kind === 'data' && e.flowId === flowId && e.dir === dir) parts.push(e.data);
    return Buffer.concat(parts);
  }

  gaps(flowId: number, dir: FlowDirection): Array<{ seq: number; length: number }> {
    const out: Array<{ seq: number; length: number }> = [];
    for (const e of this.events) if (e.kind === 'gap' && e.flowId === flowId && e.dir === dir) out.push({ seq: e.seq, length: e.length });
    return out;
  }
}

/** Feed frames (frame numbers from 1) to a table at observation point `opId`. */
export function feed(table: FlowTable, frames: Frame[], opId = 1, firstFrame = 1): void {
  let n = firstFrame;
  for (const f of frames) table.ingest(opId, f.pkt, f.ts, f.frameLen, n++);
}
