// Idle-expiry schedule of flows by capture second: cheap to feed per flow, checked at most once per capture second.

export interface Schedulable {
  /** Second this item is scheduled to be looked at, -1 when not scheduled. Owned by the wheel. */
  wakeSec: number;
}

const US_PER_S = 1_000_000;

/**
 * Buckets keyed by capture second plus a min-heap of the bucket seconds (so a jump in capture time costs one heap
 * pop per non-empty bucket, not one step per second). A flow is scheduled when its deadline (last packet + idle
 * timeout) is first known or moves earlier; packets that push the deadline later do not touch the wheel: when the
 * bucket comes due, the owner checks the real deadline and schedules again. So each flow is looked at about once per
 * timeout period, independent of its packet rate.
 */
export class ExpiryWheel<T extends Schedulable> {
  private readonly buckets = new Map<number, T[]>();
  private readonly heap: number[] = [];

  /** Make sure `item` is looked at once capture time passes `deadlineUs`. */
  schedule(item: T, deadlineUs: number): void {
    const sec = Math.floor(deadlineUs / US_PER_S) + 1;
    if (item.wakeSec !== -1 && item.wakeSec <= sec) return;
    item.wakeSec = sec;
    let bucket = this.buckets.get(sec);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(sec, bucket);
      this.heapPush(sec);
    }
    bucket.push(item);
  }

  /** Hand every item due at capture time `nowUs` to `visit` (the item is unscheduled first; `visit` may schedule it again). */
  due(nowUs: number, visit: (item: T) => void): void {
    const nowSec = Math.floor(nowUs / US_PER_S);
    const heap = this.heap;
    while (heap.length > 0 && heap[0] <= nowSec) {
      const sec = this.heapPop();
      const bucket = this.buckets.get(sec) as T[];
      this.buckets.delete(sec);
      for (let i = 0; i < bucket.length; i++) {
        const item = bucket[i];
        if (item.wakeSec !== sec) continue; // stale entry: the item was rescheduled earlier
        item.wakeSec = -1;
        visit(item);
      }
    }
  }

  /** Scheduled entries, stale ones included (for the memory-bound tests). */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.length;
    return n;
  }

  private heapPush(v: number): void {
    const h = this.heap;
    let i = h.length;
    h.push(v);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p] <= v) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = v;
  }

  private heapPop(): number {
    const h = this.heap;
    const top = h[0];
    const last = h.pop() as number;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && h[r] < h[l] ? r : l;
        if (h[c] >= last) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
