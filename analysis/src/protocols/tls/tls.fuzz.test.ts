// Fuzz: 100,000 random and mutated TLS byte streams through detect, parse (looping like the L7 stage) and stitch.
import { expect, test } from 'vitest';
import type { FlowDirection } from '../../flows/types.js';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { MAX_HANDSHAKE, MAX_RECORD } from './parse.js';
import { SESSIONS, type Step } from './test-support/fixtures.js';
import { prng } from '../../test-support/prng.js';

const CASES = 100_000;
const MAX_LOOP = 10_000;
/**
 * State bound: per direction at most one partial handshake message (≤ MAX_HANDSHAKE + one record), skip counters below
 * one record, drop counters below 2^24, two held message references.
 */
const MAX_HS = MAX_HANDSHAKE + MAX_RECORD;

const sessions: Step[][] = Object.values(SESSIONS);

function mutate(b: Buffer, rnd: () => number): Buffer {
  let out = Buffer.from(b);
  const at = (n: number): number => Math.floor(rnd() * Math.max(1, n));
  const steps = 1 + at(3);
  for (let i = 0; i < steps; i++) {
    switch (at(6)) {
      case 0:
        for (let k = 0; k < 1 + at(6) && out.length; k++) out[at(out.length)] ^= 1 << at(8);
        break;
      case 1:
        out = out.subarray(0, at(out.length + 1));
        break;
      case 2: {
        const other = sessions[at(sessions.length)];
        const o = other[at(other.length)].bytes;
        const p = at(out.length + 1);
        out = Buffer.concat([out.subarray(0, p), o.subarray(at(o.length))]);
        break;
      }
      case 3: // random record or handshake length
        if (out.length >= 9) {
          const p = rnd() < 0.5 ? 3 : 6;
          out[p] = at(256);
          out[p + 1] = at(256);
        }
        break;
      case 4: // random bytes inserted
        out = Buffer.concat([out.subarray(0, at(out.length + 1)), Buffer.from(Array.from({ length: 1 + at(40) }, () => at(256))), out]);
        break;
      default: // content type / version bytes
        if (out.length > 2) out[at(3)] = [20, 21, 22, 23, 24, 3, 0x80, at(256)][at(8)];
    }
  }
  return out;
}

function runCase(steps: Step[]): void {
  const st = parser.newState();
  const pending: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const reqs: L7Message[] = [];
  const resps: L7Message[] = [];
  steps.forEach((s, i) => {
    const ctx: ParseContext = { tsUs: i * 10, tcpSeq: 0, transport: 'tcp', serverPort: 443 };
    parser.detect(s.dir, s.bytes, ctx);
    let buf = pending[s.dir].length ? Buffer.concat([pending[s.dir], s.bytes]) : s.bytes;
    let n = 0;
    for (; n < MAX_LOOP && buf.length > 0; n++) {
      const r = parser.parse(s.dir, buf, st, ctx);
      if (!(r.consumed >= 0 && r.consumed <= buf.length)) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      if (r.status === 'needs-more') break;
      if (r.status === 'ok' && r.message) (r.message.type === 'request' ? reqs : resps).push(r.message);
      if (r.consumed === 0) break;
      buf = buf.subarray(r.consumed);
    }
    if (n >= MAX_LOOP) throw new Error('parse loop did not terminate');
    // The stage drops held bytes it cannot use; a record is at most 5 + MAX_RECORD.
    pending[s.dir] = buf.length <= 5 + MAX_RECORD ? buf : Buffer.alloc(0);
    for (const d of [0, 1] as FlowDirection[]) {
      if ((st.hs[d]?.length ?? 0) > MAX_HS || st.skip[d] > MAX_RECORD + 5) throw new Error('state grew beyond its bound');
    }
    parser.stitch(reqs, resps, st, false);
  });
  parser.stitch(reqs, resps, st, true);
  if (reqs.length + resps.length !== 0) throw new Error('stitch(final) left messages behind');
}

test(`fuzz: ${CASES} cases`, () => {
  const rnd = prng(0x7e5);
  const t0 = Date.now();
  for (let c = 0; c < CASES; c++) {
    const kind = rnd();
    let steps: Step[];
    if (kind < 0.15) {
      steps = Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ dir: (rnd() < 0.5 ? 0 : 1) as FlowDirection, bytes: Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256))) }));
    } else {
      const base = sessions[Math.floor(rnd() * sessions.length)];
      steps = base.map((s) => ({ dir: s.dir, bytes: rnd() < 0.5 ? mutate(s.bytes, rnd) : s.bytes }));
    }
    runCase(steps);
  }
  expect(Date.now() - t0).toBeLessThan(20_000);
  console.log(`TLS fuzz: ${CASES} cases in ${Date.now() - t0} ms`);
}, 60_000);
