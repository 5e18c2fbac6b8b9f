// Fuzz test: random bytes and mutated fixtures through detect, parse (driven like the L7 stage) and stitch never throw.
import { describe, expect, test } from 'vitest';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { MAX_PENDING, type KafkaState } from './parse.js';
import { MAX_SIZE } from './tables.js';
import { PAIRS, largeProduce } from './test-support/fixtures.js';
import { prng as rng } from '../../test-support/prng.js';

const CASES = 100_000;
/** Parse calls per buffer: each call consumes ≥ 1 byte or stops, so a buffer of n bytes needs at most n + 1. */
const MAX_CALLS = 10_000;
/** The stage's cap on held bytes; a parser waiting beyond it is given up on (here: the buffer is dropped). */
const MAX_HELD = 1 << 20;

const seeds: Buffer[] = PAIRS.flatMap((p) => (p.response ? [p.request, p.response] : [p.request]));
/** A message larger than MAX_HOLD (returned from its head, body skipped): used in 1 case of 100, it is slow to feed. */
const big = largeProduce(1, 70_000);

function mutate(rand: () => number, case_: number): Buffer {
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = (): Buffer => (case_ % 100 === 7 ? big : seeds[int(seeds.length)]);
  switch (case_ % 6) {
    case 0: { // random bytes
      const b = Buffer.alloc(int(300));
      for (let i = 0; i < b.length; i++) b[i] = int(256);
      return b;
    }
    case 1: { // bit flips
      const b = Buffer.from(pick());
      for (let n = 1 + int(8); n > 0 && b.length > 0; n--) b[int(b.length)] ^= 1 << int(8);
      return b;
    }
    case 2: { // truncation
      const s = pick();
      return s.subarray(0, int(s.length + 1));
    }
    case 3: { // splice of two messages
      const a = pick();
      const c = pick();
      return Buffer.concat([a.subarray(0, int(a.length + 1)), c.subarray(int(c.length + 1))]);
    }
    case 4: { // random size prefix, header, or length field inside the body
      const b = Buffer.from(pick());
      const at = int(Math.max(1, b.length - 3));
      if (b.length >= 4) b.writeInt32BE(int(2) === 0 ? int(b.length * 2) - 4 : (int(0x100000000) | 0), rand() < 0.3 ? 0 : at);
      return b;
    }
    default: { // several messages back to back, random bytes between some
      const parts: Buffer[] = [];
      for (let n = 1 + int(4); n > 0; n--) {
        parts.push(pick());
        if (rand() < 0.2) parts.push(Buffer.from([int(256), int(256)]));
      }
      return Buffer.concat(parts);
    }
  }
}

/** Drives the parser like the L7 stage: chunks appended to what it left, parse until it waits or the buffer is empty. */
function drive(state: KafkaState, dir: 0 | 1, data: Buffer, rand: () => number, out: L7Message[]): void {
  const ctx: ParseContext = { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: rand() < 0.5 ? 9092 : 30120 };
  let held = Buffer.alloc(0);
  let pos = 0;
  while (pos < data.length) {
    const n = 1 + Math.floor(rand() * Math.min(2000, data.length - pos));
    let buf = Buffer.concat([held, data.subarray(pos, pos + n)]);
    pos += n;
    let calls = 0;
    while (buf.length > 0) {
      // Plain checks: expect() in this hot loop would dominate the run time.
      if (++calls >= MAX_CALLS) throw new Error('parse loop did not terminate');
      const r = parser.parse(dir, buf, state, ctx);
      if (!(r.consumed >= 0 && r.consumed <= buf.length)) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      if (r.status === 'needs-more' ? r.consumed !== 0 : r.consumed === 0) throw new Error(`${r.status} consumed ${r.consumed}`);
      if (r.message) out.push(r.message);
      if (r.status === 'needs-more' || r.consumed === 0) break;
      buf = buf.subarray(r.consumed);
    }
    held = buf.length > MAX_HELD ? Buffer.alloc(0) : Buffer.from(buf);
  }
}

describe('Kafka fuzz', () => {
  test(`${CASES} cases: no throw, consumed within bounds, termination, bounded state`, () => {
    const rand = rng(0x6b61666b);
    const started = Date.now();
    let messages = 0;
    for (let c = 0; c < CASES; c++) {
      const data = mutate(rand, c);
      try {
        parser.detect(0, data, { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: 0 });
        parser.detect(1, data, { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: 0 });
        const state = parser.newState();
        const out: L7Message[] = [];
        // Alternate directions so responses meet pending requests (and the role-swap logic is exercised).
        const dirFirst = (c & 1) as 0 | 1;
        drive(state, dirFirst, data, rand, out);
        drive(state, (1 - dirFirst) as 0 | 1, mutate(rand, c + 1), rand, out);
        // State bound: at most MAX_PENDING awaited requests, skips non-negative and below the size cap.
        if (state.pending.size > MAX_PENDING) throw new Error('pending map beyond its bound');
        for (const s of state.skip) if (!(s >= 0 && s <= MAX_SIZE + 4)) throw new Error(`skip ${s}`);
        const requests = out.filter((m) => m.type === 'request');
        const responses = out.filter((m) => m.type === 'response');
        const total = requests.length + responses.length;
        // A partial stitch (as after each message), then the final one: together they return every message once.
        const early = parser.stitch(requests, responses, state, false);
        const st = parser.stitch(requests, responses, state, true);
        const returned = [...early.records, ...st.records].reduce((n, r) => n + (r.request ? 1 : 0) + (r.response ? 1 : 0), 0);
        if (requests.length + responses.length !== 0 || returned !== total) throw new Error('stitch lost messages');
        messages += total;
      } catch (e) {
        throw new Error(`case ${c} (${data.toString('hex').slice(0, 400)}): ${String(e)}`);
      }
    }
    expect(Date.now() - started).toBeLessThan(20_000);
    console.log(`kafka fuzz: ${CASES} cases, ${messages} messages, ${Date.now() - started} ms`);
    expect(messages).toBeGreaterThan(0);
  }, 60_000);
});
