// TCP stream reassembly of one direction for the L7 stage: in-order bytes exactly once, bounded out-of-order buffer, declared gaps.
import type { FlowDirection, FlowHandle, StreamConsumer } from './types.js';

/** A sequence distance above this is not a plausible window: treat it as garbage rather than as a 2 GiB gap. */
const MAX_PLAUSIBLE_DISTANCE = 1 << 30;

interface HeldSegment {
  seq: number;
  /** Captured bytes (a copy: the frame buffer is reused after the call). */
  data: Buffer;
  /** Bytes the headers announce; more than data.length when the capture truncated the frame. */
  wireLen: number;
  ts: number;
  frame: number;
}

/** Counters shared by all reassemblers of a flow table. */
export class ReassemblyCounters {
  bytesHeld = 0;
  gaps = 0;
  gapBytes = 0;
}

/**
 * Sequence numbers are uint32 and compared with signed 32-bit differences, so wraparound is transparent.
 * `base` is the next byte owed to the consumer. It starts at ISN + 1 when the SYN was seen (the SYN consumes one
 * sequence number; data on the SYN — TCP Fast Open — starts there), else at the first data segment seen.
 * Gaps are declared when the held bytes would exceed the budget (skip to the first held segment), when the peer
 * acknowledges bytes we never saw (capture loss), for bytes a truncated capture did not keep, and at the end.
 */
export class TcpReassembler {
  private base = 0;
  private hasBase = false;
  private finSeq = 0;
  private hasFin = false;
  private readonly held: HeldSegment[] = [];
  private heldBytes = 0;

  constructor(
    private readonly flow: FlowHandle,
    private readonly dir: FlowDirection,
    private readonly consumer: StreamConsumer,
    private readonly maxHeldBytes: number,
    private readonly counters: ReassemblyCounters,
  ) {}

  /** SYN seen with initial sequence number `isn`. */
  syn(isn: number): void {
    if (!this.hasBase) {
      this.base = (isn + 1) >>> 0;
      this.hasBase = true;
    }
  }

  /** FIN seen at sequence `seq` (seq + payload length of the FIN segment): acks beyond it acknowledge the FIN, not data. */
  fin(seq: number): void {
    if (!this.hasFin || ((seq - this.finSeq) | 0) < 0) {
      this.finSeq = seq;
      this.hasFin = true;
    }
  }

  /** A segment's payload: `len` captured bytes at buf[off..], `wireLen` announced by the headers. */
  segment(seq: number, buf: Buffer, off: number, len: number, wireLen: number, ts: number, frame: number): void {
    if (wireLen <= 0) return;
    if (!this.hasBase) {
      this.base = seq;
      this.hasBase = true;
    }
    const ahead = (seq - this.base) | 0;
    if (ahead <= 0) {
      this.deliver(seq, buf, off, len, wireLen, ts, frame);
      if (this.held.length > 0) this.drain();
      return;
    }
    if (ahead > MAX_PLAUSIBLE_DISTANCE) return;
    this.hold(seq, buf, off, len, wireLen, ts, frame);
  }

  /** The other direction acknowledged up to `ack`: bytes below it that never arrived are lost to the capture. */
  acked(ack: number, ts: number): void {
    if (!this.hasBase) return;
    let limit = ack;
    if (this.hasFin && ((ack - this.finSeq) | 0) > 0) limit = this.finSeq;
    const d = (limit - this.base) | 0;
    if (d <= 0 || d > MAX_PLAUSIBLE_DISTANCE) return;
    while (((limit - this.base) | 0) > 0) {
      if (this.held.length > 0 && ((this.held[0].seq - this.base) | 0) <= 0) {
        this.drain();
        continue;
      }
      let next = limit;
      if (this.held.length > 0 && ((this.held[0].seq - limit) | 0) < 0) next = this.held[0].seq;
      this.gap(this.base, (next - this.base) | 0, ts);
      this.base = next;
    }
    if (this.held.length > 0) this.drain();
  }

  /** End of the flow: hand over everything held, declaring the holes between. */
  finish(ts: number): void {
    while (this.held.length > 0) {
      const first = this.held[0];
      const hole = (first.seq - this.base) | 0;
      if (hole > 0) {
        this.gap(this.base, hole, ts);
        this.base = first.seq;
      }
      this.drain();
    }
  }

  private hold(seq: number, buf: Buffer, off: number, len: number, wireLen: number, ts: number, frame: number): void {
    // Over budget: give up on the oldest hole (declare it), deliver what follows it, until the segment fits.
    while (this.heldBytes + len > this.maxHeldBytes && this.held.length > 0) {
      const first = this.held[0];
      this.gap(this.base, (first.seq - this.base) | 0, ts);
      this.base = first.seq;
      this.drain();
    }
    const ahead = (seq - this.base) | 0;
    if (ahead <= 0) {
      this.deliver(seq, buf, off, len, wireLen, ts, frame);
      if (this.held.length > 0) this.drain();
      return;
    }
    if (this.heldBytes + len > this.maxHeldBytes) {
      // The segment alone exceeds the budget: skip straight to it.
      this.gap(this.base, ahead, ts);
      this.base = seq;
      this.deliver(seq, buf, off, len, wireLen, ts, frame);
      return;
    }
    const seg: HeldSegment = { seq, data: Buffer.from(buf.subarray(off, off + len)), wireLen, ts, frame };
    let i = this.held.length;
    while (i > 0 && ((this.held[i - 1].seq - seq) | 0) > 0) i--;
    this.held.splice(i, 0, seg);
    this.heldBytes += len;
    this.counters.bytesHeld += len;
  }

  /** Deliver held segments that now start at or below base. */
  private drain(): void {
    const held = this.held;
    while (held.length > 0 && ((held[0].seq - this.base) | 0) <= 0) {
      const h = held.shift() as HeldSegment;
      this.heldBytes -= h.data.length;
      this.counters.bytesHeld -= h.data.length;
      this.deliver(h.seq, h.data, 0, h.data.length, h.wireLen, h.ts, h.frame);
    }
  }

  /** Deliver a segment starting at or below base, trimming what was already delivered. */
  private deliver(seq: number, buf: Buffer, off: number, len: number, wireLen: number, ts: number, frame: number): void {
    const done = (this.base - seq) | 0;
    if (done >= wireLen) return;
    const end = (seq + wireLen) >>> 0;
    if (done < len) {
      this.consumer.onData(this.flow, this.dir, ts, this.base, buf.subarray(off + done, off + len), frame);
      this.base = (seq + len) >>> 0;
    }
    if (len < wireLen) this.gap(this.base, (end - this.base) | 0, ts);
    this.base = end;
  }

  private gap(seq: number, length: number, ts: number): void {
    if (length <= 0) return;
    this.counters.gaps++;
    this.counters.gapBytes += length;
    this.consumer.onGap(this.flow, this.dir, ts, seq, length);
  }

  /** Release held bytes from the shared counter when the flow is dropped. */
  release(): void {
    this.counters.bytesHeld -= this.heldBytes;
    this.heldBytes = 0;
    this.held.length = 0;
  }
}
