// Fuzz test: random bytes and mutated fixtures through detect, parse (looped like the L7 stage) and stitch(final).
// State bound asserted after every case: ≤ MAX_STREAMS streams, ≤ MAX_NOTES notes, a held header block ≤ MAX_HELD
// bytes, an HPACK table within its max size ≤ MAX_TABLE_SIZE (64 KiB) per direction.
import { test } from 'vitest';
import { MAX_TABLE_SIZE } from './hpack.js';
import { detect } from './detect.js';
import { parser } from './index.js';
import { MAX_HELD, MAX_NOTES, MAX_STREAMS } from './parse.js';
import type { Http2State } from './parse.js';
import { allFixtures } from './test-support/fixtures.js';
import { ctxAt } from './test-support/h2.js';
import type { Segment } from './test-support/h2.js';
import { prng as rng } from '../../test-support/prng.js';

const CASES = 100_000;
const MAX_CALLS = 10_000;

function mutate(data: Buffer, r: () => number, donor: Buffer): Buffer {
  const b = Buffer.from(data);
  const int = (n: number) => Math.floor(r() * n);
  switch (int(6)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + int(4); i < n && b.length > 0; i++) b[int(b.length)] ^= 1 << int(8);
      return b;
    case 1: // truncation
      return b.subarray(0, int(b.length + 1));
    case 2: // splice with another fixture
      return Buffer.concat([b.subarray(0, int(b.length + 1)), donor.subarray(int(donor.length + 1))]);
    case 3: {
      // random frame length / type / stream id bytes
      if (b.length < 3) return b;
      const at = int(b.length - 2);
      b[at] = int(256);
      b[at + 1] = int(256);
      b[at + 2] = int(256);
      return b;
    }
    case 4: // random bytes inserted
      return Buffer.concat([b.subarray(0, int(b.length + 1)), Buffer.from(Array.from({ length: 1 + int(16) }, () => int(256))), b.subarray(int(b.length + 1))]);
    default: // duplicate a slice (replayed frames, HPACK entries twice)
      return Buffer.concat([b, b.subarray(int(b.length + 1))]);
  }
}

// Plain checks, not expect(): 100,000 cases × several assertions would dominate the run time.
function checkBounds(st: Http2State): void {
  const fail = (what: string) => {
    throw new Error(`state bound exceeded: ${what}`);
  };
  if (st.streams.size > MAX_STREAMS) fail('streams');
  if (st.notes.length > MAX_NOTES) fail('notes');
  for (const d of st.dirs) {
    if (d.hpack.maxSize > MAX_TABLE_SIZE || d.hpack.size > d.hpack.maxSize) fail('hpack table');
    if (d.pending !== null && d.pending.size > MAX_HELD) fail('held header block');
  }
}

function run(segments: Segment[], r: () => number): void {
  if (segments.length > 0) detect(segments[0].dir, segments[0].data);
  const st = parser.newState();
  const pending: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const reqs = [];
  const resps = [];
  let ts = 1;
  for (const s of segments) {
    // Random re-chunking of the segment, as TCP would deliver it.
    let rest = s.data;
    while (rest.length > 0) {
      const cut = r() < 0.7 ? rest.length : 1 + Math.floor(r() * rest.length);
      let buf = Buffer.concat([pending[s.dir], rest.subarray(0, cut)]);
      rest = rest.subarray(cut);
      let calls = 0;
      while (buf.length > 0) {
        if (++calls > MAX_CALLS) throw new Error('parser does not terminate');
        const res = parser.parse(s.dir, buf, st, ctxAt(ts++));
        if (res.consumed < 0 || res.consumed > buf.length) throw new Error(`consumed ${res.consumed} of ${buf.length}`);
        if (res.status === 'needs-more') {
          if (res.consumed !== 0) throw new Error('needs-more consumed bytes');
          break;
        }
        if (res.consumed === 0) throw new Error(`${res.status} without progress`);
        if (res.message?.type === 'request') reqs.push(res.message);
        if (res.message?.type === 'response') resps.push(res.message);
        buf = buf.subarray(res.consumed);
      }
      if (buf.length > 2 * MAX_HELD + 9) throw new Error(`parser holds ${buf.length} bytes`);
      pending[s.dir] = Buffer.from(buf);
    }
  }
  parser.stitch(reqs, resps, st, true);
  if (reqs.length + resps.length !== 0) throw new Error('stitch(final) left messages');
  checkBounds(st);
}

test(`fuzz: ${CASES} random and mutated inputs`, () => {
  const r = rng(0x4832);
  const donors = allFixtures.flatMap((f) => f.map((s) => s.data));
  const t0 = Date.now();
  for (let i = 0; i < CASES; i++) {
    let segments: Segment[];
    if (i % 5 === 0) {
      const n = 1 + Math.floor(r() * 3);
      segments = Array.from({ length: n }, () => ({
        dir: (r() < 0.5 ? 0 : 1) as 0 | 1,
        data: Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256))),
      }));
    } else {
      const fx = allFixtures[i % allFixtures.length];
      segments = fx.map((s) => (r() < 0.5 ? { dir: s.dir, data: mutate(s.data, r, donors[Math.floor(r() * donors.length)]) } : s));
    }
    run(segments, r);
  }
  // Speed is reported, not asserted (shared CI machines vary); the whole run stays well under the 20 s budget.
  console.log(`http2 fuzz: ${CASES} cases in ${Date.now() - t0} ms`);
}, 60_000);
