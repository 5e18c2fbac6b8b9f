// Fuzz test: random bytes and mutated fixtures through detect, parse (looping like the L7 stage) and stitch.
import { describe, expect, test } from 'vitest';
import type { L7Message } from '../types.js';
import { parser } from './index.js';
import { ctx, fx, tcpTwoQueries, withPrefix } from './test-support/fixtures.js';
import { ANSWERED_IDS_CAP } from './types.js';
import { prng } from '../../test-support/prng.js';

const CASES = 400_000;
/** Parse calls per case: a TCP buffer of n bytes yields at most n / 2 messages or invalid skips. */
const MAX_LOOP = 10_000;

const seeds: Buffer[] = [...Object.values(fx), ...Object.values(fx).map(withPrefix), tcpTwoQueries];

function mutate(rand: () => number): Buffer {
  const pick = (): Buffer => seeds[Math.floor(rand() * seeds.length)];
  const kind = Math.floor(rand() * 6);
  if (kind === 0) {
    const b = Buffer.alloc(Math.floor(rand() * 96));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(rand() * 256);
    return b;
  }
  const b = Buffer.from(pick());
  switch (kind) {
    case 1: // bit flips
      for (let n = 1 + Math.floor(rand() * 4); n > 0 && b.length > 0; n--) b[Math.floor(rand() * b.length)] ^= 1 << Math.floor(rand() * 8);
      return b;
    case 2: // truncation
      return b.subarray(0, Math.floor(rand() * b.length));
    case 3: {
      // splice two fixtures at random points
      const o = pick();
      return Buffer.concat([b.subarray(0, Math.floor(rand() * b.length)), o.subarray(Math.floor(rand() * o.length))]);
    }
    case 4: // random 16-bit length / count / pointer somewhere in the first bytes
      if (b.length >= 16) b.writeUInt16BE(Math.floor(rand() * 65536), Math.floor(rand() * 14));
      return b;
    default: // random byte overwrites, often in names where pointers and label lengths live
      for (let n = 1 + Math.floor(rand() * 3); n > 0 && b.length > 0; n--) b[Math.floor(rand() * b.length)] = rand() < 0.5 ? 0xc0 | Math.floor(rand() * 4) : Math.floor(rand() * 256);
      return b;
  }
}

describe('DNS fuzz', () => {
  test(`${CASES} random and mutated inputs never throw, consume within bounds and terminate`, () => {
    const rand = prng(0xd45);
    let messages = 0;
    for (let i = 0; i < CASES; i++) {
      const bytes = mutate(rand);
      const transport = i % 2 === 0 ? 'udp' : 'tcp';
      const c = ctx(transport, i);
      parser.detect(0, bytes, c);
      parser.detect(1, bytes, c);
      const state = parser.newState();
      const requests: L7Message[] = [];
      const responses: L7Message[] = [];
      let off = 0;
      let loops = 0;
      while (off < bytes.length) {
        if (++loops > MAX_LOOP) throw new Error(`no termination (case ${i})`);
        const view = bytes.subarray(off);
        const r = parser.parse(i % 4 < 2 ? 0 : 1, view, state, c);
        if (r.consumed < 0 || r.consumed > view.length) throw new Error(`consumed ${r.consumed} of ${view.length} (case ${i})`);
        if (r.message?.type === 'request') requests.push(r.message);
        if (r.message?.type === 'response') responses.push(r.message);
        if (r.status === 'needs-more' || r.consumed === 0 || transport === 'udp') break;
        off += r.consumed;
      }
      messages += requests.length + responses.length;
      parser.stitch(requests, responses, state, true);
      if (requests.length + responses.length !== 0) throw new Error(`stitch left messages (case ${i})`);
      if (state.answeredIds.length > ANSWERED_IDS_CAP) throw new Error(`state grew to ${state.answeredIds.length}`);
    }
    // The mutations must keep reaching the decoder, not only the header checks.
    expect(messages).toBeGreaterThan(CASES / 4);
  });
});
