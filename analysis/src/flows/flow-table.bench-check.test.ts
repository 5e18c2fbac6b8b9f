// Hot-path check: ~1M keep-alive HTTP-like segments over 2 000 connections through the flow table; prints ns/packet.
import { expect, test } from 'vitest';
import { FlowTable } from './flow-table.js';
import type { FlowSinks, StreamConsumer } from './types.js';
import { basePacket, tcpFlags } from './test-support/segments.js';

const CONNECTIONS = 2000;
const EXCHANGES = 124; // request, ACK, response, ACK each: 3 + 124 × 4 + 4 = 503 segments per connection
const REQUEST = 300;
const RESPONSE = 1200;

/** Columns of the synthetic capture, generated once so the timed loop only fills the reused DecodedPacket. */
interface Trace {
  n: number;
  conn: Uint16Array;
  fromClient: Uint8Array;
  flags: Uint8Array;
  seq: Float64Array;
  ack: Float64Array;
  len: Uint16Array;
  ts: Float64Array;
}

function makeTrace(): Trace {
  const perConn: Array<Array<[boolean, string, number, number, number]>> = [];
  for (let k = 0; k < CONNECTIONS; k++) {
    const segs: Array<[boolean, string, number, number, number]> = [];
    let cs = (k * 7919 * 65537) >>> 0; // client ISN, spread over the sequence space (some wrap)
    let ss = (k * 104729 * 131) >>> 0;
    segs.push([true, 'S', cs, 0, 0], [false, 'SA', ss, (cs + 1) >>> 0, 0]);
    cs = (cs + 1) >>> 0;
    ss = (ss + 1) >>> 0;
    segs.push([true, 'A', cs, ss, 0]);
    for (let i = 0; i < EXCHANGES; i++) {
      segs.push([true, 'PA', cs, ss, REQUEST]);
      cs = (cs + REQUEST) >>> 0;
      segs.push([false, 'A', ss, cs, 0]);
      segs.push([false, 'PA', ss, cs, RESPONSE]);
      ss = (ss + RESPONSE) >>> 0;
      segs.push([true, 'A', cs, ss, 0]);
    }
    segs.push([true, 'FA', cs, ss, 0], [false, 'FA', ss, (cs + 1) >>> 0, 0], [true, 'A', (cs + 1) >>> 0, (ss + 1) >>> 0, 0]);
    perConn.push(segs);
  }
  const n = perConn.reduce((a, s) => a + s.length, 0);
  const t: Trace = {
    n, conn: new Uint16Array(n), fromClient: new Uint8Array(n), flags: new Uint8Array(n), seq: new Float64Array(n),
    ack: new Float64Array(n), len: new Uint16Array(n), ts: new Float64Array(n),
  };
  // Round-robin over connections: every connection is live for the whole capture (~10 s at 10 µs per packet).
  let i = 0;
  for (let step = 0; i < n; step++) {
    for (let k = 0; k < CONNECTIONS; k++) {
      const seg = perConn[k][step];
      if (seg === undefined) continue;
      t.conn[i] = k;
      t.fromClient[i] = seg[0] ? 1 : 0;
      t.flags[i] = tcpFlags(seg[1]);
      t.seq[i] = seg[2];
      t.ack[i] = seg[3];
      t.len[i] = seg[4];
      t.ts[i] = 1_700_000_000_000_000 + i * 10;
      i++;
    }
  }
  return t;
}

function replay(trace: Trace, sinks: FlowSinks, from: number, to: number): number {
  const table = new FlowTable(sinks);
  const clientIp: string[] = [];
  const clientPort: number[] = [];
  for (let k = 0; k < CONNECTIONS; k++) {
    clientIp.push(`10.1.${k >> 8}.${k & 255}`);
    clientPort.push(32768 + k);
  }
  const serverIp = '10.0.0.80';
  const pkt = basePacket();
  pkt.payload = Buffer.alloc(1600);
  pkt.payloadOffset = 54;
  const t0 = process.hrtime.bigint();
  for (let i = from; i < to; i++) {
    const k = trace.conn[i];
    const len = trace.len[i];
    if (trace.fromClient[i] === 1) {
      pkt.srcIp = clientIp[k];
      pkt.srcPort = clientPort[k];
      pkt.dstIp = serverIp;
      pkt.dstPort = 80;
    } else {
      pkt.srcIp = serverIp;
      pkt.srcPort = 80;
      pkt.dstIp = clientIp[k];
      pkt.dstPort = clientPort[k];
    }
    pkt.tcpFlags = trace.flags[i];
    pkt.seq = trace.seq[i];
    pkt.ack = trace.ack[i];
    pkt.l3Len = 40 + len;
    pkt.payloadLen = len;
    pkt.payloadWireLen = len;
    table.ingest(1, pkt, trace.ts[i], 54 + len, i + 1);
  }
  table.flush();
  return Number(process.hrtime.bigint() - t0) / (to - from);
}

test('flow lookup + TCP metrics + per-second metrics stay well under 2 µs per packet', () => {
  const trace = makeTrace();
  let flows = 0;
  let rows = 0;
  const sinks: FlowSinks = { flow: () => void flows++, metrics: () => void rows++ };
  replay(trace, { flow: () => undefined, metrics: () => undefined }, 0, 200_000); // warm up the JIT
  const nsPerPacket = replay(trace, sinks, 0, trace.n);
  const noop: StreamConsumer = { onData: () => undefined, onGap: () => undefined, onEnd: () => undefined };
  const withStream = replay(trace, { flow: () => undefined, metrics: () => undefined, stream: noop }, 0, trace.n);
  console.log(
    `flow table: ${trace.n} packets, ${CONNECTIONS} connections: ${nsPerPacket.toFixed(0)} ns/packet ` +
      `(with stream reassembly to a no-op consumer: ${withStream.toFixed(0)} ns/packet)`,
  );
  expect(flows).toBe(CONNECTIONS);
  expect(rows).toBeGreaterThan(CONNECTIONS * 9);
  expect(nsPerPacket).toBeLessThan(2000);
});
