// Fuzz: 120,000 random and mutated MySQL inputs through detect, parse (looping like the L7 stage) and stitch; nothing may throw.
import { expect, test } from 'vitest';
import type { L7Message, ParseContext } from '../types.js';
import { parser } from './index.js';
import { MAX_STMTS, SQL_CAP, type MysqlState } from './parse.js';
import * as F from './test-support/fixtures.js';
import { prng } from '../../test-support/prng.js';

const CASES = 120_000;
/** Per-call parse loop bound (the stage uses a similar MAX_LOOP). */
const MAX_ITER = 4096;
/** Held bytes per direction before we drop them, as the stage gives up past its maxPending. */
const MAX_HELD = 1 << 20;

type Seg = { dir: 0 | 1; data: Buffer };
const seeds: Seg[][] = [
  [
    { dir: 1, data: F.greeting() },
    { dir: 0, data: F.login() },
    { dir: 1, data: F.ok(2) },
    { dir: 0, data: F.query('SELECT a, b FROM t') },
    { dir: 1, data: F.resultSet(3) },
    { dir: 0, data: F.command(0x16, 'SELECT a FROM t WHERE id = ?') },
    { dir: 1, data: F.prepareOk(7, 2, 1) },
    { dir: 0, data: F.stmtId(0x17, 7, Buffer.from([0, 1, 0, 0, 0, 0, 1, 3, 0, 5, 0, 0, 0])) },
    { dir: 1, data: F.resultSet(1) },
    { dir: 0, data: F.stmtId(0x19, 7) },
    { dir: 0, data: F.query('DELETE FROM t') },
    { dir: 1, data: F.err(1, 1146, '42S02', 'nope') },
  ],
  [
    { dir: 1, data: F.greeting('8.0.32', 3, F.CAPS_41 | F.CAPS_DEPRECATE_EOF | 0x8000000) },
    { dir: 0, data: F.login('root', null, F.CAPS_41 | F.CAPS_DEPRECATE_EOF | 0x8000000) },
    { dir: 1, data: F.pkt(2, Buffer.from('\xfecaching_sha2_password\0salt', 'latin1')) },
    { dir: 0, data: F.pkt(3, Buffer.alloc(20, 1)) },
    { dir: 1, data: F.ok(4) },
    { dir: 0, data: F.command(0x03, Buffer.concat([Buffer.from([1, 1, 0, 1, 0xfe, 0, 1, 0x6e, 2, 0x34, 0x32]), Buffer.from('select 1')])) },
    { dir: 1, data: F.resultSet(2, true) },
    { dir: 0, data: F.command(0x04, Buffer.from('t\0')) },
    { dir: 1, data: Buffer.concat([F.columnDef(1, 'a'), F.eof(2)]) },
  ],
  [{ dir: 1, data: F.greeting() }, { dir: 0, data: F.sslRequest() }, { dir: 0, data: Buffer.from([0x16, 3, 1, 0, 2, 1, 0]) }],
  [{ dir: 0, data: F.compressedPlain(0, F.query('SELECT 2')) }],
];

function mutate(rand: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (Math.floor(rand() * 6)) {
    case 0: // bit flips
      for (let i = 0, n = 1 + Math.floor(rand() * 4); i < n && out.length > 0; i++) out[Math.floor(rand() * out.length)] ^= 1 << Math.floor(rand() * 8);
      return out;
    case 1: // truncation
      return out.subarray(0, Math.floor(rand() * out.length));
    case 2: {
      // random 3-byte length
      if (out.length >= 3) out.writeUIntLE(Math.floor(rand() * (rand() < 0.5 ? 64 : 0x1000000)), 0, 3);
      return out;
    }
    case 3: // byte set to an interesting value
      if (out.length > 0) out[Math.floor(rand() * out.length)] = [0, 0xff, 0xfe, 0xfb, 0xfc, 0xfd, 0x01, 10][Math.floor(rand() * 8)];
      return out;
    case 4: {
      // splice random bytes in
      const at = Math.floor(rand() * (out.length + 1));
      const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 16) }, () => Math.floor(rand() * 256)));
      return Buffer.concat([out.subarray(0, at), junk, out.subarray(at)]);
    }
    default:
      return out;
  }
}

function randomBytes(rand: () => number): Buffer {
  return Buffer.from(Array.from({ length: Math.floor(rand() * 48) }, () => Math.floor(rand() * 256)));
}

function checkState(st: MysqlState): void {
  expect(st.stmts.size).toBeLessThanOrEqual(MAX_STMTS);
  for (const sql of st.stmts.values()) expect(sql.length).toBeLessThanOrEqual(SQL_CAP);
  expect(st.skip[0]).toBeLessThanOrEqual(0xffffff + 4);
  expect(st.skip[1]).toBeLessThanOrEqual(0xffffff + 4);
}

test(`fuzz: ${CASES} random and mutated inputs`, () => {
  const rand = prng(0x5eed);
  const t0 = Date.now();
  for (let c = 0; c < CASES; c++) {
    let segs: Seg[];
    if (c % 4 === 0) segs = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => ({ dir: (rand() < 0.5 ? 0 : 1) as 0 | 1, data: randomBytes(rand) }));
    else {
      const seed = seeds[c % seeds.length];
      const start = rand() < 0.3 ? Math.floor(rand() * seed.length) : 0;
      segs = seed.slice(start).map((s) => (rand() < 0.25 ? { dir: s.dir, data: mutate(rand, s.data) } : s));
      if (rand() < 0.1) segs.reverse();
    }
    const st = parser.newState();
    const held: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
    const reqs: L7Message[] = [];
    const resps: L7Message[] = [];
    for (const { dir, data } of segs) {
      const c0: ParseContext = { tsUs: c, tcpSeq: 0, transport: 'tcp', serverPort: 3306 };
      parser.detect(dir, data, c0);
      let buf = held[dir].length ? Buffer.concat([held[dir], data]) : data;
      let n = 0;
      for (; n < MAX_ITER && buf.length > 0; n++) {
        const r = parser.parse(dir, buf, st, c0);
        if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`case ${c}: consumed ${r.consumed} of ${buf.length}`);
        if (r.status === 'needs-more') {
          if (r.consumed !== 0) throw new Error(`case ${c}: needs-more consumed ${r.consumed}`);
          break;
        }
        if ((r.status === 'ok' || r.status === 'ignored') && r.consumed === 0) throw new Error(`case ${c}: ${r.status} consumed 0`);
        if (r.message?.type === 'request') reqs.push(r.message);
        if (r.message?.type === 'response') resps.push(r.message);
        buf = buf.subarray(r.consumed);
      }
      if (n >= MAX_ITER) throw new Error(`case ${c}: no termination`);
      held[dir] = buf.length > MAX_HELD ? Buffer.alloc(0) : buf;
    }
    parser.stitch(reqs, resps, st, true);
    if (reqs.length || resps.length) throw new Error(`case ${c}: stitch left messages`);
    if (c % 1000 === 0) checkState(st);
  }
  console.log(`MySQL fuzz: ${CASES} cases in ${Date.now() - t0} ms`);
}, 60_000);

test('prepared-statement memory is bounded', () => {
  const st = parser.newState();
  st.phase = 'command';
  const ctx: ParseContext = { tsUs: 1, tcpSeq: 0, transport: 'tcp', serverPort: 3306 };
  for (let i = 0; i < 5000; i++) {
    parser.parse(0, F.command(0x16, `SELECT ${'x'.repeat(1000)} ${i}`), st, ctx);
    const ok = F.prepareOk(i, 0, 0);
    parser.parse(1, ok, st, ctx);
  }
  checkState(st);
  expect(st.stmts.size).toBe(MAX_STMTS);
});
