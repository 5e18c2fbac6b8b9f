// Writer → reader round trips of every block and record kind, in both byte orders, plus the format helpers.

import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { formatIpv6, parseIpv6 } from './addresses.js';
import { RecordType, SecretsType } from './constants.js';
import { EBPF_CONTEXT_LEN, decodeEbpfContext, encodeEbpfContext, packetEbpfContext } from './ebpf-context.js';
import type { EbpfContext } from './ebpf-context.js';
import { exportedPduPayload, parseExportedPdu } from './exported-pdu.js';
import { epbDirection, parseEpbOptions } from './options.js';
import { readCaptureBuffer } from './reader.js';
import { verifyBundleDigests } from './summary.js';
import { BUNDLE_FORMAT_VERSION, REWIND_PEN } from './types.js';
import type { CustomRecord, InterfaceInfo, InterfaceStats, NameRecord, PacketRecord, SecretsRecord, SectionInfo } from './types.js';
import { BundleWriter } from './writer.js';
import type { SectionOptions } from './writer.js';

const ctx: EbpfContext = {
  pid: 4242,
  tid: 4243,
  comm: 'nginx: worker',
  fd: 17,
  socketId: 0x1234_5678_9abc_def0n,
  direction: 'egress',
  syscall: 'writev',
  tcpSeq: 0xfedcba98,
  syscallTraceId: 0xffff_0000_0000_0001n,
  capSeq: 99,
  syscallLen: 4096,
  capturedLen: 1024,
  tls: true,
};

interface Collected {
  sections: SectionInfo[];
  ifaces: InterfaceInfo[];
  packets: Array<PacketRecord & { ebpf?: EbpfContext }>;
  customs: CustomRecord[];
  names: NameRecord[][];
  secrets: SecretsRecord[];
  stats: InterfaceStats[];
  violations: number;
}

function collect(buf: Buffer): Collected {
  const c: Collected = { sections: [], ifaces: [], packets: [], customs: [], names: [], secrets: [], stats: [], violations: 0 };
  readCaptureBuffer(buf, {
    section: (s) => c.sections.push(s),
    iface: (i) => c.ifaces.push(i),
    packet: (p) => c.packets.push({ ...p, data: Buffer.from(p.data), options: Buffer.from(p.options ?? []), ebpf: packetEbpfContext(p) }),
    custom: (r) => c.customs.push({ ...r, payload: Buffer.from(r.payload) }),
    nameResolution: (n) => c.names.push(n),
    secrets: (s) => c.secrets.push({ ...s, data: Buffer.from(s.data) }),
    stats: (s) => c.stats.push(s),
    violation: () => c.violations++,
  });
  return c;
}

function writeAll(section: SectionOptions): { bytes: Buffer; summaryBytesBefore: number; w: BundleWriter } {
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), section);
  const eth = w.addInterface({
    linkType: 1, name: 'eth0', description: 'node NIC', os: 'Linux 6.6', filter: 'tcp port 80', hardware: 'virtio-net',
    observationPoint: { host: 'node-a', netns: 'host', node: 'node-a', tapSide: 'node-nic' },
  });
  const pdu = w.addInterface({ linkType: 252, name: 'ebpf', tsResol: 9, observationPoint: { host: 'node-a', tapSide: 'process' } });
  const us = w.addInterface({ linkType: 101, name: 'tun0', tsResol: 6, tsOffsetSec: 0 });
  w.writePacket(eth, 1700000000_123456789n, Buffer.from('0123456789abcdef0123', 'hex'), { flags: 1, origLen: 1514, comment: 'first' });
  w.writePacket(us, 1700000000_123457, Buffer.from('45000014', 'hex'));
  w.writeExportedPdu(pdu, 1700000000_200000000n, { proto: 'http', ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, portType: 2 }, Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n'), { ebpf: ctx });
  w.writeNameResolution([
    { type: 'ipv4', address: '10.0.0.2', names: ['web-7d9f', 'web.default.svc.cluster.local'] },
    { type: 'ipv6', address: 'fd00::2', names: ['web-v6'] },
    { type: 'eui48', address: '02:42:ac:11:00:02', names: ['veth-web'] },
  ]);
  w.writeInterfaceStats(eth, 1700000001_000000000n, { ifRecv: 1000, ifDrop: 2, osDrop: 3n, filterAccept: 990, usrDeliv: 985 });
  w.writeTlsKeyLog('CLIENT_RANDOM aa bb\n');
  const recordValues: Array<[number, unknown]> = [
    [RecordType.CAPTURE_CONFIG, { sources: ['pcap', 'ebpf'], snaplen: 256 }],
    [RecordType.PROCESS_TABLE, { processes: [{ pid: 4242, comm: 'nginx', cgroup: '/kubepods/pod1' }] }],
    [RecordType.K8S_SNAPSHOT, { pods: [{ name: 'web', ip: '10.0.0.2' }] }],
    [RecordType.K8S_WATCH_DELTA, { type: 'DELETED', kind: 'Pod', name: 'web' }],
    [RecordType.CLOUD_METADATA, { provider: 'aws', region: 'eu-west-1' }],
    [RecordType.TCP_LIFECYCLE, { events: [{ t: 1, type: 'connect', sock: '1' }] }],
    [RecordType.OTEL_SPANS, { resourceSpans: [] }],
    [RecordType.PROMETHEUS_SAMPLES, { samples: [{ name: 'up', value: 1, t: 1 }] }],
    [RecordType.COVERAGE_STATS, { sources: { ebpf: { drops: 3 } } }],
  ];
  for (const [type, value] of recordValues) w.writeRecord(type, value);
  w.writeBinaryRecord(RecordType.TCP_LIFECYCLE, Buffer.from([1, 2, 3, 4, 5]), { copyable: false });
  const summaryBytesBefore = w.bytesWritten;
  w.writeSummary({ agent: 'test' });
  return { bytes: Buffer.concat(parts), summaryBytesBefore, w };
}

describe.each(['le', 'be'] as const)('round trip, %s', (byteOrder) => {
  const { bytes, summaryBytesBefore } = writeAll({ byteOrder, hardware: 'x86_64', os: 'Linux', userAppl: 'rewind-agent 0.1.0', host: 'node-a', config: { sources: ['pcap'] } });
  const c = collect(bytes);

  test('no violations, one section with Rewind metadata', () => {
    expect(c.violations).toBe(0);
    expect(c.sections).toEqual([
      {
        index: 0, byteOrder, pcapngVersion: '1.0', blockOffset: 0, hardware: 'x86_64', os: 'Linux', userAppl: 'rewind-agent 0.1.0',
        rewind: { formatMajor: BUNDLE_FORMAT_VERSION.major, formatMinor: BUNDLE_FORMAT_VERSION.minor, host: 'node-a', config: { sources: ['pcap'] } },
      },
    ]);
  });

  test('interfaces with their options and observation points', () => {
    expect(c.ifaces).toEqual([
      {
        id: 0, sectionIndex: 0, localId: 0, linkType: 1, snapLen: 262144, name: 'eth0', description: 'node NIC', os: 'Linux 6.6', filter: 'tcp port 80',
        hardware: 'virtio-net', tsUnitsPerSec: 1e9, tsOffsetSec: 0, observationPoint: { host: 'node-a', netns: 'host', node: 'node-a', tapSide: 'node-nic' },
      },
      { id: 1, sectionIndex: 0, localId: 1, linkType: 252, snapLen: 262144, name: 'ebpf', tsUnitsPerSec: 1e9, tsOffsetSec: 0, observationPoint: { host: 'node-a', tapSide: 'process' } },
      { id: 2, sectionIndex: 0, localId: 2, linkType: 101, snapLen: 262144, name: 'tun0', tsUnitsPerSec: 1e6, tsOffsetSec: 0 },
    ]);
  });

  test('packets: timestamps (bigint ns and number µs), flags, comments, eBPF context, exported PDU', () => {
    expect(c.packets.map((p) => [p.interfaceId, p.tsUs, p.tsSubUsNs, p.capLen, p.origLen, p.flags])).toEqual([
      [0, 1700000000123456, 789, 10, 1514, 1],
      [2, 1700000000123457, 0, 4, 4, 0],
      [1, 1700000000200000, 0, c.packets[2].data.length, c.packets[2].data.length, 0],
    ]);
    const o = parseEpbOptions(c.packets[0].options as Buffer, byteOrder);
    expect(o).toMatchObject({ comments: ['first'], flags: 1, custom: [], malformed: false });
    expect(epbDirection(c.packets[0].flags)).toBe('inbound');
    expect(c.packets[2].ebpf).toEqual(ctx);
    const custom = parseEpbOptions(c.packets[2].options as Buffer, byteOrder).custom;
    expect(custom).toMatchObject([{ code: 2989, pen: REWIND_PEN, copyable: true, binary: true }]);
    const pdu = parseExportedPdu(c.packets[2].data);
    expect(pdu).toMatchObject({ proto: 'http', ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, portType: 2 });
    expect(c.packets[2].data.subarray(pdu?.payloadOffset).toString()).toBe('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  });

  test('name resolution, statistics and secrets', () => {
    expect(c.names).toEqual([[
      { type: 'ipv4', address: '10.0.0.2', names: ['web-7d9f', 'web.default.svc.cluster.local'] },
      { type: 'ipv6', address: 'fd00::2', names: ['web-v6'] },
      { type: 'eui48', address: '02:42:ac:11:00:02', names: ['veth-web'] },
    ]]);
    expect(c.stats).toEqual([{ interfaceId: 0, tsUs: 1700000001000000, ifRecv: 1000, ifDrop: 2, osDrop: 3, filterAccept: 990, usrDeliv: 985 }]);
    expect(c.secrets.map((s) => [s.secretsType, s.data.toString()])).toEqual([[SecretsType.TLS_KEY_LOG, 'CLIENT_RANDOM aa bb\n']]);
  });

  test('every record type comes back with its JSON, binary payload exact, copyability kept', () => {
    expect(c.customs.map((r) => [r.pen, r.recordType, r.copyable])).toEqual([
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((t) => [REWIND_PEN, t, true]),
      [REWIND_PEN, RecordType.TCP_LIFECYCLE, false],
      [REWIND_PEN, RecordType.CLOSING_SUMMARY, true],
    ]);
    expect(c.customs[1].json).toEqual({ processes: [{ pid: 4242, comm: 'nginx', cgroup: '/kubepods/pod1' }] });
    expect(c.customs[9].json).toBeUndefined();
    expect([...c.customs[9].payload]).toEqual([1, 2, 3, 4, 5]);
  });

  test('the closing summary counts everything and its SHA-256 covers the bytes before it', () => {
    const summary = c.customs[c.customs.length - 1].json as Record<string, unknown>;
    expect(summary).toMatchObject({
      agent: 'test', packets: 3, packetsPerInterface: [1, 1, 1], interfaces: 3,
      records: { '1': 1, '2': 1, '3': 1, '4': 1, '5': 1, '6': 2, '7': 1, '8': 1, '9': 1 },
      nameResolutionBlocks: 1, secretsBlocks: 1, statisticsBlocks: 1,
      firstTsUs: 1700000000123456, lastTsUs: 1700000000200000, bytes: summaryBytesBefore,
    });
    expect(summary.sha256).toBe(createHash('sha256').update(bytes.subarray(0, summaryBytesBefore)).digest('hex'));
  });

  test('verifyBundleDigests checks each section of a concatenation, and catches a flipped byte', () => {
    const otherWrite = writeAll({ byteOrder: byteOrder === 'le' ? 'be' : 'le', host: 'node-b' });
    const both = Buffer.concat([bytes, otherWrite.bytes]);
    const checks = verifyBundleDigests(both);
    expect(checks.map((c) => [c.sectionIndex, c.start, c.end, c.ok])).toEqual([
      [0, 0, summaryBytesBefore, true],
      [1, bytes.length, bytes.length + otherWrite.summaryBytesBefore, true],
    ]);
    expect(verifyBundleDigests(gzipSync(both)).map((c) => c.ok)).toEqual([true, true]);
    const damaged = Buffer.from(both);
    damaged[200] ^= 1; // inside the first packet's data
    expect(verifyBundleDigests(damaged).map((c) => c.ok)).toEqual([false, true]);
  });
});

describe('writer details', () => {
  test('a config too big for an option moves to a capture-config record', () => {
    const parts: Buffer[] = [];
    const big = { blob: 'x'.repeat(70000) };
    new BundleWriter((b) => parts.push(b), { host: 'h', config: big });
    const c = collect(Buffer.concat(parts));
    expect(c.sections[0].rewind).toEqual({ formatMajor: 1, formatMinor: 0, host: 'h' });
    expect(c.customs).toMatchObject([{ recordType: RecordType.CAPTURE_CONFIG, json: big }]);
  });

  test('writes after the summary are refused; unknown interfaces are a bug', () => {
    const w = new BundleWriter(() => undefined);
    expect(() => w.writePacket(0, 1, Buffer.alloc(1))).toThrow(/interface 0/);
    w.writeSummary();
    expect(() => w.writeRecord(1, {})).toThrow(/after the closing summary/);
  });

  test.each([
    ['ns interface, bigint', 9, 1700000000_000000001n, 1700000000000000, 1],
    ['ns interface, number µs', 9, 1700000000_654321, 1700000000654321, 0],
    ['µs interface, bigint ns (truncated)', 6, 1700000000_000001999n, 1700000000000001, 0],
    ['2^-30 interface, number µs', 0x80 | 30, 1700000000_500000, 1700000000500000, 0],
  ] as const)('timestamp conversion: %s', (_n, tsResol, ts, us, sub) => {
    const parts: Buffer[] = [];
    const w = new BundleWriter((b) => parts.push(b));
    w.addInterface({ linkType: 1, tsResol });
    w.writePacket(0, ts, Buffer.alloc(14));
    const p = collect(Buffer.concat(parts)).packets[0];
    expect([p.tsUs, p.tsSubUsNs]).toEqual([us, sub]);
  });
});

describe('eBPF context layout', () => {
  test('encodes to 72 bytes at the documented offsets and decodes back', () => {
    const b = encodeEbpfContext(ctx);
    expect(b.length).toBe(EBPF_CONTEXT_LEN);
    // Offsets from docs/bundle-format.md ("eBPF process context").
    expect(b.readUInt16LE(0)).toBe(1);
    expect(b.readUInt16LE(2)).toBe(1);
    expect(b[4]).toBe(2);
    expect(b[5]).toBe(4);
    expect(b[6]).toBe(1);
    expect(b.readUInt32LE(8)).toBe(4242);
    expect(b.readUInt32LE(12)).toBe(4243);
    expect(b.readInt32LE(16)).toBe(17);
    expect(b.readUInt32LE(20)).toBe(0xfedcba98);
    expect(b.readBigUInt64LE(24)).toBe(ctx.socketId);
    expect(b.readBigUInt64LE(32)).toBe(ctx.syscallTraceId);
    expect(b.readBigUInt64LE(40)).toBe(99n);
    expect(b.readUInt32LE(48)).toBe(4096);
    expect(b.readUInt32LE(52)).toBe(1024);
    expect(b.subarray(56, 72).toString('latin1')).toBe('nginx: worker\0\0\0');
    expect(decodeEbpfContext(b)).toEqual(ctx);
  });

  test.each([
    ['too short', Buffer.alloc(40)],
    ['other kind', Buffer.concat([Buffer.from([2, 0, 1, 0]), Buffer.alloc(68)])],
  ])('decode rejects %s without throwing', (_n, b) => {
    expect(decodeEbpfContext(b)).toBeUndefined();
  });

  test('comm is cut to 15 bytes; fd -1 survives', () => {
    const d = decodeEbpfContext(encodeEbpfContext({ ...ctx, comm: 'a-very-long-process-name', fd: -1, syscall: 'unknown', direction: 'unknown', tls: false }));
    expect(d).toMatchObject({ comm: 'a-very-long-pro', fd: -1, syscall: 'unknown', direction: 'unknown', tls: false });
  });
});

describe('exported PDU tags', () => {
  test('IPv4 HTTP: exact bytes (tags big-endian, values padded to 4)', () => {
    const b = exportedPduPayload({ proto: 'http', ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, portType: 2 }, Buffer.from('GET'));
    expect(b.toString('hex')).toBe(
      ['000c0004' + Buffer.from('http').toString('hex'), '001400040a000001', '001500040a000002', '0018000400000002', '0019000400009c40', '001a000400000050', '00000000', Buffer.from('GET').toString('hex')].join(''),
    );
  });

  test('IPv6 and an unaligned dissector name', () => {
    const b = exportedPduPayload({ proto: 'mysql', ipVersion: 6, src: 'fd00::1', dst: '2001:db8::ff', srcPort: 1, dstPort: 3306, portType: 2 }, Buffer.from('x'));
    expect(b.subarray(0, 12).toString('hex')).toBe('000c0008' + Buffer.from('mysql').toString('hex') + '000000');
    expect(parseExportedPdu(b)).toMatchObject({ proto: 'mysql', ipVersion: 6, src: 'fd00::1', dst: '2001:db8::ff', srcPort: 1, dstPort: 3306, payloadOffset: b.length - 1 });
  });

  test('parse never throws on garbage', () => {
    expect(parseExportedPdu(Buffer.from([0, 12, 0, 200, 1]))).toBeUndefined();
    expect(parseExportedPdu(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('addresses', () => {
  test.each([
    ['::', '::'],
    ['::1', '::1'],
    ['fd00:0:0:0:0:0:0:1', 'fd00::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:DB8::', '2001:db8::'],
    ['::ffff:10.1.2.3', '::ffff:a01:203'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
  ])('IPv6 %s → %s', (text, canonical) => {
    expect(formatIpv6(parseIpv6(text))).toBe(canonical);
  });

  test.each(['1::2::3', '1:2:3', 'g::1', '1:2:3:4:5:6:7:8:9'])('bad IPv6 %s throws', (text) => {
    expect(() => parseIpv6(text)).toThrow(/not an IPv6/);
  });
});
