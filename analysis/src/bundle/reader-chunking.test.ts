// Streaming tests: any chunking gives identical output, and a cut at any byte keeps everything before it.

import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { REWIND_PEN } from './types.js';
import { block, bytes, epb, idb, opts, pcapFile, prng, readInChunks, shb, spb, u32 } from './test-support/capture-builder.js';

/** A small capture touching every path of the parser, as separate blocks so cut points can be checked. */
function richBlocks(): Buffer[] {
  const rewind = Buffer.concat([u32('le', REWIND_PEN), Buffer.from('{"format":"1.0","host":"h1"}')]);
  const json = Buffer.from('{"k":"v"}');
  return [
    shb('le', opts('le', [[2, 'hw'], [2988, rewind]])),
    idb('le', 1, 65535, opts('le', [[2, 'eth0'], [9, Buffer.from([9])]])),
    idb('le', 252, 0),
    epb('le', 0, 1700000000000000001n, bytes(61), opts('le', [[2, u32('le', 1)]])),
    block('le', 0xbad, Buffer.concat([u32('le', REWIND_PEN), Buffer.from([6, 0, 1, 0]), u32('le', json.length), json])),
    epb('le', 1, 1700000000000000002n, bytes(1500)),
    block('le', 9, Buffer.alloc(20)),
    spb('le', bytes(33)),
    shb('be'),
    idb('be', 101, 0, opts('be', [[9, Buffer.from([0x80 | 20])]])),
    epb('be', 0, 5n << 20n, bytes(7)),
    block('be', 10, Buffer.concat([u32('be', 0x544c534b), u32('be', 5), Buffer.from('keys\n')])),
    epb('be', 0, 6n << 20n, bytes(300)),
    pcapFile('le', true, [
      { sec: 1, frac: 5, data: bytes(40) },
      { sec: 2, frac: 6, data: bytes(41) },
    ]),
  ];
}

const rich = Buffer.concat(richBlocks());
const whole = readInChunks(rich, 'whole');

describe('chunk boundaries', () => {
  test('the rich file reads cleanly', () => {
    expect(whole.summary).toMatchObject({ sections: 3, interfaces: 4, packets: 7, truncatedTailBytes: 0, unknownBlocks: { '0x00000009': 1 } });
  });

  test('one byte at a time gives identical output', () => {
    const one = readInChunks(rich, [1]);
    expect(one.events).toEqual(whole.events);
    expect(one.summary).toEqual(whole.summary);
  });

  test.each([1, 2, 3, 4, 5, 6, 7, 8])('random chunk sizes (seed %i) give identical output', (seed) => {
    const r = prng(seed);
    const sizes = Array.from({ length: 64 }, () => 1 + Math.floor(r() * (seed % 2 ? 50 : 700)));
    const got = readInChunks(rich, sizes);
    expect(got.events).toEqual(whole.events);
    expect(got.summary).toEqual(whole.summary);
  });

  test('gzip of the rich file in random chunks gives identical output', () => {
    const gz = zlib.gzipSync(rich);
    const r = prng(99);
    const got = readInChunks(gz, Array.from({ length: 32 }, () => 1 + Math.floor(r() * 40)));
    expect(got.events).toEqual(whole.events);
  });
});

describe('truncated tail at every offset', () => {
  // End offsets of whole units (pcapng blocks, then the pcap header and records).
  const ends: number[] = [];
  {
    let off = 0;
    const blocks = richBlocks();
    for (const b of blocks.slice(0, -1)) ends.push((off += b.length));
    ends.push((off += 24), (off += 16 + 40), (off += 16 + 41));
  }
  const packetsBefore = (cut: number): string[] =>
    whole.events.filter((e) => e.startsWith('packet')).filter((e) => {
      const at = Number(/ off=(\d+)/.exec(e)?.[1]);
      const end = ends.find((x) => x > at) ?? Infinity;
      return end <= cut;
    });

  test('never throws past the magic, delivers every whole unit, reports the rest', () => {
    for (let cut = 4; cut <= rich.length; cut++) {
      for (const sizes of ['whole', [13]] as const) {
        const got = readInChunks(rich.subarray(0, cut), sizes === 'whole' ? 'whole' : [...sizes]);
        const lastEnd = [0, ...ends].filter((x) => x <= cut).pop() as number;
        expect(got.events.filter((e) => e.startsWith('packet'))).toEqual(packetsBefore(cut));
        expect(got.summary.truncatedTailBytes).toBe(cut - lastEnd);
        const tail = got.events.filter((e) => e.startsWith('violation truncated-tail'));
        expect(tail).toEqual(cut === lastEnd ? [] : [`violation truncated-tail @${lastEnd} lost=${cut - lastEnd}`]);
        // Everything delivered is exactly what the whole file delivers, in order.
        const delivered = got.events.filter((e) => !e.startsWith('violation'));
        expect(whole.events.filter((e) => !e.startsWith('violation')).slice(0, delivered.length)).toEqual(delivered);
      }
    }
  });

  test('a classic pcap cut at every offset', () => {
    const file = pcapFile('be', false, [
      { sec: 10, frac: 1, data: bytes(30) },
      { sec: 11, frac: 2, data: bytes(31) },
      { sec: 12, frac: 3, data: bytes(32) },
    ]);
    const recordEnds = [24, 24 + 46, 24 + 46 + 47, 24 + 46 + 47 + 48];
    for (let cut = 4; cut <= file.length; cut++) {
      const got = readInChunks(file.subarray(0, cut), [5]);
      const whole = recordEnds.filter((e) => e <= cut);
      expect(got.summary.packets).toBe(Math.max(0, whole.length - 1));
      expect(got.summary.truncatedTailBytes).toBe(cut - (whole.pop() ?? 0));
    }
  });
});

test('a huge declared block length in a short input does not allocate the declared size', () => {
  // 200 MiB declared (valid below the 256 MiB ceiling), 1 KiB present: only what arrives is buffered.
  const head = Buffer.concat([shb('le'), idb('le')]);
  const blockStart = Buffer.concat([u32('le', 6), u32('le', 200 * 1024 * 1024), Buffer.alloc(1024)]);
  const before = process.memoryUsage().arrayBuffers;
  const got = readInChunks(Buffer.concat([head, blockStart]), [100]);
  expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50 * 1024 * 1024);
  expect(got.summary.truncatedTailBytes).toBe(blockStart.length);
});
