// Reader tests on hand-built captures: formats, byte orders, sections, timestamp units, metadata blocks, failures.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { readCaptureBuffer, readCaptureFile } from './reader.js';
import { CaptureFormatError, REWIND_PEN } from './types.js';
import type { InterfaceInfo, PacketRecord, ReadViolation, SectionInfo } from './types.js';
import { block, bytes, epb, idb, loggingHandler, opts, pb, pcapFile, readInChunks, shb, spb, u32, u64 } from './test-support/capture-builder.js';
import type { Order } from './test-support/capture-builder.js';

interface Got {
  sections: SectionInfo[];
  ifaces: InterfaceInfo[];
  packets: Array<Omit<PacketRecord, 'data' | 'options'> & { data: string; options: string }>;
  violations: ReadViolation[];
}

function read(buf: Buffer): Got & { summary: ReturnType<typeof readCaptureBuffer> } {
  const got: Got = { sections: [], ifaces: [], packets: [], violations: [] };
  const summary = readCaptureBuffer(buf, {
    section: (s) => got.sections.push(s),
    iface: (i) => got.ifaces.push(i),
    packet: (p) => got.packets.push({ ...p, data: p.data.toString('hex'), options: p.options?.toString('hex') ?? '' }),
    violation: (v) => got.violations.push(v),
  });
  return { ...got, summary };
}

const frame = (n: number): Buffer => bytes(n, n * 7);

describe('classic pcap', () => {
  // tshark shows 1700000000.123456 (µs files) and 1700000000.123456789 (ns files) for these records.
  test.each([
    ['µs little-endian', 'le', false, 'd4c3b2a1'],
    ['µs big-endian', 'be', false, 'a1b2c3d4'],
    ['ns little-endian', 'le', true, '4d3cb2a1'],
    ['ns big-endian', 'be', true, 'a1b23c4d'],
  ] as const)('%s', (_name, order, nano, magicHex) => {
    const file = pcapFile(order, nano, [
      { sec: 1700000000, frac: nano ? 123456789 : 123456, data: frame(60) },
      { sec: 1700000001, frac: nano ? 999 : 1, data: frame(61), origLen: 1514 },
    ], 101, 1600);
    expect(file.subarray(0, 4).toString('hex')).toBe(magicHex);
    const r = read(file);
    expect(r.summary.format).toBe(nano ? 'pcap-ns' : 'pcap');
    expect(r.sections).toEqual([{ index: 0, byteOrder: order, pcapngVersion: '2.4', blockOffset: 0 }]);
    expect(r.ifaces).toEqual([{ id: 0, sectionIndex: 0, localId: 0, linkType: 101, snapLen: 1600, tsUnitsPerSec: nano ? 1e9 : 1e6, tsOffsetSec: 0 }]);
    expect(r.packets.map((p) => [p.frameNumber, p.tsUs, p.tsSubUsNs, p.capLen, p.origLen, p.data])).toEqual([
      [1, 1700000000123456, nano ? 789 : 0, 60, 60, frame(60).toString('hex')],
      [2, 1700000001000000 + (nano ? 0 : 1), nano ? 999 : 0, 61, 1514, frame(61).toString('hex')],
    ]);
    expect(r.packets[1].blockOffset).toBe(24 + 16 + 60);
    expect(r.summary).toMatchObject({ sections: 1, interfaces: 1, packets: 2, truncatedTailBytes: 0, violations: 0, bytes: file.length });
  });

  test('concatenated pcap files are read as two sections (second one big-endian)', () => {
    const a = pcapFile('le', false, [{ sec: 1, frac: 2, data: frame(10) }]);
    const b = pcapFile('be', true, [{ sec: 3, frac: 4000, data: frame(11) }], 113);
    const r = read(Buffer.concat([a, b]));
    expect(r.sections.map((s) => s.byteOrder)).toEqual(['le', 'be']);
    expect(r.ifaces.map((i) => [i.id, i.linkType, i.tsUnitsPerSec])).toEqual([[0, 1, 1e6], [1, 113, 1e9]]);
    expect(r.packets.map((p) => [p.interfaceId, p.frameNumber, p.tsUs, p.tsSubUsNs])).toEqual([[0, 1, 1000002, 0], [1, 2, 3000004, 0]]);
    expect(r.summary.format).toBe('pcap');
  });

  test('a corrupt record length stops reading with a bad-block violation and the loss counted', () => {
    const file = pcapFile('le', false, [{ sec: 1, frac: 0, data: frame(10) }, { sec: 2, frac: 0, data: frame(10) }]);
    file.writeUInt32LE(0x7fffffff, 24 + 26 + 8); // incl_len of record 2
    const r = read(file);
    expect(r.packets).toHaveLength(1);
    expect(r.violations).toMatchObject([{ kind: 'bad-block', offset: 50, bytesLost: file.length - 50 }]);
    expect(r.summary.truncatedTailBytes).toBe(0);
  });
});

describe('pcapng', () => {
  const orders: Order[] = ['le', 'be'];

  test.each(orders)('basic section, %s: SHB options, IDB options, EPB with flags and options', (order) => {
    const custom = Buffer.concat([u32(order, REWIND_PEN), Buffer.from(JSON.stringify({ format: '1.0', host: 'node-a', config: { snaplen: 96 } }))]);
    const shbOpts = opts(order, [[2, 'hw'], [3, 'Linux 6.1'], [4, 'rewind-agent 0.1'], [2988, custom]]);
    const op = Buffer.concat([u32(order, REWIND_PEN), Buffer.from('{"pod":"web-1","netns":"4026532"}')]);
    const idbOpts = opts(order, [[2, 'eth0'], [3, 'host NIC'], [9, Buffer.from([9])], [11, Buffer.concat([Buffer.from([0]), Buffer.from('tcp')])], [12, 'Linux'], [15, 'virtio'], [2988, op]]);
    const epbOpts = opts(order, [[1, 'a comment'], [2, u32(order, 0x00000002)]]);
    const file = Buffer.concat([
      shb(order, shbOpts),
      idb(order, 1, 262144, idbOpts),
      epb(order, 0, 1700000000123456789n, frame(42), epbOpts, 100),
      epb(order, 0, 1700000000123457000n, frame(3)),
    ]);
    const r = read(file);
    expect(r.summary).toMatchObject({ format: 'pcapng', sections: 1, interfaces: 1, packets: 2, violations: 0 });
    expect(r.sections).toEqual([
      { index: 0, byteOrder: order, pcapngVersion: '1.0', blockOffset: 0, hardware: 'hw', os: 'Linux 6.1', userAppl: 'rewind-agent 0.1', rewind: { formatMajor: 1, formatMinor: 0, host: 'node-a', config: { snaplen: 96 } } },
    ]);
    expect(r.ifaces).toEqual([
      {
        id: 0, sectionIndex: 0, localId: 0, linkType: 1, snapLen: 262144, name: 'eth0', description: 'host NIC', hardware: 'virtio', os: 'Linux', filter: 'tcp',
        tsUnitsPerSec: 1e9, tsOffsetSec: 0, observationPoint: { pod: 'web-1', netns: '4026532' },
      },
    ]);
    expect(r.packets[0]).toMatchObject({ tsUs: 1700000000123456, tsSubUsNs: 789, capLen: 42, origLen: 100, flags: 2, data: frame(42).toString('hex'), options: epbOpts.toString('hex'), byteOrder: order });
    expect(r.packets[1]).toMatchObject({ tsUs: 1700000000123457, tsSubUsNs: 0, capLen: 3, flags: 0, options: '', frameNumber: 2 });
  });

  // if_tsresol variants: (option byte, raw timestamp, expected µs, expected sub-µs ns).
  test.each([
    ['default 10^-6', undefined, 1700000000123456n, 1700000000123456, 0],
    ['10^-6 explicit', 6, 1700000000123456n, 1700000000123456, 0],
    ['10^-9', 9, 1700000000123456789n, 1700000000123456, 789],
    ['10^-3', 3, 1700000000123n, 1700000000123000, 0],
    ['10^-8', 8, 170000000012345678n, 1700000000123456, 780],
    ['2^-20', 0x80 | 20, (1700000000n << 20n) + (1n << 19n), 1700000000500000, 0],
    ['2^-30', 0x80 | 30, (1700000000n << 30n) + 1n, 1700000000000000, 0],
  ] as const)('tsresol %s', (_name, tsresol, raw, us, sub) => {
    const o: Order = 'le';
    const io = tsresol === undefined ? Buffer.alloc(0) : opts(o, [[9, Buffer.from([tsresol])]]);
    const r = read(Buffer.concat([shb(o), idb(o, 1, 0, io), epb(o, 0, raw, frame(4))]));
    expect(r.packets[0]).toMatchObject({ tsUs: us, tsSubUsNs: sub });
  });

  test.each([
    ['positive', 3600n, 3600_000000],
    ['negative', -10n, -10_000000],
  ])('if_tsoffset %s is added to every timestamp', (_n, off, addUs) => {
    for (const order of orders) {
      const io = opts(order, [[9, Buffer.from([9])], [14, u64(order, off)]]);
      const r = read(Buffer.concat([shb(order), idb(order, 1, 0, io), epb(order, 0, 1000_000000001n, frame(4))]));
      expect(r.ifaces[0].tsOffsetSec).toBe(Number(off));
      expect(r.packets[0]).toMatchObject({ tsUs: 1000_000000 + addUs, tsSubUsNs: 1 });
    }
  });

  test('multiple sections with a byte-order change keep interface ids globally unique', () => {
    const file = Buffer.concat([
      shb('le'), idb('le', 1), idb('le', 101), epb('le', 1, 5n, frame(5)),
      shb('be'), idb('be', 252, 0, opts('be', [[9, Buffer.from([9])]])), epb('be', 0, 7000n, frame(6)), epb('be', 0, 8000n, frame(7)),
      shb('le'), idb('le', 113), epb('le', 0, 9n, frame(8)),
    ]);
    const r = read(file);
    expect(r.sections.map((s) => [s.index, s.byteOrder])).toEqual([[0, 'le'], [1, 'be'], [2, 'le']]);
    expect(r.ifaces.map((i) => [i.id, i.sectionIndex, i.localId, i.linkType])).toEqual([[0, 0, 0, 1], [1, 0, 1, 101], [2, 1, 0, 252], [3, 2, 0, 113]]);
    expect(r.packets.map((p) => [p.interfaceId, p.frameNumber, p.tsUs, p.tsSubUsNs])).toEqual([[1, 1, 5, 0], [2, 2, 7, 0], [2, 3, 8, 0], [3, 4, 9, 0]]);
    expect(r.summary).toMatchObject({ sections: 3, interfaces: 4, packets: 4, violations: 0 });
  });

  test('firstInterfaceId / firstFrameNumber continue numbering across files', () => {
    const events = readInChunks(Buffer.concat([shb('le'), idb('le'), epb('le', 0, 1n, frame(1))]), 'whole', { firstInterfaceId: 7, firstFrameNumber: 100 }).events;
    expect(events.find((e) => e.startsWith('packet'))).toContain('if=7 #100');
  });

  test('a pcap file concatenated after a pcapng section is read too', () => {
    const file = Buffer.concat([shb('le'), idb('le'), epb('le', 0, 1n, frame(9)), pcapFile('be', false, [{ sec: 2, frac: 0, data: frame(10) }])]);
    const r = read(file);
    expect(r.packets.map((p) => [p.interfaceId, p.tsUs])).toEqual([[0, 1], [1, 2000000]]);
    expect(r.summary.sections).toBe(2);
  });

  test('SPB (no timestamp, first interface, snaplen applied) and obsolete PB with pack_flags', () => {
    const o: Order = 'be';
    const file = Buffer.concat([
      shb(o), idb(o, 1, 8), idb(o, 1, 0),
      spb(o, frame(8), 60),
      pb(o, 1, 1500000n, frame(5), opts(o, [[2, u32(o, 1)]])),
    ]);
    const r = read(file);
    expect(r.packets.map((p) => [p.interfaceId, p.tsUs, p.capLen, p.origLen, p.flags])).toEqual([[0, 0, 8, 60, 0], [1, 1500000, 5, 5, 1]]);
  });

  test('NRB, ISB, DSB and custom blocks reach their callbacks', () => {
    for (const order of orders) {
      const ipv4 = Buffer.concat([Buffer.from([10, 0, 0, 1]), Buffer.from('web-1\0web.default.svc\0')]);
      const ipv6 = Buffer.concat([Buffer.from('fd000000000000000000000000000001', 'hex'), Buffer.from('db-0\0')]);
      const nrbBody = Buffer.concat([
        Buffer.from(order === 'le' ? [1, 0, ipv4.length, 0] : [0, 1, 0, ipv4.length]), ipv4, Buffer.alloc((4 - (ipv4.length % 4)) % 4),
        Buffer.from(order === 'le' ? [2, 0, ipv6.length, 0] : [0, 2, 0, ipv6.length]), ipv6, Buffer.alloc((4 - (ipv6.length % 4)) % 4),
        Buffer.alloc(4),
      ]);
      const isbBody = Buffer.concat([u32(order, 0), u32(order, 0), u32(order, 1000000), opts(order, [[4, u64(order, 500n)], [5, u64(order, 3n)], [7, u64(order, 2n)]])]);
      const keylog = Buffer.from('CLIENT_RANDOM 00 11\n');
      const dsbBody = Buffer.concat([u32(order, 0x544c534b), u32(order, keylog.length), keylog]);
      const json = Buffer.from('{"pods":1}');
      const rewindBody = Buffer.concat([u32(order, REWIND_PEN), order === 'le' ? Buffer.from([3, 0, 1, 0]) : Buffer.from([0, 3, 0, 1]), u32(order, json.length), json]);
      const foreign = Buffer.concat([u32(order, 12345), Buffer.from('abcd')]);
      const file = Buffer.concat([shb(order), idb(order), block(order, 4, nrbBody), block(order, 5, isbBody), block(order, 10, dsbBody), block(order, 0xbad, rewindBody), block(order, 0x40000bad, foreign)]);
      const { events, summary } = readInChunks(file, 'whole');
      expect(summary.violations).toBe(0);
      expect(events.filter((e) => !e.startsWith('section') && !e.startsWith('iface'))).toEqual([
        `names [{"type":"ipv4","address":"10.0.0.1","names":["web-1","web.default.svc"]},{"type":"ipv6","address":"fd00::1","names":["db-0"]}] s0`,
        `stats {"interfaceId":0,"tsUs":1000000,"ifRecv":500,"ifDrop":3,"osDrop":2}`,
        `secrets ${0x544c534b} ${keylog.toString('hex')} s0`,
        `custom #1 ${REWIND_PEN} true 3 {"pods":1} ${json.toString('hex')} s0`,
        `custom #2 12345 false -1 undefined ${Buffer.from('abcd').toString('hex')} s0`,
      ]);
    }
  });

  test('unknown block types are skipped and counted per type, with one violation per type', () => {
    const o: Order = 'le';
    const file = Buffer.concat([shb(o), idb(o), block(o, 9, Buffer.from('journal entry')), block(o, 0x80000001, Buffer.alloc(8)), block(o, 9, Buffer.alloc(4)), epb(o, 0, 1n, frame(2))]);
    const r = read(file);
    expect(r.summary.unknownBlocks).toEqual({ '0x00000009': 2, '0x80000001': 1 });
    expect(r.violations.map((v) => v.kind)).toEqual(['unknown-block', 'unknown-block']);
    expect(r.packets).toHaveLength(1);
    // tshark 4.0 numbers journal export blocks as frames (not other unknown types): the packet is frame 3.
    expect(r.packets[0].frameNumber).toBe(3);
  });

  test('packets on an unknown interface are reported and skipped', () => {
    const o: Order = 'le';
    const r = read(Buffer.concat([shb(o), idb(o), epb(o, 3, 1n, frame(2)), epb(o, 0, 2n, frame(2))]));
    expect(r.packets.map((p) => [p.frameNumber, p.tsUs])).toEqual([[1, 2]]);
    expect(r.violations).toMatchObject([{ kind: 'unknown-interface' }]);
  });

  test('an EPB whose captured length exceeds its block is a bad packet, and reading goes on', () => {
    const o: Order = 'le';
    const bad = epb(o, 0, 1n, frame(8));
    bad.writeUInt32LE(400, 20);
    const r = read(Buffer.concat([shb(o), idb(o), bad, epb(o, 0, 2n, frame(2))]));
    expect(r.packets).toHaveLength(1);
    expect(r.violations).toMatchObject([{ kind: 'bad-packet' }]);
  });

  // Corrupt block lengths: (description, mutate(file, offsetOfSecondEpb)).
  test.each([
    ['length not a multiple of 4', (b: Buffer, at: number) => b.writeUInt32LE(b.readUInt32LE(at + 4) + 2, at + 4)],
    ['length below 12', (b: Buffer, at: number) => b.writeUInt32LE(8, at + 4)],
    ['absurd length (> 256 MiB)', (b: Buffer, at: number) => b.writeUInt32LE(0xfffffff0, at + 4)],
    ['trailing length mismatch', (b: Buffer, at: number) => b.writeUInt32LE(12, at + b.readUInt32LE(at + 4) - 4)],
    ['length pointing past a block boundary', (b: Buffer, at: number) => b.writeUInt32LE(b.readUInt32LE(at + 4) + 4, at + 4)],
  ])('%s → bad-block, packets before it kept, never throws', (_name, mutate) => {
    const o: Order = 'le';
    const head = Buffer.concat([shb(o), idb(o), epb(o, 0, 1n, frame(10))]);
    const file = Buffer.concat([head, epb(o, 0, 2n, frame(10)), epb(o, 0, 3n, frame(10))]);
    mutate(file, head.length);
    for (const sizes of ['whole', [1], [7, 13]] as const) {
      const { events, summary } = readInChunks(file, sizes === 'whole' ? 'whole' : [...sizes]);
      expect(events.filter((e) => e.startsWith('packet'))).toHaveLength(1);
      expect(events.filter((e) => e.startsWith('violation'))).toEqual([`violation bad-block @${head.length} lost=${file.length - head.length}`]);
      expect(summary.violations).toBe(1);
    }
  });

  test('an SHB with a pcapng major version other than 1 skips its section', () => {
    const file = Buffer.concat([shb('le'), idb('le'), epb('le', 0, 1n, frame(2)), shb('le', Buffer.alloc(0), [2, 0]), idb('le'), epb('le', 0, 2n, frame(2)), shb('be'), idb('be'), epb('be', 0, 3n, frame(2))]);
    const r = read(file);
    expect(r.packets.map((p) => [p.interfaceId, p.tsUs])).toEqual([[0, 1], [1, 3]]);
    expect(r.violations).toMatchObject([{ kind: 'bad-block' }]);
    expect(r.violations[0].message).toContain('version 2.0');
  });
});

describe('refusals', () => {
  test.each([
    ['text', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
    ['zeros', Buffer.alloc(64)],
    ['ELF', Buffer.from('7f454c46020101000000000000000000', 'hex')],
    ['gzip of text', zlib.gzipSync(Buffer.from('hello, this is not a capture'))],
    ['three bytes', Buffer.from([1, 2, 3])],
    ['one byte', Buffer.from([0x0a])],
    ['text starting with \\n\\r\\r\\n', Buffer.from('\n\r\r\nsome text that is long enough to hold a block header')],
  ])('not a capture: %s', (_n, buf) => {
    expect(() => readCaptureBuffer(buf, { packet: () => undefined })).toThrow(CaptureFormatError);
    try {
      readCaptureBuffer(buf, { packet: () => undefined });
    } catch (err) {
      expect((err as CaptureFormatError).code).toBe('not-a-capture');
    }
  });

  test('empty input is not a capture', () => {
    expect(() => readCaptureBuffer(Buffer.alloc(0), { packet: () => undefined })).toThrow(/empty input/);
  });

  test('a newer major bundle format is refused with both versions named; a newer minor is accepted', () => {
    const section = (format: string): Buffer =>
      Buffer.concat([shb('le', opts('le', [[2988, Buffer.concat([u32('le', REWIND_PEN), Buffer.from(JSON.stringify({ format }))])]])), idb('le'), epb('le', 0, 1n, frame(2))]);
    let err: unknown;
    try {
      readCaptureBuffer(Buffer.concat([section('1.0'), section('2.1')]), { packet: () => undefined });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CaptureFormatError);
    expect((err as CaptureFormatError).code).toBe('newer-version');
    expect((err as Error).message).toMatch(/format 2\.1.*format 1\.0/);
    const ok = read(section('1.7'));
    expect(ok.sections[0].rewind).toEqual({ formatMajor: 1, formatMinor: 7 });
    expect(ok.packets).toHaveLength(1);
  });
});

describe('gzip', () => {
  const plain = Buffer.concat([shb('le'), idb('le'), ...Array.from({ length: 50 }, (_, i) => epb('le', 0, BigInt(i), frame(20 + i)))]);
  const expected = readInChunks(plain, 'whole').events;

  test.each([
    ['single member', zlib.gzipSync(plain)],
    ['multi-member (split mid-block)', Buffer.concat([zlib.gzipSync(plain.subarray(0, 777)), zlib.gzipSync(plain.subarray(777, 2000)), zlib.gzipSync(plain.subarray(2000))])],
  ])('%s is transparent whole, byte by byte and in odd chunks', (_n, gz) => {
    for (const sizes of ['whole', [1], [3, 1000, 17]] as const) {
      const { events, summary } = readInChunks(gz, sizes === 'whole' ? 'whole' : [...sizes]);
      expect(events).toEqual(expected);
      expect(summary).toMatchObject({ gzip: true, packets: 50, bytes: plain.length, violations: 0 });
    }
  });

  test('truncated gzip keeps what inflated and reports both the gzip error and the cut block', () => {
    const gz = zlib.gzipSync(plain);
    const { events, summary } = readInChunks(gz.subarray(0, Math.floor(gz.length * 0.6)), [100]);
    const packets = events.filter((e) => e.startsWith('packet'));
    expect(packets.length).toBeGreaterThan(0);
    expect(packets).toEqual(expected.filter((e) => e.startsWith('packet')).slice(0, packets.length));
    expect(events.filter((e) => e.startsWith('violation')).map((e) => e.split(' ')[1])).toEqual(['gzip-error', 'truncated-tail']);
    expect(summary.truncatedTailBytes).toBeGreaterThan(0);
  });

  test('a corrupt gzip checksum is a violation after every packet was delivered', () => {
    const gz = zlib.gzipSync(plain);
    gz[gz.length - 6] ^= 0x5a; // CRC-32 of the member
    const { events, summary } = readInChunks(gz, [64]);
    expect(events.filter((e) => e.startsWith('packet'))).toHaveLength(50);
    expect(events.filter((e) => e.startsWith('violation')).map((e) => e.split(' ')[1])).toEqual(['gzip-error']);
    expect(summary.violations).toBe(1);
  });

  test('gzip so corrupt that nothing inflates cannot be read at all', () => {
    const gz = zlib.gzipSync(plain);
    for (let i = 12; i < 40; i++) gz[i] ^= 0x5a;
    expect(() => readInChunks(gz, 'whole')).toThrow(/corrupt gzip/);
  });
});

describe('readCaptureFile', () => {
  test('reads a file in small stream chunks exactly like the in-memory reader, gzip included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rewind-reader-'));
    try {
      const plain = Buffer.concat([shb('be'), idb('be'), ...Array.from({ length: 300 }, (_, i) => epb('be', 0, BigInt(i) * 1000n, frame(40 + (i % 50))))]);
      const expected = readInChunks(plain, 'whole');
      for (const [name, bytes] of [['a.pcapng', plain], ['a.pcapng.gz', zlib.gzipSync(plain)]] as const) {
        const path = join(dir, name);
        writeFileSync(path, bytes);
        const events: string[] = [];
        const summary = await readCaptureFile(path, loggingHandler(events), { chunkSize: 1000 });
        expect(events).toEqual(expected.events);
        expect(summary).toEqual({ ...expected.summary, gzip: name.endsWith('.gz') });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing file is an io CaptureFormatError', async () => {
    await expect(readCaptureFile('/nonexistent/rewind/x.pcapng', { packet: () => undefined })).rejects.toMatchObject({ name: 'CaptureFormatError', code: 'io' });
  });

  test('a non-capture file is refused as not-a-capture', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rewind-reader-'));
    try {
      const path = join(dir, 'notes.txt');
      writeFileSync(path, 'just some notes, not packets\n'.repeat(100));
      await expect(readCaptureFile(path, { packet: () => undefined })).rejects.toMatchObject({ code: 'not-a-capture' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
