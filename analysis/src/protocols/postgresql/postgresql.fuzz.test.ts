// Fuzz test: random bytes and mutations of valid PostgreSQL sessions never throw, always terminate and keep state bounded.
import { expect, test } from 'vitest';
import type { ParseContext } from '../types.js';
import { parser } from './index.js';
import { MAX_ITERATIONS, drive } from './test-support/drive.js';
import type { Segment } from './test-support/pcap.js';
import { be, fe } from './test-support/pg-messages.js';
import { MAX_PORTALS, MAX_STATEMENTS } from './types.js';

const CASES = 100_000;
/** Bound on what the caller holds for us: the 16 KiB content cap (startup ≤ 10 000) plus one segment. */
const CONTENT_CAP = 16 * 1024;

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cat = (...b: Buffer[]): Buffer => Buffer.concat(b);
const seeds: Segment[][] = [
  [
    { dir: 0, data: fe.sslRequest() },
    { dir: 1, data: Buffer.from('N') },
    { dir: 0, data: fe.startup({ user: 'alice', database: 'shop', application_name: 'psql' }) },
    { dir: 1, data: be.authSasl() },
    { dir: 0, data: fe.password('n,,n=,r=abc') },
    { dir: 1, data: cat(be.authSaslFinal('v=x'), be.authOk(), be.parameterStatus('server_version', '16'), be.backendKey(1, 2), be.ready()) },
    { dir: 0, data: fe.query('SELECT id FROM t') },
    { dir: 1, data: cat(be.rowDescription(['id']), be.dataRow(['1']), be.dataRow(['2']), be.commandComplete('SELECT 2'), be.ready()) },
  ],
  [
    { dir: 0, data: cat(fe.parse('s1', 'SELECT $1', [23]), fe.bind('', 's1', ['7']), fe.describe('P', ''), fe.execute(''), fe.sync()) },
    { dir: 1, data: cat(be.parseComplete(), be.bindComplete(), be.noData(), be.error('42P01', 'no such relation'), be.ready('E')) },
    { dir: 0, data: cat(fe.bind('p', 's1', ['8']), fe.execute('p', 1), fe.close('S', 's1'), fe.flush(), fe.sync()) },
    { dir: 1, data: cat(be.bindComplete(), be.dataRow(['8']), be.portalSuspended(), be.closeComplete(), be.ready()) },
  ],
  [
    { dir: 0, data: fe.query('COPY t FROM STDIN') },
    { dir: 1, data: be.copyInResponse() },
    { dir: 0, data: cat(fe.copyData('1\n'), fe.copyDone(), fe.copyFail('x')) },
    { dir: 1, data: cat(be.commandComplete('COPY 1'), be.ready(), be.notification(1, 'c', 'p'), be.notice('01000', 'n')) },
    { dir: 0, data: cat(fe.functionCall(5), fe.query(''), fe.terminate()) },
    { dir: 1, data: cat(be.functionResult('1'), be.ready(), be.emptyQuery(), be.ready(), be.copyOutResponse(), be.copyData('z'), be.copyDone()) },
  ],
  [{ dir: 0, data: fe.cancel(1, 2) }],
  [{ dir: 0, data: fe.sslRequest() }, { dir: 1, data: Buffer.from('S') }, { dir: 0, data: Buffer.from([0x16, 3, 1, 0, 1, 1]) }],
];

function mutate(rnd: () => number, segs: Segment[]): Segment[] {
  const out: Segment[] = segs.map((s) => ({ dir: s.dir, data: Buffer.from(s.data) }));
  const rounds = 1 + Math.floor(rnd() * 4);
  for (let k = 0; k < rounds; k++) {
    const i = Math.floor(rnd() * out.length);
    const d = out[i].data;
    const kind = Math.floor(rnd() * 6);
    if (kind === 0 && d.length > 0) {
      d[Math.floor(rnd() * d.length)] ^= 1 << Math.floor(rnd() * 8); // bit flip
    } else if (kind === 1) {
      out[i].data = d.subarray(0, Math.floor(rnd() * (d.length + 1))); // truncation
    } else if (kind === 2 && d.length >= 4) {
      // A random length at a random place (the most dangerous field of the framing).
      const at = Math.floor(rnd() * (d.length - 3));
      const v = rnd() < 0.5 ? Math.floor(rnd() * 64) : Math.floor(rnd() * 0xffffffff);
      d.writeUInt32BE(v >>> 0, at);
    } else if (kind === 3) {
      // Splice: a piece of another segment inserted somewhere.
      const other = out[Math.floor(rnd() * out.length)].data;
      const a = Math.floor(rnd() * (other.length + 1));
      const b = a + Math.floor(rnd() * (other.length - a + 1));
      const at = Math.floor(rnd() * (d.length + 1));
      out[i].data = cat(d.subarray(0, at), other.subarray(a, b), d.subarray(at));
    } else if (kind === 4) {
      // Resegment: split a segment in two.
      const at = Math.floor(rnd() * (d.length + 1));
      out.splice(i, 1, { dir: out[i].dir, data: d.subarray(0, at) }, { dir: out[i].dir, data: d.subarray(at) });
    } else {
      out[i].dir = out[i].dir === 0 ? 1 : 0; // wrong direction
    }
  }
  return out.filter((s) => s.data.length > 0);
}

function randomSegments(rnd: () => number): Segment[] {
  const n = 1 + Math.floor(rnd() * 4);
  const out: Segment[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(rnd() * 64);
    const data = Buffer.alloc(len);
    for (let j = 0; j < len; j++) data[j] = Math.floor(rnd() * 256);
    // Plausible type letters half of the time, so the framing paths are reached.
    if (rnd() < 0.5) data[0] = 'QPBDESCHXdcfFpRKZTNGW12n3sItAVv'.charCodeAt(Math.floor(rnd() * 31));
    out.push({ dir: rnd() < 0.5 ? 0 : 1, data });
  }
  return out;
}

test(`${CASES} fuzz cases: no throw, bounded consumption, termination, bounded state`, () => {
  const rnd = prng(0x5eed);
  const ctx: ParseContext = { tsUs: 0, tcpSeq: 0, transport: 'tcp', serverPort: 5432 };
  const started = Date.now();
  const failures: string[] = [];
  for (let c = 0; c < CASES; c++) {
    const segs = rnd() < 0.3 ? randomSegments(rnd) : mutate(rnd, seeds[Math.floor(rnd() * seeds.length)]);
    for (const s of segs) parser.detect(s.dir, s.data, ctx);
    // drive() throws when consumed leaves [0, bytes.length] or an invalid result consumes nothing.
    const d = drive(segs);
    // Plain checks (not expect) in the loop: 100 000 cases must stay well under the time budget.
    const maxSeg = segs.reduce((m, s) => Math.max(m, s.data.length), 0);
    const st = d.state;
    const bad =
      d.statuses.length > MAX_ITERATIONS * segs.length ? 'no termination' :
      d.maxHeld > CONTENT_CAP + maxSeg ? `held ${d.maxHeld} bytes` :
      st.statements.size > MAX_STATEMENTS || st.portals.size > MAX_PORTALS ? 'maps unbounded' :
      st.batch !== null || st.cycle !== null ? 'not flushed at final' :
      (st.user ?? '').length + (st.database ?? '').length > 512 ? 'startup strings unbounded' : '';
    if (bad) failures.push(`case ${c}: ${bad}`);
  }
  expect(failures).toEqual([]);
  // Speed is reported, not asserted: the budget is ~20 s on the project's machines.
  console.log(`postgresql fuzz: ${CASES} cases in ${Date.now() - started} ms`);
});
