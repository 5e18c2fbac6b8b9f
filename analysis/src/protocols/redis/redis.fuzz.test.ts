// Fuzz test: 120,000 random and mutated RESP inputs through detect, parse (looped like the L7 stage) and stitch.
import { expect, test } from 'vitest';
import type { FlowDirection } from '../../flows/types.js';
import type { L7Message } from '../types.js';
import { fixtures } from './test-support/fixtures.js';
import { parser } from './index.js';
import type { RedisState } from './index.js';
import { MAX_CONFIRMATIONS } from './parse.js';
import { MAX_DEPTH } from './scan.js';
import { b, ctx } from './test-support/pcap.js';
import { prng } from '../../test-support/prng.js';

const CASES = 120_000;

const seeds: { dir: FlowDirection; bytes: Buffer }[] = [
  ...fixtures,
  { dir: 0, bytes: Buffer.concat(fixtures.filter((f) => f.dir === 0).map((f) => f.bytes)) },
  { dir: 1, bytes: Buffer.concat(fixtures.filter((f) => f.dir === 1).map((f) => f.bytes)) },
  { dir: 0, bytes: Buffer.concat([b('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$20000\r\n'), Buffer.alloc(20_000, 0x41), b('\r\n*1\r\n$4\r\nPING\r\n')]) },
  { dir: 1, bytes: Buffer.concat([b('*3000\r\n'), ...Array.from({ length: 3000 }, () => b(':1\r\n+ok\r\n$2\r\nab\r\n')), b('+OK\r\n')]) },
  { dir: 0, bytes: b('CLIENT REPLY OFF\r\nPING\r\nCLIENT REPLY SKIP\r\nSUBSCRIBE a b c\r\nUNSUBSCRIBE\r\nHELLO 3 AUTH u p\r\n') },
  { dir: 1, bytes: b('*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n>3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n|1\r\n+a\r\n%1\r\n~1\r\n_\r\n#f\r\n:1\r\n') },
];

function mutate(rnd: () => number): { dir: FlowDirection; bytes: Buffer } {
  const pick = (): { dir: FlowDirection; bytes: Buffer } => {
    const s = seeds[Math.floor(rnd() * seeds.length)];
    // The two 20-50 KB seeds cost 100x a small one: use them a quarter as often.
    return s.bytes.length > 4096 && rnd() < 0.75 ? seeds[Math.floor(rnd() * seeds.length)] : s;
  };
  const kind = Math.floor(rnd() * 6);
  const dir: FlowDirection = rnd() < 0.5 ? 0 : 1;
  if (kind === 0) {
    const n = Math.floor(rnd() * 200);
    const out = Buffer.alloc(n);
    // Random bytes biased toward RESP's own alphabet so deep paths are reached.
    const alphabet = b('*$+-:_,#!=(%~>|\r\n0123456789-?');
    for (let i = 0; i < n; i++) out[i] = rnd() < 0.6 ? alphabet[Math.floor(rnd() * alphabet.length)] : Math.floor(rnd() * 256);
    return { dir, bytes: out };
  }
  const s = pick();
  const bytes = Buffer.from(s.bytes);
  if (kind === 1) {
    for (let i = 0, n = 1 + Math.floor(rnd() * 8); i < n && bytes.length > 0; i++) bytes[Math.floor(rnd() * bytes.length)] ^= 1 << Math.floor(rnd() * 8);
    return { dir: s.dir, bytes };
  }
  if (kind === 2) return { dir: s.dir, bytes: bytes.subarray(0, Math.floor(rnd() * (bytes.length + 1))) };
  if (kind === 3) {
    const o = pick().bytes;
    return { dir: rnd() < 0.5 ? s.dir : dir, bytes: Buffer.concat([bytes.subarray(0, Math.floor(rnd() * bytes.length)), o.subarray(Math.floor(rnd() * o.length))]) };
  }
  if (kind === 4) {
    // Random lengths and counts: replace a number after a type byte.
    const text = bytes.toString('latin1');
    const nums = ['-1', '-2', '0', '1', '7', '65536', '2147483647', '2147483648', '99999999999', '?', ''];
    const out = text.replace(/([*$%~>|!=])(-?\d+)/g, (m, t: string) => (rnd() < 0.3 ? t + nums[Math.floor(rnd() * nums.length)] : m));
    return { dir: s.dir, bytes: b(out) };
  }
  return { dir, bytes };
}

/** State bound: ≤ 32 open frames per direction, a skip count ≤ 2^31 + 2, ≤ 256 pending (un)subscribe entries. */
function checkState(state: RedisState): void {
  for (const d of state.dirs) {
    if (d.stack.length > MAX_DEPTH || d.skip > 2 ** 31 + 2) throw new Error(`state grew: ${JSON.stringify(d)}`);
  }
  if (state.confirmations.length > MAX_CONFIRMATIONS) throw new Error('confirmation queue grew');
}

/** Runs bytes through parse like the L7 stage: in chunks, holding what was not consumed, bounded iterations. */
function feed(dir: FlowDirection, bytes: Buffer, state: RedisState, rnd: () => number, out: L7Message[]): void {
  let held = Buffer.alloc(0);
  let pos = 0;
  let iter = 0;
  // Each call consumes ≥ 1 byte or ends the chunk (needs-more): a bound that proves termination.
  const maxIter = 2 * bytes.length + 10;
  while (pos < bytes.length) {
    // Small chunks for small inputs; big inputs in big chunks (the stage's rescans of held bytes are bounded, but
    // feeding 40 KB byte by byte 1,000s of times would only slow the test).
    const chunk = rnd() < 0.5 ? bytes.length - pos : 1 + Math.floor(rnd() * (bytes.length > 4096 ? 16_384 : 64));
    let buf = Buffer.concat([held, bytes.subarray(pos, pos + chunk)]);
    pos += chunk;
    while (buf.length > 0) {
      if (++iter > maxIter) throw new Error(`no termination after ${maxIter} calls`);
      const r = parser.parse(dir, buf, state, ctx(iter, pos));
      if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      if (r.status === 'needs-more') {
        if (r.consumed !== 0) throw new Error('needs-more consumed bytes');
        break;
      }
      if (r.consumed === 0) throw new Error(`${r.status} consumed nothing`);
      if (r.message) out.push(r.message);
      buf = buf.subarray(r.consumed);
    }
    held = buf;
    checkState(state);
  }
}

test(`fuzz: ${CASES} cases never throw, always progress, keep state bounded`, () => {
  const rnd = prng(0x5eed1e55);
  const started = Date.now();
  for (let i = 0; i < CASES; i++) {
    const { dir, bytes } = mutate(rnd);
    parser.detect(dir, bytes, ctx());
    const state = parser.newState();
    const messages: L7Message[] = [];
    feed(dir, bytes, state, rnd, messages);
    if (rnd() < 0.3) feed(dir === 0 ? 1 : 0, mutate(rnd).bytes, state, rnd, messages);
    const reqs = messages.filter((m) => m.type === 'request');
    const resps = messages.filter((m) => m.type === 'response');
    const n = reqs.length + resps.length;
    const out = parser.stitch(reqs, resps, state, true);
    expect(reqs.length + resps.length).toBe(0);
    const used = out.records.reduce((a, r) => a + (r.request ? 1 : 0) + (r.response ? 1 : 0), 0);
    expect(used).toBe(n);
  }
  expect(Date.now() - started).toBeLessThan(60_000);
}, 120_000);
