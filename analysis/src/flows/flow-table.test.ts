import { describe, expect, test } from 'vitest';
import { FlowTable } from './flow-table.js';
import type { FlowRecord } from './types.js';
import { Recorder, TcpConversation, feed, icmpFrame, udpFrame } from './test-support/segments.js';
import type { Frame } from './test-support/segments.js';

const S = 1_000_000;
const conv = new TcpConversation();
const c = (ts: number, flags: string, seq: number, ack = 0, len = 0, win?: number): Frame => conv.seg(ts, 'c', flags, seq, ack, len, { win });
const s = (ts: number, flags: string, seq: number, ack = 0, len = 0, win?: number): Frame => conv.seg(ts, 's', flags, seq, ack, len, { win });

/** Handshake (client ISN 1000, server ISN 5000) then one request / response. */
const H = [c(0, 'S', 1000), s(100, 'SA', 5000, 1001), c(200, 'A', 1001, 5001)];
const HD = [...H, c(1000, 'PA', 1001, 5001, 100), s(1100, 'A', 5001, 1101), s(2000, 'PA', 5001, 1101, 100), c(2100, 'A', 1101, 5101)];

function run(frames: Frame[], end: number | 'flush', rec = new Recorder(), table = new FlowTable(rec)): { rec: Recorder; table: FlowTable } {
  feed(table, frames);
  if (end === 'flush') table.flush();
  else table.advanceTime(end);
  return { rec, table };
}

function only(rec: Recorder): FlowRecord {
  expect(rec.flows).toHaveLength(1);
  return rec.flows[0];
}

describe('one HTTP-like connection, measured exactly', () => {
  const frames = [
    c(1_000_000, 'S', 1000),
    s(1_000_250, 'SA', 5000, 1001),
    c(1_000_400, 'A', 1001, 5001),
    c(1_000_500, 'PA', 1001, 5001, 100), // request 1: cit 100 after the handshake ACK
    s(1_000_560, 'A', 5001, 1101), // srt 60
    s(1_010_500, 'PA', 5001, 1101, 500), // art 10 000
    c(1_010_600, 'A', 1101, 5501),
    c(1_500_000, 'PA', 1101, 5501, 100), // request 2: cit 489 500 after the response
    s(1_500_040, 'A', 5501, 1201), // srt 40
    s(1_502_000, 'PA', 5501, 1201, 200), // art 2 000
    c(1_502_100, 'A', 1201, 5701),
    c(2_000_000, 'FA', 1201, 5701),
    s(2_000_050, 'A', 5701, 1202), // srt 50 (pure ACK of the FIN)
    s(2_000_100, 'FA', 5701, 1202),
    c(2_000_200, 'A', 1202, 5702), // both FINs acknowledged: closed
  ];

  test('flow record', () => {
    const { rec } = run(frames, 'flush');
    expect(only(rec)).toMatchObject({
      flowId: 1, observationPointId: 1, ipVersion: 4, protocol: 6,
      ip0: '10.0.0.1', ip1: '10.0.0.2', clientPort: 40000, serverPort: 80, sideSource: 'handshake',
      rtt: 400, rttClient: 150, rttServer: 250,
      srtCount: 3, srtSum: 150, srtMax: 60,
      artCount: 2, artSum: 12_000, artMax: 10_000,
      citCount: 2, citSum: 489_600, citMax: 489_500,
      packetTx: 8, packetRx: 7,
      byteTx: 54 * 8 + 200, byteRx: 54 * 7 + 700,
      l3ByteTx: 40 * 8 + 200, l3ByteRx: 40 * 7 + 700,
      l4ByteTx: 200, l4ByteRx: 700,
      startTime: 1_000_000, endTime: 2_000_200, duration: 1_000_200,
      synCount: 1, synackCount: 1, synRetrans: 0, synackRetrans: 0, finTx: 1, finRx: 1, rstTx: 0, rstRx: 0,
      retransTx: 0, retransRx: 0, oooTx: 0, oooRx: 0, zeroWinTx: 0, zeroWinRx: 0,
      closeType: 'normal', status: 'ok', tcpFlagsTx: 0x02 | 0x10 | 0x08 | 0x01, tcpFlagsRx: 0x02 | 0x10 | 0x08 | 0x01,
      firstFrame: 1, lastFrame: 15,
    });
  });

  test('closed flow lingers 2 s of capture time, then is emitted', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec);
    feed(table, frames);
    table.advanceTime(4_900_000);
    expect(rec.flows).toHaveLength(0);
    table.advanceTime(5_000_000);
    expect(rec.flows.map((f) => f.closeType)).toEqual(['normal']);
    expect(table.stats().activeFlows).toBe(0);
  });

  test('per-second metrics rows, handed out once the second is S + 1 s + delay behind', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec);
    feed(table, frames);
    table.advanceTime(7_999_999);
    expect(rec.rows.map((r) => r.time)).toEqual([1_000_000]);
    table.advanceTime(8_000_000);
    expect(rec.rows.map((r) => r.time)).toEqual([1_000_000, 2_000_000]);
    const edge = { observationPointId: 1, ip0: '10.0.0.1', ip1: '10.0.0.2', serverPort: 80, protocol: 6 };
    expect(rec.rows[0]).toEqual({
      ...edge, time: 1_000_000, packetTx: 6, packetRx: 5, byteTx: 54 * 6 + 200, byteRx: 54 * 5 + 700,
      newFlow: 1, closedFlow: 0, retransTx: 0, retransRx: 0, zeroWinTx: 0, zeroWinRx: 0, synCount: 1, synackCount: 1,
      rstTx: 0, rstRx: 0, rttSum: 400, rttCount: 1, rttMax: 400, srtSum: 100, srtCount: 2, srtMax: 60,
      artSum: 12_000, artCount: 2, artMax: 10_000, setupFailures: 0, resets: 0, timeouts: 0,
    });
    expect(rec.rows[1]).toMatchObject({
      ...edge, time: 2_000_000, packetTx: 2, packetRx: 2, newFlow: 0, closedFlow: 1, srtSum: 50, srtCount: 1, rttCount: 0,
    });
  });
});

describe('close types and status', () => {
  const FIN_BOTH = [c(3000, 'FA', 1101, 5101), s(3100, 'A', 5101, 1102), s(3200, 'FA', 5101, 1102), c(3300, 'A', 1102, 5102)];
  test.each<[string, Frame[], number | 'flush', string, string]>([
    ['FIN both ways', [...HD, ...FIN_BOTH], 10 * S, 'normal', 'ok'],
    ['FIN then RST', [...HD, c(3000, 'FA', 1101, 5101), s(3100, 'A', 5101, 1102), c(3200, 'R', 1102)], 10 * S, 'normal', 'ok'],
    ['both FINs, last ACK not captured, then idle', [...HD, c(3000, 'FA', 1101, 5101), s(3100, 'FA', 5101, 1102)], 40 * S, 'normal', 'ok'],
    ['client RST after establishment', [...HD, c(3000, 'RA', 1101, 5101)], 10 * S, 'client-reset', 'client-error'],
    ['server RST after establishment', [...HD, s(3000, 'RA', 5101, 1101)], 10 * S, 'server-reset', 'server-error'],
    ['idle established flow', HD, 400 * S, 'timeout', 'timeout'],
    ['client FIN only, then idle', [...HD, c(3000, 'FA', 1101, 5101), s(3100, 'A', 5101, 1102)], 40 * S, 'client-half-close', 'server-error'],
    ['server FIN only, then idle', [...HD, s(3000, 'FA', 5101, 1101), c(3100, 'A', 1101, 5102)], 40 * S, 'server-half-close', 'client-error'],
    ['SYN repeated, never answered', [c(0, 'S', 1000), c(1 * S, 'S', 1000), c(3 * S, 'S', 1000)], 40 * S, 'client-syn-repeat', 'server-error'],
    ['single SYN never answered', [c(0, 'S', 1000)], 40 * S, 'client-syn-repeat', 'server-error'],
    ['server answers the SYN with RST', [c(0, 'S', 1000), s(100, 'RA', 0, 1001)], 10 * S, 'server-reset-on-syn', 'server-error'],
    ['SYN/ACK repeated, final ACK never comes', [c(0, 'S', 1000), s(100, 'SA', 5000, 1001), s(1 * S, 'SA', 5000, 1001), s(3 * S, 'SA', 5000, 1001)], 40 * S, 'server-synack-repeat', 'client-error'],
    ['client resets during the handshake', [c(0, 'S', 1000), s(100, 'SA', 5000, 1001), c(200, 'R', 1001)], 10 * S, 'client-reset-on-setup', 'client-error'],
    ['still open at the end of input', HD, 'flush', 'forced-report', 'ok'],
    ['closed but still lingering at the end of input', [...HD, ...FIN_BOTH], 'flush', 'normal', 'ok'],
    ['SYN sent just before the end of input', [c(0, 'S', 1000)], 'flush', 'forced-report', 'ok'],
  ])('%s', (_name, frames, end, closeType, status) => {
    const { rec } = run(frames, end);
    expect(only(rec)).toMatchObject({ closeType, status });
  });

  test('setup failures, resets and timeouts are counted in the second they happen', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec);
    const other = new TcpConversation({ ip: '10.0.0.3', port: 40001 }, { ip: '10.0.0.2', port: 80 });
    feed(table, [c(0, 'S', 1000), s(100, 'RA', 0, 1001), other.seg(200, 'c', 'S', 7000)]);
    table.flush();
    const failures = rec.rows.filter((r) => r.setupFailures > 0);
    expect(failures.map((r) => [r.time, r.ip0, r.setupFailures, r.closedFlow, r.rstRx])).toEqual([[0, '10.0.0.1', 1, 1, 1]]);
    const resetRow = new Recorder();
    run([...HD, s(5 * S, 'RA', 5101, 1101)], 'flush', resetRow);
    expect(resetRow.rows.filter((r) => r.resets > 0).map((r) => r.time)).toEqual([5 * S]);
    const idle = new Recorder();
    run(HD, 400 * S, idle);
    // Timed out at last packet + 300 s.
    expect(idle.rows.filter((r) => r.timeouts > 0).map((r) => r.time)).toEqual([300 * S]);
  });

  test('packets after a RST stay in the flow during the linger', () => {
    const { rec } = run([...HD, c(3000, 'RA', 1101, 5101), c(1 * S, 'RA', 1101, 5101)], 'flush');
    expect(only(rec)).toMatchObject({ closeType: 'client-reset', rstTx: 2, packetTx: 6 });
  });
});

describe('port reuse and new connections on the same 5-tuple', () => {
  test('a new SYN (new ISN) on an open flow ends it as client-source-port-reuse and starts a new flow', () => {
    const { rec } = run([...HD, c(5 * S, 'S', 90_000), s(5 * S + 100, 'SA', 70_000, 90_001), c(5 * S + 200, 'A', 90_001, 70_001)], 'flush');
    expect(rec.flows.map((f) => [f.flowId, f.closeType, f.status, f.packetTx + f.packetRx, f.startTime])).toEqual([
      [1, 'client-source-port-reuse', 'client-error', 7, 0],
      [2, 'forced-report', 'ok', 3, 5 * S],
    ]);
    expect(rec.flows[1]).toMatchObject({ rtt: 200, sideSource: 'handshake' });
  });

  test('a new SYN during the linger of a closed flow keeps the old close type', () => {
    const fin = [c(3000, 'FA', 1101, 5101), s(3100, 'A', 5101, 1102), s(3200, 'FA', 5101, 1102), c(3300, 'A', 1102, 5102)];
    const { rec } = run([...HD, ...fin, c(1 * S, 'S', 90_000)], 'flush');
    expect(rec.flows.map((f) => f.closeType)).toEqual(['normal', 'forced-report']);
  });

  test('a retransmitted SYN (same ISN) stays in the flow', () => {
    const { rec } = run([c(0, 'S', 1000), c(1 * S, 'S', 1000), s(1 * S + 300, 'SA', 5000, 1001), c(1 * S + 500, 'A', 1001, 5001)], 'flush');
    expect(only(rec)).toMatchObject({ synCount: 2, synRetrans: 1, retransTx: 1, rtt: 500, rttServer: 300, rttClient: 200 });
  });

  test('SYN/ACK captured before its SYN: one flow, sides from the SYN/ACK', () => {
    const { rec } = run([s(0, 'SA', 5000, 1001), c(260, 'S', 1000), c(300, 'A', 1001, 5001), c(400, 'PA', 1001, 5001, 10)], 'flush');
    expect(only(rec)).toMatchObject({ ip0: '10.0.0.1', clientPort: 40000, sideSource: 'handshake', rttClient: 300, rtt: 40, rttServer: -1 });
  });
});

describe('sides without a handshake', () => {
  test.each<[string, number, number, string, number, number, string]>([
    // name, first packet's src port, dst port → client ip, client port, server port, side source
    ['client → well-known port', 40000, 80, '10.0.0.1', 40000, 80, 'port'],
    ['server → client first', 80, 40000, '10.0.0.2', 40000, 80, 'port'],
    ['known service port above 1024', 50000, 6379, '10.0.0.1', 50000, 6379, 'port'],
    ['known service port sends first', 3306, 50000, '10.0.0.2', 50000, 3306, 'port'],
    ['two service ports: the lower is the server', 8080, 443, '10.0.0.1', 8080, 443, 'port'],
    ['below the ephemeral range faces an ephemeral port', 45000, 12345, '10.0.0.1', 45000, 12345, 'port'],
    ['lower unknown port sends first', 12345, 45000, '10.0.0.2', 45000, 12345, 'port'],
    ['two ephemeral ports: the first packet goes to the server', 45000, 40000, '10.0.0.1', 45000, 40000, 'first-packet'],
    ['equal ports', 40000, 40000, '10.0.0.1', 40000, 40000, 'first-packet'],
  ])('%s', (_name, sp, dp, ip0, clientPort, serverPort, sideSource) => {
    const conn = new TcpConversation({ ip: '10.0.0.1', port: sp }, { ip: '10.0.0.2', port: dp });
    const { rec } = run([conn.seg(0, 'c', 'PA', 1, 1, 10), conn.seg(10, 's', 'A', 1, 11)], 'flush');
    expect(only(rec)).toMatchObject({ ip0, clientPort, serverPort, sideSource, packetTx: 1, packetRx: 1 });
  });

  test('SYN/ACK first (SYN not captured): its sender is the server', () => {
    const { rec } = run([s(0, 'SA', 5000, 1001), c(100, 'A', 1001, 5001)], 'flush');
    expect(only(rec)).toMatchObject({ ip0: '10.0.0.1', clientPort: 40000, serverPort: 80, sideSource: 'handshake', rttClient: 100 });
  });
});

describe('flow keys', () => {
  test('both directions share a flow; ctx, observation point and protocol separate flows', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec);
    const tagged = conv.seg(10, 'c', 'PA', 1, 1, 10, { ctx: 'v100' });
    feed(table, [c(0, 'PA', 1, 1, 10), s(5, 'A', 1, 11), tagged], 1);
    feed(table, [c(20, 'PA', 11, 1, 10)], 2);
    table.flush();
    expect(rec.flows.map((f) => [f.observationPointId, f.ctx, f.packetTx + f.packetRx])).toEqual([[1, '', 2], [1, 'v100', 1], [2, '', 1]]);
  });

  test('IPv6', () => {
    const v6 = new TcpConversation({ ip: 'fd00::1', port: 50000 }, { ip: 'fd00::2', port: 443 });
    const { rec } = run([v6.seg(0, 'c', 'S', 1), v6.seg(50, 's', 'SA', 9, 2), v6.seg(90, 'c', 'A', 2, 10)], 'flush');
    expect(only(rec)).toMatchObject({ ipVersion: 6, ip0: 'fd00::1', ip1: 'fd00::2', rtt: 90, byteTx: 2 * (14 + 60), l3ByteTx: 120 });
  });

  test('packets the decoder could not use are skipped and counted', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec);
    const bad = c(0, 'PA', 1, 1, 10);
    bad.pkt.status = 'malformed';
    const arp = c(1, 'A', 1);
    arp.pkt.status = 'not-ip';
    feed(table, [bad, arp]);
    table.flush();
    expect(rec.flows).toHaveLength(0);
    expect(table.stats()).toMatchObject({ packets: 0, ignoredPackets: 2 });
  });
});

describe('UDP and ICMP', () => {
  const client = { ip: '10.0.0.9', port: 53124 };
  const dns = { ip: '10.0.0.53', port: 53 };

  test('DNS query / response: one flow, art from query to response, one stream call per datagram', () => {
    const rec = new Recorder(true);
    const table = new FlowTable(rec);
    feed(table, [
      udpFrame(0, client, dns, Buffer.from('query-1')),
      udpFrame(1500, dns, client, Buffer.from('answer-1')),
      udpFrame(10_000, client, dns, Buffer.from('query-2')),
      udpFrame(10_700, dns, client, Buffer.from('answer-2-truncated'), 40),
    ]);
    table.flush();
    expect(only(rec)).toMatchObject({
      protocol: 17, ip0: '10.0.0.9', clientPort: 53124, serverPort: 53, sideSource: 'port',
      artCount: 2, artSum: 2200, artMax: 1500, rtt: -1, closeType: 'forced-report', packetTx: 2, packetRx: 2,
      l4ByteTx: 14, l4ByteRx: 48, byteTx: 2 * 42 + 14,
    });
    expect(rec.events.map((e) => (e.kind === 'data' ? `${e.dir}:${e.data.toString()}` : e.kind === 'gap' ? `gap ${e.dir}:${e.length}` : 'end'))).toEqual([
      '0:query-1', '1:answer-1', '0:query-2', '1:answer-2-truncated', 'gap 1:22', 'end',
    ]);
  });

  test('idle UDP flow times out after the short timeout; a later datagram starts a new flow', () => {
    const { rec } = run([udpFrame(0, client, dns, Buffer.from('a')), udpFrame(30 * S + 500_000, client, dns, Buffer.from('b'))], 'flush');
    expect(rec.flows.map((f) => [f.closeType, f.startTime])).toEqual([['timeout', 0], ['forced-report', 30 * S + 500_000]]);
  });

  test.each<[string, number, number, string, string]>([
    ['echo request first', 8, 0, '10.1.1.1', 'handshake'],
    ['echo reply first (request not captured)', 0, 8, '10.1.1.2', 'handshake'],
    ['destination unreachable', 3, 3, '10.1.1.1', 'first-packet'],
  ])('ICMP %s', (_name, firstType, secondType, ip0, sideSource) => {
    const { rec } = run([icmpFrame(0, '10.1.1.1', '10.1.1.2', firstType), icmpFrame(300, '10.1.1.2', '10.1.1.1', secondType)], 'flush');
    expect(only(rec)).toMatchObject({ protocol: 1, ip0, clientPort: 0, serverPort: 0, sideSource, packetTx: 1, packetRx: 1 });
  });

  test('ICMP: each echo identifier is its own flow, and errors are apart from echoes', () => {
    const { rec } = run([
      icmpFrame(0, '10.1.1.1', '10.1.1.2', 8, 7), icmpFrame(5, '10.1.1.1', '10.1.1.2', 8, 9),
      icmpFrame(10, '10.1.1.2', '10.1.1.1', 0, 7), icmpFrame(20, '10.1.1.2', '10.1.1.1', 3),
    ], 'flush');
    expect(rec.flows.map((f) => [f.packetTx, f.packetRx])).toEqual([[1, 1], [1, 0], [1, 0]]);
  });
});

describe('memory stays bounded on long captures', () => {
  test('100 000 short TCP connections over 1000 s of capture time', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec);
    let frame = 1;
    let peakScheduled = 0;
    for (let i = 0; i < 100_000; i++) {
      const t0 = i * 10_000; // 100 new connections per second
      const cc = new TcpConversation({ ip: `10.1.${(i >> 8) & 255}.${i & 255}`, port: 1024 + (i % 60_000) }, { ip: '10.0.0.2', port: 80 });
      const frames = [
        cc.seg(t0, 'c', 'S', 1), cc.seg(t0 + 100, 's', 'SA', 1, 2), cc.seg(t0 + 200, 'c', 'A', 2, 2),
        cc.seg(t0 + 300, 'c', 'FA', 2, 2), cc.seg(t0 + 400, 's', 'FA', 2, 3), cc.seg(t0 + 500, 'c', 'A', 3, 3),
      ];
      for (const f of frames) table.ingest(1, f.pkt, f.ts, f.frameLen, frame++);
      if ((i & 1023) === 0) peakScheduled = Math.max(peakScheduled, table.scheduledEntries());
    }
    const st = table.stats();
    // Closed flows linger 2 s at 100 new flows per second: a few hundred live at any time, whatever the capture length.
    expect(st.peakActiveFlows).toBeLessThan(500);
    // Each flow leaves a stale wake-up entry from its setup timeout (30 s): bounded by the rate of new flows.
    expect(peakScheduled).toBeLessThan(4000);
    expect(st.flowsEmitted).toBeGreaterThan(99_000);
    table.flush();
    expect(rec.flows).toHaveLength(100_000);
    expect(rec.flows.every((f) => f.closeType === 'normal')).toBe(true);
    expect(table.stats()).toMatchObject({ activeFlows: 0, flowsCreated: 100_000, flowsEmitted: 100_000 });
    expect(table.scheduledEntries()).toBeLessThan(4000);
  });

  test('20 000 one-datagram UDP flows expire after the short timeout', () => {
    const rec = new Recorder();
    const table = new FlowTable(rec, { shortTimeoutUs: 30 * S });
    for (let i = 0; i < 20_000; i++) {
      const f = udpFrame(i * 10_000, { ip: '10.2.0.1', port: 10_000 + i }, { ip: '10.0.0.53', port: 53 }, Buffer.from('q'));
      table.ingest(1, f.pkt, f.ts, f.frameLen, i + 1);
    }
    expect(table.stats().peakActiveFlows).toBeLessThan(3300);
    table.flush();
    expect(rec.flows.filter((f) => f.closeType === 'timeout').length).toBeGreaterThan(16_000);
  });

  test('a timestamp older than the handed-out metrics seconds is counted into the oldest open second', () => {
    const { rec, table } = run([c(0, 'PA', 1, 1, 10), c(100 * S, 'PA', 11, 1, 10), c(10 * S, 'PA', 21, 1, 10)], 'flush');
    expect(table.stats().lateMetricsPackets).toBe(1);
    expect(rec.violations).toEqual(['flow-time-regression: packet timestamp 90.000 s behind capture time; per-second metrics count it late']);
    const packets = rec.rows.reduce((n, r) => n + r.packetTx, 0);
    expect(packets).toBe(3);
    expect(new Set(rec.rows.map((r) => `${r.time}|${r.ip0}|${r.ip1}|${r.serverPort}`)).size).toBe(rec.rows.length);
  });
});
