// Fuzz: random bytes and mutations of the fixtures through detect, parse (looping like the L7 stage) and stitch.
import { expect, test } from 'vitest';
import { prng } from '../../test-support/prng.js';
import { parser } from './index.js';
import type { Segment } from './test-support/conversation.js';
import { drive } from './test-support/drive.js';
import { conversations } from './test-support/fixtures.js';
import { MAX_HEADER_BYTES, MAX_PENDING_METHODS } from './types.js';

const CASES = 100_000;
/** Bytes that steer an HTTP/1 parser into its interesting branches. */
const TOKENS = ['\r\n', '\n', '\r\n\r\n', ': ', ' ', '0\r\n\r\n', 'HTTP/1.1 ', 'GET / HTTP/1.1\r\n', 'Content-Length: 9',
  'Transfer-Encoding: chunked', 'ffffffffffffffffff', 'HEAD ', 'Upgrade: h2c\r\nConnection: Upgrade', '101', '100', '204',
  'CONNECT a:1 HTTP/1.1\r\n\r\n'].map((t) => Buffer.from(t, 'latin1'));

function mutate(rand: () => number, data: Buffer): Buffer {
  const b = Buffer.from(data);
  const pick = Math.floor(rand() * 6);
  const at = Math.floor(rand() * (b.length + 1));
  switch (pick) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n && b.length > 0; i++) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      return b;
    case 1: // truncation
      return b.subarray(0, at);
    case 2: // splice in a token
      return Buffer.concat([b.subarray(0, at), TOKENS[Math.floor(rand() * TOKENS.length)], b.subarray(at)]);
    case 3: // random bytes of a random length
      return Buffer.concat([b.subarray(0, at), randomBytes(rand, Math.floor(rand() * 64)), b.subarray(at)]);
    case 4: // drop a range
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + Math.floor(rand() * 32)))]);
    default: // duplicate a range
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.floor(rand() * (at + 1))), b.subarray(at)]);
  }
}

function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** One case: a mutated fixture conversation, re-split at random points, sometimes with capture gaps; or noise. */
function makeCase(rand: () => number): Segment[] {
  if (rand() < 0.1) {
    const out: Segment[] = [];
    for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n; i++) out.push({ dir: rand() < 0.5 ? 0 : 1, data: randomBytes(rand, Math.floor(rand() * 200)) });
    return out;
  }
  const base = conversations[Math.floor(rand() * conversations.length)].segments;
  const out: Segment[] = [];
  for (const s of base) {
    let data = s.data;
    for (let m = rand() < 0.7 ? 1 + Math.floor(rand() * 3) : 0; m > 0; m--) data = mutate(rand, data);
    // Re-split so that messages and chunks straddle segment boundaries.
    while (data.length > 0) {
      const k = rand() < 0.5 ? data.length : 1 + Math.floor(rand() * data.length);
      out.push({ dir: s.dir, data: data.subarray(0, k), lostBefore: rand() < 0.03 ? 1 + Math.floor(rand() * 64) : undefined });
      data = data.subarray(k);
    }
  }
  return out;
}

test(`fuzz: ${CASES} cases never throw, consume within bounds, terminate, keep state bounded`, () => {
  const rand = prng(0x4854_5450);
  const ctx = { tsUs: 0, tcpSeq: 0, transport: 'tcp' as const, serverPort: 80 };
  let messages = 0;
  for (let i = 0; i < CASES; i++) {
    const segments = makeCase(rand);
    for (const s of segments) parser.detect(s.dir, s.data, ctx);
    // drive() throws when consumed leaves [0, length], when needs-more consumes, or on a stuck loop.
    const d = drive(segments);
    messages += d.messages.length;
    // State bound: the method FIFO is capped; body counters stay numbers; nothing else grows.
    // (Plain checks: expect() per case would dominate the run time.)
    if (d.state.pendingMethods.length > MAX_PENDING_METHODS) throw new Error(`case ${i}: method FIFO grew`);
    if (d.state.pendingXRequestIds.length !== d.state.pendingMethods.length) throw new Error(`case ${i}: X-Request-ID FIFO out of step`);
    for (const b of d.state.body) {
      if (!(b.remaining >= 0 && Number.isFinite(b.remaining))) throw new Error(`case ${i}: body remaining ${b.remaining}`);
      if (b.trailerBytes > MAX_HEADER_BYTES + 1024) throw new Error(`case ${i}: trailers grew`);
    }
    // Everything was stitched away at final.
    const stitched = d.records.reduce((n, r) => n + (r.request ? 1 : 0) + (r.response ? 1 : 0), 0);
    if (stitched !== d.messages.length) throw new Error(`case ${i}: ${d.messages.length} messages, ${stitched} stitched`);
  }
  expect(messages).toBeGreaterThan(CASES / 2);
}, 60_000);
