// IPv4/IPv6 fragment reassembly with a capture-time timeout, a memory bound and a first-arrival-wins overlap rule.
import type { DecodeViolation } from './types.js';

/** What add() made of a fragment. */
export const FragmentResult = {
  /** Stored; the datagram is not complete yet. */
  PENDING: 0,
  /** The datagram is complete: see `completed` / `completedNextHeader` / `completedFragments`. */
  COMPLETE: 1,
  /** The fragment was rejected (datagram too long, too many pieces, memory bound): a violation was recorded. */
  DROPPED: 2,
} as const;
export type FragmentResultCode = (typeof FragmentResult)[keyof typeof FragmentResult];

/** One contiguous run of bytes held for a datagram; runs of a train never overlap and are sorted by start. */
interface Run {
  start: number;
  data: Buffer;
}

interface Train {
  /** Human-readable identity for violation messages (built once per train, not per fragment). */
  label: string;
  firstTsUs: number;
  runs: Run[];
  /** Total payload length, known once the last fragment (MF = 0) arrived; -1 before. */
  totalLen: number;
  heldBytes: number;
  fragments: number;
  /** IPv6: Next Header of the fragment at offset 0 (what the reassembled payload starts with); -1 until seen. */
  nextHeader: number;
  overlapReported: boolean;
}

/** Largest reassembled payload an IP header can describe. */
const MAX_DATAGRAM = 65535;
/** Distinct runs per datagram: bounds the work per fragment (the overlap walk is linear in runs). */
const MAX_RUNS = 512;

export interface FragmentStats {
  trainsHeld: number;
  bytesHeld: number;
  completed: number;
  timedOut: number;
  evicted: number;
  overlaps: number;
  dropped: number;
}

export class FragmentReassembler {
  /** Insertion order = creation order = order of first fragment's capture time, which expiry relies on. */
  private readonly trains = new Map<string, Train>();
  private bytesHeld = 0;
  /** Capture time at which the oldest train expires; Infinity when none is held (one compare per packet). */
  nextDeadlineUs = Infinity;

  completed: Buffer = Buffer.alloc(0);
  completedNextHeader = -1;
  completedFragments = 0;

  private readonly counters = { completed: 0, timedOut: 0, evicted: 0, overlaps: 0, dropped: 0 };

  constructor(
    private readonly maxBytes: number,
    private readonly timeoutUs: number,
    private readonly report: (v: DecodeViolation) => void,
  ) {}

  stats(): FragmentStats {
    return { trainsHeld: this.trains.size, bytesHeld: this.bytesHeld, ...this.counters };
  }

  /**
   * Adds the fragment payload src[srcOff .. srcOff+len) found at byte `start` of its datagram. `more` is the MF
   * flag; `nextHeader` matters only for IPv6 (the Next Header of the fragment header). `labelOf` builds the
   * train's description lazily, on the slow path of a new train.
   */
  add(
    key: string,
    labelOf: () => string,
    tsUs: number,
    start: number,
    src: Buffer,
    srcOff: number,
    len: number,
    more: boolean,
    nextHeader: number,
  ): FragmentResultCode {
    this.expire(tsUs);
    const end = start + len;
    let train = this.trains.get(key);
    if (end > MAX_DATAGRAM) {
      this.counters.dropped++;
      this.report({ kind: 'ip-fragment-too-long', message: `${labelOf()}: fragment ends at byte ${end}, past ${MAX_DATAGRAM}` });
      if (train !== undefined) this.drop(key, train);
      return FragmentResult.DROPPED;
    }
    if (train === undefined) {
      train = { label: labelOf(), firstTsUs: tsUs, runs: [], totalLen: -1, heldBytes: 0, fragments: 0, nextHeader: -1, overlapReported: false };
      this.trains.set(key, train);
      if (this.trains.size === 1) this.nextDeadlineUs = tsUs + this.timeoutUs;
    }
    train.fragments++;
    if (start === 0 && nextHeader >= 0) train.nextHeader = nextHeader;
    if (!more) {
      if (train.totalLen >= 0 && train.totalLen !== end) {
        this.reportOverlap(train, `last fragment says ${end} bytes, an earlier one said ${train.totalLen}; keeping the first`);
      } else if (train.totalLen < 0) {
        train.totalLen = end;
        this.trimPast(train, end);
      }
    }
    const limit = train.totalLen >= 0 ? Math.min(end, train.totalLen) : end;
    if (limit < end) this.reportOverlap(train, `fragment data past the datagram end (${train.totalLen}) ignored`);
    if (!this.insert(train, start, limit, src, srcOff)) {
      this.counters.dropped++;
      this.report({ kind: 'ip-fragment-too-many', message: `${train.label}: more than ${MAX_RUNS} fragment pieces, dropped` });
      this.drop(key, train);
      return FragmentResult.DROPPED;
    }
    if (this.bytesHeld > this.maxBytes && !this.evictFor(key, train)) {
      this.counters.dropped++;
      return FragmentResult.DROPPED;
    }
    // Runs are disjoint and within [0, totalLen), so equal byte counts mean full coverage (offset 0 included).
    if (train.totalLen >= 0 && train.heldBytes === train.totalLen) {
      this.complete(key, train);
      return FragmentResult.COMPLETE;
    }
    return FragmentResult.PENDING;
  }

  /** Drops trains whose first fragment is older than the timeout, recording each as a violation. */
  expire(tsUs: number): void {
    if (tsUs < this.nextDeadlineUs) return;
    for (const [key, train] of this.trains) {
      if (train.firstTsUs + this.timeoutUs > tsUs) {
        this.nextDeadlineUs = train.firstTsUs + this.timeoutUs;
        return;
      }
      this.counters.timedOut++;
      this.report({ kind: 'ip-fragment-timeout', message: `${train.label}: incomplete after ${this.timeoutUs} µs (${describe(train)})` });
      this.drop(key, train);
    }
    this.nextDeadlineUs = Infinity;
  }

  /** Reports every incomplete datagram still held (end of capture) and forgets them. */
  flush(): void {
    for (const [key, train] of this.trains) {
      this.counters.timedOut++;
      this.report({ kind: 'ip-fragment-incomplete', message: `${train.label}: incomplete at end of capture (${describe(train)})` });
      this.drop(key, train);
    }
    this.nextDeadlineUs = Infinity;
  }

  /**
   * Stores the bytes of [start, end) not already held: runs are kept disjoint, so bytes that arrived first win
   * whatever later fragments say (a deterministic answer to overlap attacks; differing bytes are reported).
   */
  private insert(train: Train, start: number, end: number, src: Buffer, srcOff: number): boolean {
    const runs = train.runs;
    let pos = start;
    let i = 0;
    while (i < runs.length && runs[i].start + runs[i].data.length <= pos) i++;
    while (pos < end) {
      const next = i < runs.length ? runs[i] : undefined;
      if (next !== undefined && next.start <= pos) {
        // Overlap with a run already held: compare, keep the old bytes.
        const runEnd = next.start + next.data.length;
        const overlapEnd = Math.min(end, runEnd);
        const a = next.data.subarray(pos - next.start, overlapEnd - next.start);
        const b = src.subarray(srcOff + (pos - start), srcOff + (overlapEnd - start));
        this.reportOverlap(train, a.equals(b) ? '' : `overlapping fragments disagree at bytes ${pos}..${overlapEnd}; first arrival kept`);
        pos = overlapEnd;
        i++;
        continue;
      }
      const gapEnd = next !== undefined ? Math.min(end, next.start) : end;
      if (runs.length >= MAX_RUNS) return false;
      const data = Buffer.from(src.subarray(srcOff + (pos - start), srcOff + (gapEnd - start)));
      runs.splice(i, 0, { start: pos, data });
      train.heldBytes += data.length;
      this.bytesHeld += data.length;
      i++;
      pos = gapEnd;
    }
    return true;
  }

  /** Overlaps with identical bytes (retransmitted fragments) are counted; differing bytes also become a violation. */
  private reportOverlap(train: Train, conflict: string): void {
    this.counters.overlaps++;
    if (conflict === '' || train.overlapReported) return;
    train.overlapReported = true;
    this.report({ kind: 'ip-fragment-overlap', message: `${train.label}: ${conflict}` });
  }

  private complete(key: string, train: Train): void {
    const out = Buffer.allocUnsafe(train.totalLen);
    for (const run of train.runs) run.data.copy(out, run.start);
    this.completed = out;
    this.completedNextHeader = train.nextHeader;
    this.completedFragments = train.fragments;
    this.counters.completed++;
    this.drop(key, train);
  }

  /** Evicts the oldest trains other than `keep` until under the memory bound; false if `keep` had to go too. */
  private evictFor(keepKey: string, keep: Train): boolean {
    for (const [key, train] of this.trains) {
      if (this.bytesHeld <= this.maxBytes) return true;
      if (train === keep) continue;
      this.counters.evicted++;
      this.report({ kind: 'ip-fragment-evicted', message: `${train.label}: evicted to stay under ${this.maxBytes} bytes (${describe(train)})` });
      this.drop(key, train);
    }
    if (this.bytesHeld <= this.maxBytes) return true;
    this.counters.evicted++;
    this.report({ kind: 'ip-fragment-evicted', message: `${keep.label}: alone exceeds ${this.maxBytes} bytes, dropped` });
    this.drop(keepKey, keep);
    return false;
  }

  /** Once the datagram length is known, bytes held past it (from a lying earlier fragment) are let go. */
  private trimPast(train: Train, totalLen: number): void {
    const runs = train.runs;
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i];
      const runEnd = run.start + run.data.length;
      if (runEnd <= totalLen) break;
      const keep = Math.max(0, totalLen - run.start);
      const cut = run.data.length - keep;
      train.heldBytes -= cut;
      this.bytesHeld -= cut;
      if (keep === 0) runs.splice(i, 1);
      else run.data = run.data.subarray(0, keep);
      this.reportOverlap(train, `fragment data past the datagram end (${totalLen}) ignored`);
    }
  }

  private drop(key: string, train: Train): void {
    this.bytesHeld -= train.heldBytes;
    this.trains.delete(key);
    if (this.trains.size === 0) this.nextDeadlineUs = Infinity;
    else {
      const oldest = this.trains.values().next().value as Train;
      this.nextDeadlineUs = oldest.firstTsUs + this.timeoutUs;
    }
  }
}

function describe(train: Train): string {
  const total = train.totalLen >= 0 ? String(train.totalLen) : '?';
  return `${train.fragments} fragment(s), ${train.heldBytes} of ${total} bytes`;
}
