import { describe, expect, test } from 'vitest';
import { FlowTable } from './flow-table.js';
import type { FlowTableOptions } from './types.js';
import { Recorder, TcpConversation, feed, streamBytes } from './test-support/segments.js';
import type { Frame } from './test-support/segments.js';
import { prng as rng } from '../test-support/prng.js';

const conv = new TcpConversation();
const c = (ts: number, flags: string, seq: number, ack = 0, len = 0, o: { data?: Buffer; wireLen?: number } = {}): Frame =>
  conv.seg(ts, 'c', flags, seq, ack, len, o);
const s = (ts: number, flags: string, seq: number, ack = 0, len = 0): Frame => conv.seg(ts, 's', flags, seq, ack, len);
const H = [c(0, 'S', 1000), s(100, 'SA', 5000, 1001), c(200, 'A', 1001, 5001)];

function reassemble(frames: Frame[], opts: FlowTableOptions = {}): { rec: Recorder; table: FlowTable } {
  const rec = new Recorder(true);
  const table = new FlowTable(rec, opts);
  feed(table, frames);
  table.flush();
  return { rec, table };
}

/** Client-stream events as short strings: `data <seq> <len>` / `gap <seq> <len>`. */
function clientEvents(rec: Recorder): string[] {
  const out: string[] = [];
  for (const e of rec.events) {
    if (e.kind === 'data' && e.dir === 0) out.push(`data ${e.seq} ${e.data.length}`);
    else if (e.kind === 'gap' && e.dir === 0) out.push(`gap ${e.seq} ${e.length}`);
  }
  return out;
}

describe('in-order delivery, each byte once', () => {
  test.each<[string, Frame[], string[], Buffer]>([
    ['in order after the handshake', [...H, c(300, 'PA', 1001, 5001, 100), c(400, 'PA', 1101, 5001, 50)],
      ['data 1001 100', 'data 1101 50'], streamBytes(1001, 150)],
    ['out of order: held, then delivered in order', [...H, c(300, 'PA', 1101, 5001, 100), c(400, 'PA', 1001, 5001, 100)],
      ['data 1001 100', 'data 1101 100'], streamBytes(1001, 200)],
    ['overlaps and duplicates trimmed', [...H,
      c(300, 'PA', 1001, 5001, 100), c(310, 'PA', 1051, 5001, 100), c(320, 'PA', 1001, 5001, 100),
      c(330, 'PA', 1151, 5001, 10), c(340, 'PA', 1141, 5001, 30),
    ], ['data 1001 100', 'data 1101 50', 'data 1151 10', 'data 1161 10'], streamBytes(1001, 170)],
    ['data on the SYN (TCP Fast Open)', [c(0, 'S', 1000, 0, 20), s(100, 'SA', 5000, 1021), c(200, 'PA', 1021, 5001, 30)],
      ['data 1001 20', 'data 1021 30'], streamBytes(1001, 50)],
    ['keep-alive garbage byte below the stream is not delivered', [...H,
      c(300, 'PA', 1001, 5001, 100), c(60_000_000, 'A', 1100, 5001, 1, { data: Buffer.from([0xee]) }),
    ], ['data 1001 100'], streamBytes(1001, 100)],
    ['no handshake seen: the stream starts at the first data segment', [c(0, 'PA', 777, 1, 10), c(10, 'PA', 787, 1, 10)],
      ['data 777 10', 'data 787 10'], streamBytes(777, 20)],
    ['sequence numbers wrap past 2^32', [
      c(0, 'S', 0xffffff00), s(100, 'SA', 5000, 0xffffff01), c(200, 'A', 0xffffff01, 5001),
      c(300, 'PA', 0x2d, 5001, 100), c(310, 'PA', 0xffffff01, 5001, 300),
    ], [`data ${0xffffff01} 300`, 'data 45 100'], streamBytes(0xffffff01, 400)],
    ['a reset carries no stream data', [...H, c(300, 'PA', 1001, 5001, 10), c(400, 'RA', 1011, 5001, 5)],
      ['data 1001 10'], streamBytes(1001, 10)],
  ])('%s', (_name, frames, events, bytes) => {
    const { rec, table } = reassemble(frames);
    expect(clientEvents(rec)).toEqual(events);
    expect(rec.bytes(1, 0).equals(bytes)).toBe(true);
    expect(table.stats().reassemblyBytesHeld).toBe(0);
    expect(rec.events.at(-1)).toMatchObject({ kind: 'end', flowId: 1 });
  });

  test('server direction, from the server ISN', () => {
    const { rec } = reassemble([...H, c(300, 'PA', 1001, 5001, 10), s(400, 'PA', 5001, 1011, 40), s(410, 'PA', 5041, 1011, 2)]);
    expect(rec.bytes(1, 1).equals(streamBytes(5001, 42))).toBe(true);
    expect(rec.gaps(1, 1)).toEqual([]);
  });
});

describe('gaps', () => {
  test.each<[string, Frame[], FlowTableOptions, string[]]>([
    ['the peer acknowledges bytes the capture never saw', [...H,
      c(300, 'PA', 1001, 5001, 100), s(400, 'A', 5001, 1201), c(500, 'PA', 1201, 5001, 50),
    ], {}, ['data 1001 100', 'gap 1101 100', 'data 1201 50']],
    ['a held segment is released by the ACK that skips the hole', [...H,
      c(300, 'PA', 1001, 5001, 100), c(310, 'PA', 1201, 5001, 100), s(400, 'A', 5001, 1301),
    ], {}, ['data 1001 100', 'gap 1101 100', 'data 1201 100']],
    ['the out-of-order budget overflows', [...H,
      c(300, 'PA', 1001, 5001, 100), c(310, 'PA', 1201, 5001, 100), c(320, 'PA', 1301, 5001, 100), c(330, 'PA', 1401, 5001, 100),
    ], { maxReassemblyBytesPerDir: 250 }, ['data 1001 100', 'gap 1101 100', 'data 1201 100', 'data 1301 100', 'data 1401 100']],
    ['one segment bigger than the whole budget', [...H, c(300, 'PA', 1001, 5001, 10), c(310, 'PA', 1111, 5001, 300)],
      { maxReassemblyBytesPerDir: 250 }, ['data 1001 10', 'gap 1011 100', 'data 1111 300']],
    ['held data at the end of the flow', [...H, c(300, 'PA', 1001, 5001, 100), c(310, 'PA', 1201, 5001, 100)],
      {}, ['data 1001 100', 'gap 1101 100', 'data 1201 100']],
    ['the capture truncated the payload (snaplen)', [...H,
      c(300, 'PA', 1001, 5001, 0, { data: streamBytes(1001, 60), wireLen: 100 }), c(310, 'PA', 1101, 5001, 20),
    ], {}, ['data 1001 60', 'gap 1061 40', 'data 1101 20']],
    ['the ACK of a FIN is not a gap', [...H,
      c(300, 'PA', 1001, 5001, 100), c(310, 'FA', 1101, 5001), s(400, 'A', 5001, 1102),
    ], {}, ['data 1001 100']],
    ['an ACK far outside any window is ignored', [...H, c(300, 'PA', 1001, 5001, 100), s(400, 'A', 5001, 0x80001000)],
      {}, ['data 1001 100']],
  ])('%s', (_name, frames, opts, events) => {
    const { rec, table } = reassemble(frames, opts);
    expect(clientEvents(rec)).toEqual(events);
    const st = table.stats();
    const gaps = events.filter((e) => e.startsWith('gap'));
    expect(st.reassemblyGaps).toBe(gaps.length);
    expect(st.reassemblyGapBytes).toBe(gaps.reduce((n, g) => n + Number(g.split(' ')[2]), 0));
    expect(st.reassemblyBytesHeld).toBe(0);
  });
});

describe('every byte exactly once under random segmentation, duplication and reordering', () => {
  test.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i', (seed) => {
    const rand = rng(seed);
    const isn = Math.floor(rand() * 0x100000000) >>> 0; // anywhere, wraparound included
    const total = 20_000;
    const segs: Array<[number, number]> = [];
    for (let off = 0; off < total;) {
      const len = Math.min(total - off, 1 + Math.floor(rand() * 1460));
      segs.push([off, len]);
      if (rand() < 0.2) segs.push([Math.max(0, off - Math.floor(rand() * 500)), len]); // retransmission / overlap
      off += len;
    }
    // Local reordering: swap neighbours within a small window.
    for (let i = 0; i + 1 < segs.length; i++) if (rand() < 0.3) [segs[i], segs[i + 1]] = [segs[i + 1], segs[i]];
    const frames = [c(0, 'S', isn), s(100, 'SA', 5000, (isn + 1) >>> 0), c(200, 'A', (isn + 1) >>> 0, 5001)];
    segs.forEach(([off, len], i) => {
      const seq = (isn + 1 + off) >>> 0;
      frames.push(c(300 + i, 'PA', seq, 5001, Math.min(len, total - off)));
    });
    const { rec } = reassemble(frames);
    expect(rec.gaps(1, 0)).toEqual([]);
    expect(rec.bytes(1, 0).equals(streamBytes((isn + 1) >>> 0, total))).toBe(true);
  });
});
