// Fuzz: 100,000 random and mutated Dubbo byte streams through detect, parse (looping like the L7 stage) and stitch.
import { expect, test } from 'vitest';
import type { FlowDirection } from '../../flows/types.js';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { ALL, REQ_BIG } from './test-support/fixtures.js';
import { prng } from '../../test-support/prng.js';

const CASES = 100_000;
/** Bytes the test holds per direction: the parser never asks for more than 16 + 64 KiB. */
const MAX_PENDING = 16 + 64 * 1024;
const MAX_LOOP = 10_000;
/** State bound: two skip counters, each below the largest announced body (u32). */
const MAX_SKIP = 0xffff_ffff;

function mutate(b: Buffer, rnd: () => number): Buffer {
  let out = Buffer.from(b);
  const at = (n: number): number => Math.floor(rnd() * Math.max(1, n));
  const steps = 1 + at(3);
  for (let i = 0; i < steps; i++) {
    switch (at(6)) {
      case 0: // bit flips
        for (let k = 0; k < 1 + at(6) && out.length; k++) out[at(out.length)] ^= 1 << at(8);
        break;
      case 1: // truncation
        out = out.subarray(0, at(out.length + 1));
        break;
      case 2: { // splice with another fixture
        const other = ALL[at(ALL.length)];
        const o = other[at(other.length)].bytes;
        const p = at(out.length + 1);
        out = Buffer.concat([out.subarray(0, p), o.subarray(at(o.length))]);
        break;
      }
      case 3: // random body length (small, or huge so the parser skips)
        if (out.length >= 16) out.writeUInt32BE(rnd() < 0.5 ? at(400) : Math.floor(rnd() * 0xffff_ffff), 12);
        break;
      case 4: { // insert random bytes
        const ins = Buffer.alloc(1 + at(16));
        for (let k = 0; k < ins.length; k++) ins[k] = at(256);
        const p = at(out.length + 1);
        out = Buffer.concat([out.subarray(0, p), ins, out.subarray(p)]);
        break;
      }
      default: // interesting byte values (hessian tags, magic halves)
        if (out.length) out[at(out.length)] = [0x00, 0xff, 0x1f, 0x33, 0x52, 0x53, 0x4e, 0xda, 0xbb, 0xf0][at(10)];
    }
  }
  return out;
}

/** Plain check: expect() is too slow for millions of calls. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

test(`fuzz: ${CASES} cases never throw, consume within bounds, terminate, keep state bounded`, () => {
  const rnd = prng(0xdabb);
  const ctx: ParseContext = { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: 20880 };
  let messages = 0;
  const seen: Record<string, number> = { ok: 0, invalid: 0, ignored: 0, 'needs-more': 0 };
  for (let c = 0; c < CASES; c++) {
    const streams: [Buffer[], Buffer[]] = [[], []];
    const kind = rnd();
    if (kind < 0.15) {
      const len = Math.floor(rnd() * 300);
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
      if (rnd() < 0.5 && len >= 2) b.writeUInt16BE(0xdabb, 0);
      streams[rnd() < 0.5 ? 0 : 1].push(b);
    } else {
      const s = ALL[Math.floor(rnd() * ALL.length)];
      for (const x of s) streams[x.dir].push(rnd() < 0.4 ? mutate(x.bytes, rnd) : x.bytes);
      if (rnd() < 0.003) streams[0].push(REQ_BIG);
    }
    const state = parser.newState();
    const requests: L7Message[] = [];
    const responses: L7Message[] = [];
    let produced = 0;
    for (const dir of [0, 1] as FlowDirection[]) {
      const whole = Buffer.concat(streams[dir]);
      parser.detect(dir, whole, ctx);
      let pending = Buffer.alloc(0);
      for (let off = 0; off < whole.length; ) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 2048));
        pending = pending.length ? Buffer.concat([pending, whole.subarray(off, off + n)]) : whole.subarray(off, off + n);
        off += n;
        let at = 0;
        let loops = 0;
        while (at < pending.length) {
          check(++loops < MAX_LOOP, 'parse loop did not terminate');
          const view = pending.subarray(at);
          const r = parser.parse(dir, view, state, ctx);
          seen[r.status]++;
          check(r.consumed >= 0 && r.consumed <= view.length, `consumed ${r.consumed} of ${view.length}`);
          if (r.status === 'needs-more') {
            check(r.consumed === 0, 'needs-more consumed bytes');
            break;
          }
          check(r.consumed > 0, `${r.status} consumed nothing`);
          if (r.status === 'ok') {
            const m = r.message as L7Message;
            check(m.length >= 16, 'message shorter than the header');
            if (m.type === 'request') requests.push(m);
            else if (m.type === 'response') responses.push(m);
            produced++;
          }
          at += r.consumed;
        }
        pending = pending.subarray(at);
        check(pending.length <= MAX_PENDING + 2048, `held ${pending.length} bytes`);
        check(state.skip[0] <= MAX_SKIP && state.skip[1] <= MAX_SKIP && Object.keys(state).length === 1, 'state grew');
      }
    }
    let records = parser.stitch(requests, responses, state, false).records.length;
    records += parser.stitch(requests, responses, state, true).records.length;
    check(requests.length + responses.length === 0, 'stitch(final) left messages');
    check(records <= produced, 'more records than messages');
    messages += produced;
  }
  expect(messages).toBeGreaterThan(CASES);
  for (const k of Object.keys(seen)) expect(seen[k], k).toBeGreaterThan(100);
}, 60_000);
