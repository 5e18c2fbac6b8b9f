// Per-second network metrics (metrics_net_1s rows): one row per (second, observation point, client ip, server ip, server port, protocol).
import type { NetMetricsRow } from './types.js';

const US_PER_S = 1_000_000;

export function newNetMetricsRow(
  time: number,
  observationPointId: number,
  ip0: string,
  ip1: string,
  serverPort: number,
  protocol: number,
): NetMetricsRow {
  return {
    time, observationPointId, ip0, ip1, serverPort, protocol,
    packetTx: 0, packetRx: 0, byteTx: 0, byteRx: 0, newFlow: 0, closedFlow: 0,
    retransTx: 0, retransRx: 0, zeroWinTx: 0, zeroWinRx: 0, synCount: 0, synackCount: 0, rstTx: 0, rstRx: 0,
    rttSum: 0, rttCount: 0, rttMax: 0, srtSum: 0, srtCount: 0, srtMax: 0, artSum: 0, artCount: 0, artMax: 0,
    setupFailures: 0, resets: 0, timeouts: 0,
  };
}

/** The edge a flow's metrics roll up to. */
export interface MetricsEdge {
  readonly edgeKey: string;
  readonly observationPointId: number;
  readonly ip0: string;
  readonly ip1: string;
  readonly serverPort: number;
  readonly protocol: number;
}

/**
 * Rows stay open while capture time may still bring packets for their second: second S is handed out once capture
 * time reaches S + 1 s + delay. Anything that arrives later for an already handed-out second (timestamps going back
 * by more than the delay) is counted into the oldest open second instead of producing a duplicate row.
 */
export class NetMetricsAggregator {
  private readonly open = new Map<number, Map<string, NetMetricsRow>>();
  /** Seconds below this were handed out (read-only outside). */
  openFromSec = -Infinity;
  rowsEmitted = 0;

  constructor(
    private readonly sink: (row: NetMetricsRow) => void,
    private readonly delayUs: number,
  ) {}

  /** Second (in whole seconds) that an event at `tsUs` is counted in: its own, or the oldest open one if that was handed out. */
  secondOf(tsUs: number): number {
    const sec = Math.floor(tsUs / US_PER_S);
    return sec >= this.openFromSec ? sec : this.openFromSec;
  }

  row(sec: number, edge: MetricsEdge): NetMetricsRow {
    let rows = this.open.get(sec);
    if (rows === undefined) {
      rows = new Map();
      this.open.set(sec, rows);
    }
    let row = rows.get(edge.edgeKey);
    if (row === undefined) {
      row = newNetMetricsRow(sec * US_PER_S, edge.observationPointId, edge.ip0, edge.ip1, edge.serverPort, edge.protocol);
      rows.set(edge.edgeKey, row);
    }
    return row;
  }

  /** Hand out every second that capture time `nowUs` has left behind by more than the delay. */
  advance(nowUs: number): void {
    const lastClosed = Math.floor((nowUs - this.delayUs) / US_PER_S) - 1;
    if (lastClosed < this.openFromSec) return;
    this.emitUpTo(lastClosed);
    this.openFromSec = lastClosed + 1;
  }

  /** End of input: hand out everything. */
  flushAll(): void {
    this.emitUpTo(Infinity);
  }

  private emitUpTo(lastSec: number): void {
    if (this.open.size === 0) return;
    const due: number[] = [];
    for (const sec of this.open.keys()) if (sec <= lastSec) due.push(sec);
    due.sort((x, y) => x - y);
    for (const sec of due) {
      const rows = this.open.get(sec) as Map<string, NetMetricsRow>;
      this.open.delete(sec);
      for (const row of rows.values()) {
        this.rowsEmitted++;
        this.sink(row);
      }
    }
  }
}
