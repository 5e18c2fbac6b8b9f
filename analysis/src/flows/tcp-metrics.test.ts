import { describe, expect, test } from 'vitest';
import {
  A_DUPLICATE_ACK, A_FAST_RETRANSMISSION, A_KEEP_ALIVE, A_OUT_OF_ORDER, A_RETRANSMISSION, A_SPURIOUS_RETRANSMISSION,
  A_SYN_RETRANSMISSION, A_SYNACK_RETRANSMISSION, A_ZERO_WINDOW, A_ZERO_WINDOW_PROBE, TcpMetrics,
} from './tcp-metrics.js';
import { tcpFlags } from './test-support/segments.js';

/** [ts µs, sender, flags, seq, ack, payload length, window] */
type Seg = [number, 'c' | 's', string, number, number, number, number?];

const MARKS: Array<[number, string]> = [
  [A_RETRANSMISSION, 'retransmission'],
  [A_FAST_RETRANSMISSION, 'fast-retransmission'],
  [A_SPURIOUS_RETRANSMISSION, 'spurious-retransmission'],
  [A_OUT_OF_ORDER, 'out-of-order'],
  [A_ZERO_WINDOW, 'zero-window'],
  [A_ZERO_WINDOW_PROBE, 'zero-window-probe'],
  [A_KEEP_ALIVE, 'keep-alive'],
  [A_DUPLICATE_ACK, 'dup-ack'],
  [A_SYN_RETRANSMISSION, 'syn-retrans'],
  [A_SYNACK_RETRANSMISSION, 'synack-retrans'],
];

function marksOf(a: number): string {
  return MARKS.filter(([bit]) => (a & bit) !== 0).map(([, name]) => name).join(',');
}

function analyse(segs: Seg[]): { marks: string[]; m: TcpMetrics } {
  const m = new TcpMetrics();
  const marks = segs.map(([ts, from, flags, seq, ack, len, win]) =>
    marksOf(m.segment(from === 'c', tcpFlags(flags), seq >>> 0, ack >>> 0, win ?? 65535, len, ts)),
  );
  return { marks, m };
}

// Handshake with client ISN 1000 and server ISN 5000; initial RTT 200 µs (tshark's out-of-order threshold).
const H: Seg[] = [
  [0, 'c', 'S', 1000, 0, 0],
  [100, 's', 'SA', 5000, 1001, 0],
  [200, 'c', 'A', 1001, 5001, 0],
];
const ok = ['', '', ''];

// Expected marks are what tshark 4.0 reports as tcp.analysis.* for the same segments (same rules, see tcp-metrics.ts).
describe('segment analysis follows tshark tcp.analysis rules', () => {
  test.each<[string, Seg[], string[]]>([
    ['in-order data and ACKs: nothing', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1100, 's', 'A', 5001, 1101, 0],
      [2000, 's', 'PA', 5001, 1101, 300],
      [2100, 'c', 'A', 1101, 5301, 0],
    ], [...ok, '', '', '', '']],
    ['timeout retransmission', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [300_000, 'c', 'PA', 1001, 5001, 100],
    ], [...ok, '', 'retransmission']],
    ['fast retransmission after duplicate ACKs (tap at the sender)', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1010, 'c', 'PA', 1101, 5001, 100],
      [1020, 'c', 'PA', 1201, 5001, 100],
      [1030, 'c', 'PA', 1301, 5001, 100],
      [1200, 's', 'A', 5001, 1101, 0],
      [1210, 's', 'A', 5001, 1101, 0],
      [1220, 's', 'A', 5001, 1101, 0],
      [1230, 's', 'A', 5001, 1101, 0],
      [1240, 'c', 'PA', 1101, 5001, 100],
    ], [...ok, '', '', '', '', '', 'dup-ack', 'dup-ack', 'dup-ack', 'fast-retransmission']],
    ['hole filled within the initial RTT: out-of-order (tap at the receiver)', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1010, 'c', 'PA', 1201, 5001, 100],
      [1050, 'c', 'PA', 1101, 5001, 100],
    ], [...ok, '', '', 'out-of-order']],
    ['hole filled later than the initial RTT: retransmission', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1010, 'c', 'PA', 1201, 5001, 100],
      [5000, 'c', 'PA', 1101, 5001, 100],
    ], [...ok, '', '', 'retransmission']],
    ['keep-alive (1 byte and 0 byte at nextseq-1) and its ACK are not retransmissions / dup ACKs', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1100, 's', 'A', 5001, 1101, 0],
      [60_000_000, 'c', 'A', 1100, 5001, 1],
      [60_000_100, 's', 'A', 5001, 1101, 0],
      [120_000_000, 'c', 'A', 1100, 5001, 0],
      [120_000_100, 's', 'A', 5001, 1101, 0],
    ], [...ok, '', '', 'keep-alive', '', 'keep-alive', '']],
    ['data already acknowledged: spurious retransmission', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1100, 's', 'A', 5001, 1101, 0],
      [400_000, 'c', 'PA', 1001, 5001, 100],
    ], [...ok, '', '', 'spurious-retransmission']],
    ['zero window, probe, probe ACK, window update, then the probed byte with more data', [...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [1100, 's', 'A', 5001, 1101, 0, 0],
      [200_000, 'c', 'A', 1101, 5001, 1],
      [200_100, 's', 'A', 5001, 1101, 0, 0],
      [300_000, 's', 'A', 5001, 1101, 0, 65535],
      [300_100, 'c', 'PA', 1101, 5001, 100],
    ], [...ok, '', 'zero-window', 'zero-window-probe', 'zero-window', '', '']],
    ['RST / SYN / FIN with window 0 are not zero-window', [...H,
      [1000, 'c', 'FA', 1001, 5001, 0, 0],
      [1100, 's', 'R', 5001, 0, 0, 0],
    ], [...ok, '', '']],
    ['SYN retransmission', [
      [0, 'c', 'S', 1000, 0, 0],
      [1_000_000, 'c', 'S', 1000, 0, 0],
      [1_000_300, 's', 'SA', 5000, 1001, 0],
      [1_000_500, 'c', 'A', 1001, 5001, 0],
    ], ['', 'retransmission,syn-retrans', '', '']],
    ['SYN/ACK retransmission', [
      [0, 'c', 'S', 1000, 0, 0],
      [100, 's', 'SA', 5000, 1001, 0],
      [1_000_100, 's', 'SA', 5000, 1001, 0],
      [1_000_300, 'c', 'A', 1001, 5001, 0],
    ], ['', '', 'retransmission,synack-retrans', '']],
    ['retransmitted FIN', [...H,
      [1000, 'c', 'FA', 1001, 5001, 0],
      [300_000, 'c', 'FA', 1001, 5001, 0],
    ], [...ok, '', 'retransmission']],
    ['sequence numbers wrapping past 2^32', [
      [0, 'c', 'S', 0xffffff00, 0, 0],
      [100, 's', 'SA', 5000, 0xffffff01, 0],
      [200, 'c', 'A', 0xffffff01, 5001, 0],
      [1000, 'c', 'PA', 0xffffff01, 5001, 300], // crosses zero: ends at 0x2d
      [1010, 'c', 'PA', 0x2d, 5001, 100],
      [1100, 's', 'A', 5001, 0x91, 0],
      [500_000, 'c', 'PA', 0x2d, 5001, 100],
      [500_010, 'c', 'PA', 0x91, 5001, 100],
    ], [...ok, '', '', '', 'spurious-retransmission', '']],
  ])('%s', (_name, segs, expected) => {
    expect(analyse(segs).marks).toEqual(expected);
  });

  test('per-direction counters', () => {
    const { m } = analyse([...H,
      [1000, 'c', 'PA', 1001, 5001, 100],
      [300_000, 'c', 'PA', 1001, 5001, 100],
      [300_100, 's', 'A', 5001, 1101, 0, 0],
      [400_000, 's', 'PA', 5001, 1101, 10],
      [400_010, 's', 'PA', 5011, 1101, 10],
      [400_020, 's', 'PA', 5001, 1101, 10],
    ]);
    expect([m.client.retransmissions, m.server.retransmissions]).toEqual([1, 0]);
    expect([m.client.outOfOrder, m.server.outOfOrder]).toEqual([0, 1]);
    expect([m.client.zeroWindows, m.server.zeroWindows]).toEqual([0, 1]);
  });
});

describe('handshake times', () => {
  test.each<[string, Seg[], { rtt: number; rttClient: number; rttServer: number; synRetrans: number; synackRetrans: number; syn: number; synack: number }]>([
    ['plain handshake', H, { rtt: 200, rttClient: 100, rttServer: 100, synRetrans: 0, synackRetrans: 0, syn: 1, synack: 1 }],
    ['retransmitted SYN: measured from the last SYN (tshark initial_rtt)', [
      [0, 'c', 'S', 1000, 0, 0],
      [1_000_000, 'c', 'S', 1000, 0, 0],
      [3_000_000, 'c', 'S', 1000, 0, 0],
      [3_000_300, 's', 'SA', 5000, 1001, 0],
      [3_000_500, 'c', 'A', 1001, 5001, 0],
    ], { rtt: 500, rttClient: 200, rttServer: 300, synRetrans: 2, synackRetrans: 0, syn: 3, synack: 1 }],
    ['retransmitted SYN/ACK: rtt_server from the first SYN/ACK, rtt_client from the last', [
      [0, 'c', 'S', 1000, 0, 0],
      [100, 's', 'SA', 5000, 1001, 0],
      [1_000_100, 's', 'SA', 5000, 1001, 0],
      [1_000_300, 'c', 'A', 1001, 5001, 0],
    ], { rtt: 1_000_300, rttClient: 200, rttServer: 100, synRetrans: 0, synackRetrans: 1, syn: 1, synack: 2 }],
    ['SYN missed by the capture: only rtt_client', [
      [100, 's', 'SA', 5000, 1001, 0],
      [300, 'c', 'A', 1001, 5001, 0],
    ], { rtt: -1, rttClient: 200, rttServer: -1, synRetrans: 0, synackRetrans: 0, syn: 0, synack: 1 }],
    ['handshake ACK missed, first client data completes it', [
      [0, 'c', 'S', 1000, 0, 0],
      [100, 's', 'SA', 5000, 1001, 0],
      [700, 'c', 'PA', 1001, 5001, 50],
    ], { rtt: 700, rttClient: 600, rttServer: 100, synRetrans: 0, synackRetrans: 0, syn: 1, synack: 1 }],
    ['above 30 s is not a round trip (DeepFlow RTT_MAX)', [
      [0, 'c', 'S', 1000, 0, 0],
      [100, 's', 'SA', 5000, 1001, 0],
      [40_000_000, 'c', 'A', 1001, 5001, 0],
    ], { rtt: -1, rttClient: -1, rttServer: 100, synRetrans: 0, synackRetrans: 0, syn: 1, synack: 1 }],
  ])('%s', (_name, segs, e) => {
    const { m } = analyse(segs);
    expect({
      rtt: m.rtt, rttClient: m.rttClient, rttServer: m.rttServer, synRetrans: m.synRetrans,
      synackRetrans: m.synackRetrans, syn: m.synCount, synack: m.synackCount,
    }).toEqual(e);
  });
});
