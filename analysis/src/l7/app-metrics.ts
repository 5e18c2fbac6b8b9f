// Application (RED) metrics from L7 records: requests, responses, errors, timeouts and an rrt histogram per
// server endpoint each second (metrics_app_1s) and per client → server endpoint each minute (metrics_app_1m).
import type { L7Record } from '../protocols/types.js';

/** Upper bounds (µs) of the rrt histogram buckets; the last bucket is open-ended. */
export const RRT_BUCKETS_US = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000,
  10_000_000,
] as const;
export const RRT_BUCKET_COUNT = RRT_BUCKETS_US.length + 1;

export interface AppMetricsRow {
  time: number;
  observationPointId: number;
  ip0: string;
  ip1: string;
  serverPort: number;
  l7Protocol: string;
  endpoint: string;
  request: number;
  response: number;
  error: number;
  clientError: number;
  serverError: number;
  timeout: number;
  rrtSum: number;
  rrtCount: number;
  rrtMax: number;
  buckets: number[];
}

export interface AppFlowKey extends AppFlowRef {
  observationPointId: number;
  ip0: string;
  ip1: string;
  serverPort: number;
}

/**
 * An object that stands for one flow (the same object for all its records): each aggregator keeps the group it found
 * for the flow in `appGroups[slot]`, so that the flow's next records skip the group key. Create it with the array in
 * place (one object shape).
 */
export interface AppFlowRef {
  appGroups?: unknown[];
}

const US_PER_S = 1_000_000;

/** Seconds after its interval's end that a row is handed out (the rollups downstream rely on it: batch-insert.ts). */
export const APP_METRICS_LAG_S = 10;

/**
 * A packed array of RRT_BUCKET_COUNT zeros (`new Array(n).fill(0)` is holey: quantileFromBuckets then saw two array
 * kinds and was optimized twice).
 */
function zeroBuckets(): number[] {
  const b: number[] = [];
  for (let i = 0; i < RRT_BUCKET_COUNT; i++) b.push(0);
  return b;
}

export function bucketOf(rrtUs: number): number {
  let i = 0;
  while (i < RRT_BUCKETS_US.length && rrtUs > RRT_BUCKETS_US[i]) i++;
  return i;
}

/**
 * Quantile estimate from histogram counts: linear interpolation inside the bucket that holds the rank
 * (the open-ended last bucket reports its lower bound), never above the observed maximum when it is given.
 */
/**
 * Error ratio in % (two decimals) as DeepFlow defines it: errors (client + server) / responses, 0 without responses.
 * Errors come from responses, so it stays within 100 % — divided by requests instead, lone error responses (a DNS
 * answer whose query the capture missed) made it exceed 100 %. DeepFlow's timeout ratio is timeouts / requests.
 */
export function errorPercent(errors: number, responses: number): number {
  return responses > 0 ? Math.round((10000 * errors) / responses) / 100 : 0;
}

export function quantileFromBuckets(q: number, buckets: readonly number[], maxUs = Infinity): number | null {
  const v = interpolate(q, buckets);
  return v === null ? null : Math.min(v, maxUs);
}

function interpolate(q: number, buckets: readonly number[]): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    const n = buckets[i];
    if (n > 0 && seen + n >= rank) {
      const lo = i === 0 ? 0 : RRT_BUCKETS_US[i - 1];
      if (i >= RRT_BUCKETS_US.length) return lo;
      const hi = RRT_BUCKETS_US[i];
      return Math.round(lo + ((rank - seen) / n) * (hi - lo));
    }
    seen += n;
  }
  return RRT_BUCKETS_US[RRT_BUCKETS_US.length - 1];
}

/** One L7 record as the aggregation sees it (taken from a record, or from an l7_flow_log row). */
export interface AppSample {
  /** µs of the request's first byte (the response's when there is no request). */
  tsUs: number;
  observationPointId: number;
  ip0: string;
  ip1: string;
  serverPort: number;
  protocol: string;
  endpoint: string;
  hasRequest: boolean;
  hasResponse: boolean;
  status: string;
  /** Response time in µs when both request and response exist. */
  rrt: number;
}

interface OpenRow extends AppMetricsRow {
  /** Handed to the sink: a later record for the same key starts a new row. */
  flushed?: boolean;
}

/** The row one (group, endpoint) used last, so that the next record of the same interval skips the full key. */
interface Cell {
  row: OpenRow | null;
}

/** Per flow: its group key (observation point, client, server, port, protocol) and its endpoint cells. */
interface Group {
  protocol: string;
  key: string;
  cells: Map<string, Cell>;
  /**
   * The endpoint of the group's previous record and its cell: consecutive records mostly share it, and comparing
   * two short strings costs less than hashing a fresh one (the writer thread receives every endpoint as a new string).
   */
  lastEndpoint: string | null;
  lastCell: Cell | null;
}

/** Groups kept for the fast path; past it they are forgotten (rebuilt on the next record). */
const MAX_GROUPS = 100_000;

/**
 * Aggregates records per interval; rows that ended over `lagSeconds` before the newest record are handed out. A record
 * later than that (a request that timed out when its flow ended) starts a second row for its key and interval: every
 * reader sums the rows (counts, rrt sums and histogram buckets). 10 s for the minute rows too: two intervals (120 s)
 * kept up to four minutes of rows open, all written in the serial time at the end of an import (12.5k
 * metrics_app_1m rows on the benchmark capture).
 */
export class AppMetricsAggregator {
  private readonly rows = new Map<string, OpenRow>();
  private groups = new Map<string, Map<string, Cell>>();
  private newestSec = -Infinity;
  private lastFlushSec = -Infinity;
  private readonly sample: AppSample = {
    tsUs: 0, observationPointId: 0, ip0: '', ip1: '', serverPort: 0, protocol: '', endpoint: '', hasRequest: false,
    hasResponse: false, status: '', rrt: 0,
  };

  /**
   * `intervalUs`: 1 s for metrics_app_1s, 60 s for metrics_app_1m. `perClient`: keep the client address in the key
   * (edges client → server endpoint) or aggregate over clients (the server endpoint alone, ip_0 = ''). `slot`: where
   * in a flow's `appGroups` this aggregator keeps its group (distinct per aggregator fed the same flow objects).
   */
  constructor(
    private readonly sink: (row: AppMetricsRow) => void,
    private readonly intervalUs = US_PER_S,
    private readonly perClient = true,
    private readonly lagSeconds = APP_METRICS_LAG_S,
    private readonly slot = 0,
  ) {}

  add(flow: AppFlowKey, protocol: string, r: L7Record): void {
    const first = r.request ?? r.response;
    if (!first) return;
    const s = this.sample;
    s.tsUs = first.tsUs;
    s.observationPointId = flow.observationPointId;
    s.ip0 = flow.ip0;
    s.ip1 = flow.ip1;
    s.serverPort = flow.serverPort;
    s.protocol = protocol;
    s.endpoint = r.request?.endpoint ?? r.response?.endpoint ?? '';
    s.hasRequest = r.request !== undefined;
    s.hasResponse = r.response !== undefined;
    s.status = r.status;
    s.rrt = r.request && r.response ? Math.max(0, r.response.tsUs - r.request.tsUs) : 0;
    this.addSample(s, flow);
  }

  /**
   * Adds one record. `flowRef`, an object that stands for the record's flow (the same object for every record of
   * it), lets consecutive records of a flow find their row without building the full key.
   */
  addSample(s: AppSample, flowRef?: AppFlowRef): void {
    const slot = Math.floor(s.tsUs / this.intervalUs) * this.intervalUs;
    const sec = Math.floor(s.tsUs / US_PER_S);
    let cell: Cell | undefined;
    let groupKey: string | undefined;
    if (flowRef !== undefined) {
      // A property of the flow object rather than a WeakMap: a WeakMap lookup hashes the object each time.
      const slots = (flowRef.appGroups ??= []);
      let g = slots[this.slot] as Group | undefined;
      if (g === undefined || g.protocol !== s.protocol) {
        const key = `${s.observationPointId}|${this.perClient ? s.ip0 : ''}|${s.ip1}|${s.serverPort}|${s.protocol}`;
        let cells = this.groups.get(key);
        if (cells === undefined) {
          if (this.groups.size >= MAX_GROUPS) this.groups = new Map();
          cells = new Map();
          this.groups.set(key, cells);
        }
        g = { protocol: s.protocol, key, cells, lastEndpoint: null, lastCell: null };
        slots[this.slot] = g;
      }
      groupKey = g.key;
      if (g.lastEndpoint === s.endpoint) cell = g.lastCell as Cell;
      else {
        cell = g.cells.get(s.endpoint);
        if (cell === undefined) {
          cell = { row: null };
          g.cells.set(s.endpoint, cell);
        }
        g.lastEndpoint = s.endpoint;
        g.lastCell = cell;
      }
    }
    let row = cell?.row ?? null;
    if (row === null || row.time !== slot || row.flushed === true) {
      const ip0 = this.perClient ? s.ip0 : '';
      const key = groupKey !== undefined ? `${slot}|${groupKey}|${s.endpoint}`
        : `${slot}|${s.observationPointId}|${ip0}|${s.ip1}|${s.serverPort}|${s.protocol}|${s.endpoint}`;
      row = this.rows.get(key) ?? null;
      if (row === null) {
        row = {
          time: slot, observationPointId: s.observationPointId, ip0, ip1: s.ip1, serverPort: s.serverPort, l7Protocol: s.protocol,
          endpoint: s.endpoint, request: 0, response: 0, error: 0, clientError: 0, serverError: 0, timeout: 0, rrtSum: 0,
          rrtCount: 0, rrtMax: 0, buckets: zeroBuckets(), flushed: false,
        };
        this.rows.set(key, row);
      }
      if (cell !== undefined) cell.row = row;
    }
    if (s.hasRequest) row.request++;
    if (s.hasResponse) row.response++;
    if (s.status === 'client_error') {
      row.clientError++;
      row.error++;
    } else if (s.status === 'server_error') {
      row.serverError++;
      row.error++;
    } else if (s.status === 'timeout') {
      row.timeout++;
    }
    if (s.hasRequest && s.hasResponse) {
      const rrt = s.rrt;
      row.rrtSum += rrt;
      row.rrtCount++;
      if (rrt > row.rrtMax) row.rrtMax = rrt;
      row.buckets[bucketOf(rrt)]++;
    }
    if (sec > this.newestSec) {
      this.newestSec = sec;
      if (sec - this.lastFlushSec > this.lagSeconds) this.flushBefore(sec - this.lagSeconds);
    }
  }

  private flushBefore(sec: number): void {
    this.lastFlushSec = sec + this.lagSeconds;
    const limit = sec * US_PER_S;
    for (const [k, row] of this.rows) {
      if (row.time + this.intervalUs <= limit) {
        row.flushed = true;
        this.sink(row);
        this.rows.delete(k);
      }
    }
  }

  flushAll(): void {
    for (const row of this.rows.values()) {
      row.flushed = true;
      this.sink(row);
    }
    this.rows.clear();
  }
}
