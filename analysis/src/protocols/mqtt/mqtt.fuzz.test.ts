// Fuzz: 100,000 random and mutated MQTT byte streams through detect, parse (looping like the L7 stage) and stitch.
import { expect, test } from 'vitest';
import type { FlowDirection } from '../../flows/types.js';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { ALL } from './test-support/fixtures.js';
import { prng } from '../../test-support/prng.js';

const CASES = 100_000;
/** The stage's cap on held bytes is larger; here 256 KiB keeps cases fast while covering the 64 KiB header cap. */
const MAX_PENDING = 256 * 1024;
const MAX_LOOP = 10_000;
/** State bound: level, client id (≤ 1024 UTF-16 units), two skip counters (< 2^28 + 5 each). */
const MAX_CLIENT_ID = 1024;
const MAX_SKIP = 268_435_455 + 5;

const sessions = ALL.map((s) => s.map((x) => ({ dir: x.dir, bytes: x.bytes })));

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
        const other = sessions[at(sessions.length)];
        const o = other[at(other.length)].bytes;
        const p = at(out.length + 1);
        out = Buffer.concat([out.subarray(0, p), o.subarray(at(o.length))]);
        break;
      }
      case 3: { // random remaining length (1..4 varint bytes) at byte 1
        if (out.length < 2) break;
        const n = 1 + at(4);
        for (let k = 0; k < n && 1 + k < out.length; k++) out[1 + k] = (k < n - 1 ? 0x80 : 0) | at(128);
        break;
      }
      case 4: { // insert random bytes
        const ins = Buffer.alloc(1 + at(16));
        for (let k = 0; k < ins.length; k++) ins[k] = at(256);
        const p = at(out.length + 1);
        out = Buffer.concat([out.subarray(0, p), ins, out.subarray(p)]);
        break;
      }
      default: // interesting byte values
        if (out.length) out[at(out.length)] = [0x00, 0xff, 0x7f, 0x80, 0x30, 0x82, 0xf0][at(7)];
    }
  }
  return out;
}

/** Plain check: expect() is too slow for millions of calls. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

test(`fuzz: ${CASES} cases never throw, consume within bounds, terminate, keep state bounded`, () => {
  const rnd = prng(0x6d717474);
  const ctx: ParseContext = { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: 1883 };
  let messages = 0;
  const seen: Record<string, number> = { ok: 0, invalid: 0, ignored: 0, 'needs-more': 0 };
  let largest = 0;
  for (let c = 0; c < CASES; c++) {
    // Build the two directions: random bytes, or a (possibly mutated) session, sometimes with a big PUBLISH.
    const streams: [Buffer[], Buffer[]] = [[], []];
    const kind = rnd();
    if (kind < 0.15) {
      const len = Math.floor(rnd() * 300);
      const b = Buffer.alloc(len);
      for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
      streams[rnd() < 0.5 ? 0 : 1].push(b);
    } else {
      const s = sessions[Math.floor(rnd() * sessions.length)];
      for (const x of s) streams[x.dir].push(rnd() < 0.3 ? mutate(x.bytes, rnd) : x.bytes);
      if (rnd() < 0.02) streams[0].push(Buffer.concat([Buffer.from([0x30, 0xc5, 0x9a, 0x0c, 0x00, 0x01, 0x74]), Buffer.alloc(70_000 + Math.floor(rnd() * 140_000))]));
    }
    const state = parser.newState();
    const requests: L7Message[] = [];
    const responses: L7Message[] = [];
    let produced = 0;
    for (const dir of [0, 1] as FlowDirection[]) {
      const whole = Buffer.concat(streams[dir]);
      if (whole.length > largest) largest = whole.length;
      parser.detect(dir, whole, ctx);
      let pending = Buffer.alloc(0);
      // Deliver in random chunks, like TCP segments.
      for (let off = 0; off < whole.length; ) {
        const n = 1 + Math.floor(rnd() * (rnd() < 0.5 ? 8 : 2048));
        pending = Buffer.concat([pending, whole.subarray(off, off + n)]);
        off += n;
        let at = 0;
        let loops = 0;
        while (at < pending.length) {
          check(++loops < MAX_LOOP, 'parse loop did not terminate');
          const view = pending.subarray(at);
          ctx.tsUs = c * 1000 + loops;
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
            check(m.length >= 2, 'message shorter than a fixed header');
            if (m.type === 'request') requests.push(m);
            else responses.push(m);
            produced++;
          }
          at += r.consumed;
        }
        pending = pending.subarray(at);
        if (pending.length > MAX_PENDING) pending = Buffer.alloc(0); // the stage gives up; so do we
        check(state.skip[0] <= MAX_SKIP && state.skip[1] <= MAX_SKIP, 'skip beyond the largest MQTT packet');
        check((state.clientId ?? '').length <= MAX_CLIENT_ID && Object.keys(state).length <= 3, 'state grew');
      }
    }
    let records = parser.stitch(requests, responses, state, false).records.length;
    records += parser.stitch(requests, responses, state, true).records.length;
    check(requests.length + responses.length === 0, 'stitch(final) left messages');
    // Every message ends up in exactly one record: pairs hold two.
    check(records <= produced, 'more records than messages');
    messages += produced;
  }
  expect(messages).toBeGreaterThan(CASES);
  // Every path was taken: whole messages, garbage, skipped large bodies, partial messages.
  for (const k of Object.keys(seen)) expect(seen[k], k).toBeGreaterThan(100);
  expect(largest).toBeGreaterThan(64 * 1024);
}, 60_000);
