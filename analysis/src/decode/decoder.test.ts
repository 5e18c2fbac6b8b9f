// Layer-by-layer decoding of the crafted fixtures, malformed input, depth caps and robustness against random bytes.
import { describe, expect, test } from 'vitest';
import { PacketDecoder, newDecodedPacket } from './index.js';
import type { DecodedPacket } from './types.js';
import { fixtures } from './test-support/fixtures.js';
import { eth, ethTagged, ext6, gre, hex, icmp, ipv4, ipv6, mpls, tcp, udp, vxlan } from './test-support/frames.js';

function decode(linkType: number, frame: Buffer, decoder = new PacketDecoder()): DecodedPacket {
  const out = newDecodedPacket();
  decoder.decode(linkType, frame, 0, out);
  return out;
}

describe('fixtures', () => {
  test.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const out = decode(f.linkType, f.frame);
    expect(out).toMatchObject(f.expect);
    if (f.expect.status !== 'ok') return;
    // The payload window always lies inside the buffer that holds it.
    expect(out.payloadOffset + out.payloadLen).toBeLessThanOrEqual(out.payload.length);
    expect(out.payloadLen).toBeLessThanOrEqual(out.payloadWireLen);
  });

  test('one reused DecodedPacket gives the same answers as fresh ones, in any order', () => {
    const decoder = new PacketDecoder();
    const out = newDecodedPacket();
    for (const f of [...fixtures, ...fixtures.slice().reverse()]) {
      decoder.decode(f.linkType, f.frame, 0, out);
      expect(out).toMatchObject(f.expect);
    }
  });
});

describe('TCP header fields and options', () => {
  // tshark: TCP 40000 → 80, seq 0xffffffff, ack 0x80000000, flags SYN+ACK+ECE+CWR, window 29200, options
  // MSS 1460, SACK permitted, timestamps 4294967295/1, NOP, window scale 7.
  const synAck = tcp(
    { sp: 40000, dp: 80, seq: 0xffffffff, ack: 0x80000000, flags: 0xd2, win: 29200, options: hex('020405b4 0402 080a ffffffff 00000001 01 030307') },
  );
  // tshark: TCP ACK with NOP, NOP, SACK with 2 blocks (1-2, 3-4).
  const sack = tcp({ sp: 80, dp: 40000, flags: 0x10, options: hex('0101 0512 00000001 00000002 00000003 00000004') });
  // tshark: TCP option list with an MSS option claiming length 9 past the header end: parsing stops there.
  const badOption = tcp({ sp: 1, dp: 2, options: hex('0204 05b4 0209 0000') });
  test.each([
    ['syn-ack with options', synAck, { seq: 0xffffffff, ack: 0x80000000, tcpFlags: 0xd2, window: 29200, mss: 1460, wscale: 7, sackPermitted: true, hasTimestamps: true, tsVal: 0xffffffff, tsEcr: 1, sackBlocks: 0 }],
    ['sack blocks', sack, { sackBlocks: 2, mss: -1, wscale: -1, sackPermitted: false, hasTimestamps: false }],
    ['bad option length', badOption, { mss: 1460, wscale: -1, payloadLen: 0 }],
  ] as const)('%s', (_name, seg, expected) => {
    const out = decode(1, eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, seg)));
    expect(out.status).toBe('ok');
    expect(out).toMatchObject(expected);
  });
});

describe('malformed and truncated input', () => {
  const tcp4 = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sp: 1, dp: 2 }));
  test.each([
    ['ethernet shorter than its header', 1, hex('0200 0000 000b 0200'), 'eth-truncated'],
    ['ipv4 header cut', 1, eth(0x0800, tcp4.subarray(0, 12)), 'ipv4-truncated'],
    ['ipv4 header length below 20', 1, eth(0x0800, Buffer.concat([hex('44'), tcp4.subarray(1)])), 'ipv4-bad-header-length'],
    ['ipv4 total length below header', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6, totalLen: 12 }, tcp({ sp: 1, dp: 2 }))), 'ipv4-bad-length'],
    ['ipv4 version 5 in an IPv4 EtherType', 1, eth(0x0800, Buffer.concat([hex('55'), tcp4.subarray(1)])), 'ipv4-bad-version'],
    ['tcp header cut', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp({ sp: 1, dp: 2 }).subarray(0, 10))), 'tcp-truncated'],
    // tshark: "bogus TCP header length (12, must be at least 20)"; the frame is in no -z conv,tcp conversation.
    ['tcp data offset 3', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, Buffer.concat([hex('0001 0002 00000000 00000000 30 02 ffff 0000 0000')]))), 'tcp-bad-offset'],
    ['tcp options cut by the snaplen', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 6 }, tcp({ sp: 1, dp: 2, options: hex('020405b4 01010101') }))).subarray(0, 14 + 20 + 24), 'tcp-truncated'],
    ['udp header cut', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, hex('0035 0035 00'))), 'udp-truncated'],
    ['icmp shorter than 4 bytes', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1 }, hex('08 00'))), 'icmp-truncated'],
    ['icmp echo without its identifier', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 1 }, hex('08 00 0000 12'))), 'icmp-truncated'],
    ['ipv6 header cut', 1, eth(0x86dd, ipv6({ src: '::1', dst: '::2', nh: 59 }, Buffer.alloc(0)).subarray(0, 30)), 'ipv6-truncated'],
    ['ipv6 extension header cut by the snaplen', 1, eth(0x86dd, ipv6({ src: '::1', dst: '::2', nh: 0, payloadLen: 56 }, hex('11 05 0000 0000 0000'))), 'ipv6-ext-truncated'],
    ['ipv6 extension header longer than the payload', 1, eth(0x86dd, ipv6({ src: '::1', dst: '::2', nh: 0 }, hex('11 05 0000 0000 0000'))), 'ipv6-ext-bad-length'],
    ['vlan tag cut', 1, hex('0200 0000 000b 0200 0000 000a 8100 00'), 'vlan-truncated'],
    ['nine stacked vlan tags', 1, ethTagged(Array.from({ length: 9 }, (_, i) => ({ tpid: 0x8100, id: i + 1 })), 0x0800, tcp4), 'vlan-too-deep'],
    ['mpls without bottom of stack', 1, eth(0x8847, hex('00010040 00011040')), 'mpls-truncated'],
    ['gre header cut', 1, eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47 }, hex('2000 0800 0000'))), 'gre-truncated'],
    ['raw ip with version 7', 101, hex('70 00 00 14 0000 0000 4006 0000 01010101 02020202'), 'ip-bad-version'],
    ['null header cut', 0, hex('0200'), 'null-truncated'],
    ['sll header cut', 113, hex('0000 0001 0006'), 'sll-truncated'],
    ['sll2 header cut', 276, hex('0800 0000 0000 0007'), 'sll2-truncated'],
  ] as const)('%s → %s', (_name, linkType, frame, error) => {
    const out = decode(linkType, frame);
    expect(out.status).toBe('malformed');
    expect(out.error).toBe(error);
  });

  test('every prefix of every fixture decodes without throwing', () => {
    const decoder = new PacketDecoder();
    const out = newDecodedPacket();
    for (const f of fixtures) {
      for (let len = 0; len <= f.frame.length; len++) {
        const status = decoder.decode(f.linkType, f.frame.subarray(0, len), 0, out);
        expect(['ok', 'not-ip', 'malformed', 'fragment-pending']).toContain(status);
        if (status === 'malformed') expect(out.error).not.toBe('');
        if (status === 'ok') expect(out.payloadOffset + out.payloadLen).toBeLessThanOrEqual(out.payload.length);
      }
    }
  });

  test('random bytes and random corruption of fixtures never throw', () => {
    let seed = 0x12345678;
    const rand = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    const decoder = new PacketDecoder({ maxFragmentBytes: 1 << 16 });
    const out = newDecodedPacket();
    for (let i = 0; i < 20_000; i++) {
      const f = fixtures[Math.floor(rand() * fixtures.length)];
      const frame = Buffer.from(f.frame);
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) frame[Math.floor(rand() * frame.length)] = Math.floor(rand() * 256);
      expect(() => decoder.decode(f.linkType, frame, i, out)).not.toThrow();
      const noise = Buffer.alloc(Math.floor(rand() * 120));
      for (let k = 0; k < noise.length; k++) noise[k] = Math.floor(rand() * 256);
      for (const linkType of [0, 1, 101, 113, 239, 276]) expect(() => decoder.decode(linkType, noise, i, out)).not.toThrow();
    }
  });
});

describe('nesting limits', () => {
  const inner = eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(1, 2)));
  const wrap = (frame: Buffer, depth: number): Buffer => {
    let f = frame;
    for (let i = 0; i < depth; i++) f = eth(0x0800, ipv4({ src: '172.16.0.1', dst: '172.16.0.2', proto: 17 }, udp(50000, 4789, vxlan(i, f))));
    return f;
  };

  test('eight nested VXLAN layers are decoded to the innermost flow', () => {
    const out = decode(1, wrap(inner, 8));
    expect(out).toMatchObject({ status: 'ok', srcIp: '10.0.0.1', tunnelDepth: 8, tunnelId: 0 });
    expect(out.ctx.split('|')).toHaveLength(8);
  });

  test('a ninth tunnel layer is refused, not followed', () => {
    expect(decode(1, wrap(inner, 9))).toMatchObject({ status: 'malformed', error: 'tunnel-too-deep' });
  });

  test('the depth cap is configurable', () => {
    expect(decode(1, wrap(inner, 3), new PacketDecoder({ maxTunnelDepth: 2 }))).toMatchObject({ status: 'malformed', error: 'tunnel-too-deep' });
  });

  test('IP-in-IP nested 40 deep stops at the cap', () => {
    let p = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(1, 2));
    for (let i = 0; i < 40; i++) p = ipv4({ src: '10.9.9.1', dst: '10.9.9.2', proto: 4 }, p);
    expect(decode(101, p)).toMatchObject({ status: 'malformed', error: 'tunnel-too-deep' });
  });

  test('GRE inside GRE inside GRE', () => {
    const p = ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sp: 5, dp: 6 }));
    const g1 = ipv4({ src: '10.1.0.1', dst: '10.1.0.2', proto: 47 }, gre({ proto: 0x0800, key: 2 }, p));
    const g2 = ipv4({ src: '10.2.0.1', dst: '10.2.0.2', proto: 47 }, gre({ proto: 0x0800 }, g1));
    const out = decode(1, eth(0x0800, ipv4({ src: '10.3.0.1', dst: '10.3.0.2', proto: 47 }, gre({ proto: 0x0800, key: 1 }, g2))));
    expect(out).toMatchObject({ status: 'ok', srcPort: 5, tunnelDepth: 3, ctx: 'gre:1@10.3.0.1,10.3.0.2|gre@10.2.0.1,10.2.0.2|gre:2@10.1.0.1,10.1.0.2' });
  });
});

describe('flow context separates what the issue says must stay separate', () => {
  const seg = (ctxFrame: (ip: Buffer) => Buffer): string =>
    decode(1, ctxFrame(ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 6 }, tcp({ sp: 1000, dp: 80 })))).ctx;

  test.each([
    ['VLAN ids', (ip: Buffer) => ethTagged([{ tpid: 0x8100, id: 10 }], 0x0800, ip), (ip: Buffer) => ethTagged([{ tpid: 0x8100, id: 20 }], 0x0800, ip)],
    ['outer vs inner tag of QinQ', (ip: Buffer) => ethTagged([{ tpid: 0x88a8, id: 1 }, { tpid: 0x8100, id: 2 }], 0x0800, ip), (ip: Buffer) => ethTagged([{ tpid: 0x88a8, id: 2 }, { tpid: 0x8100, id: 1 }], 0x0800, ip)],
    ['VNIs', (ip: Buffer) => eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(9, 4789, vxlan(1, eth(0x0800, ip))))), (ip: Buffer) => eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(9, 4789, vxlan(2, eth(0x0800, ip)))))],
    ['GRE keys', (ip: Buffer) => eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47 }, gre({ proto: 0x0800, key: 1 }, ip))), (ip: Buffer) => eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47 }, gre({ proto: 0x0800, key: 2 }, ip)))],
    ['tunnel endpoints', (ip: Buffer) => eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 4 }, ip)), (ip: Buffer) => eth(0x0800, ipv4({ src: '1.1.1.1', dst: '3.3.3.3', proto: 4 }, ip))],
    ['tagged vs untagged', (ip: Buffer) => eth(0x0800, ip), (ip: Buffer) => ethTagged([{ tpid: 0x8100, id: 0 }], 0x0800, ip)],
    ['MPLS vs plain', (ip: Buffer) => eth(0x0800, ip), (ip: Buffer) => eth(0x8847, mpls([100], ip))],
  ])('different %s → different ctx', (_what, a, b) => {
    expect(seg(a)).not.toBe(seg(b));
  });

  test('MPLS labels do not split a conversation (they differ per direction)', () => {
    expect(seg((ip) => eth(0x8847, mpls([100, 200], ip)))).toBe(seg((ip) => eth(0x8847, mpls([300], ip))));
  });

  test('ctx strings are reused for repeated contexts (no per-packet building)', () => {
    const decoder = new PacketDecoder();
    const f = eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(9, 4789, vxlan(7, ethTagged([{ tpid: 0x8100, id: 3 }], 0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(1, 2)))))));
    const a = decode(1, f, decoder);
    const b = decode(1, f, decoder);
    expect(a.ctx).toBe('vxlan:7@1.1.1.1,2.2.2.2|v3');
    expect(Object.is(a.ctx, b.ctx)).toBe(true);
  });

  test('GRE keys can be left out of ctx (per-direction keys)', () => {
    const frame = eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 47 }, gre({ proto: 0x0800, key: 0x02000000 }, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(1, 2)))));
    expect(decode(1, frame).ctx).toBe('gre:33554432@1.1.1.1,2.2.2.2');
    expect(decode(1, frame, new PacketDecoder({ greKeyInCtx: false }))).toMatchObject({ ctx: 'gre@1.1.1.1,2.2.2.2', tunnelId: 0x02000000 });
  });

  test('the SLL2 interface can be left out of ctx', () => {
    const frame = Buffer.concat([hex('0800 0000 00000003 0001 00 06 020000000001 0000'), ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(1, 2))]);
    expect(decode(276, frame).ctx).toBe('if3');
    expect(decode(276, frame, new PacketDecoder({ sll2InterfaceInCtx: false })).ctx).toBe('');
  });
});

describe('options and other link types', () => {
  test('extra VXLAN ports act like decode-as', () => {
    const frame = eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(9, 58678, vxlan(3, eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udp(1, 2)))))));
    expect(decode(1, frame).srcIp).toBe('1.1.1.1');
    expect(decode(1, frame, new PacketDecoder({ vxlanPorts: [4789, 58678] })).srcIp).toBe('10.0.0.1');
  });

  test('a VXLAN port as the source port only (a reply to an ephemeral port) is plain UDP', () => {
    const frame = eth(0x0800, ipv4({ src: '8.8.8.8', dst: '10.0.0.1', proto: 17 }, udp(4789, 53, vxlan(1, eth(0x0800, ipv4({ src: '10.9.0.1', dst: '10.9.0.2', proto: 17 }, udp(1, 2)))))));
    expect(decode(1, frame)).toMatchObject({ status: 'ok', srcIp: '8.8.8.8', srcPort: 4789, tunnelDepth: 0 });
  });

  test('Teredo can be turned off', () => {
    const frame = eth(0x0800, ipv4({ src: '1.1.1.1', dst: '2.2.2.2', proto: 17 }, udp(3544, 3544, ipv6({ src: '2001::1', dst: '2001::2', nh: 59 }, Buffer.alloc(0)))));
    expect(decode(1, frame).tunnelType).toBe('teredo');
    expect(decode(1, frame, new PacketDecoder({ teredoPorts: [] })).ipVersion).toBe(4);
  });

  // tshark: Linux netfilter NFLOG, family IPv4, group 42, TLVs PACKET_HDR, PREFIX "", PAYLOAD / IPv4 / ICMP echo.
  test('NFLOG', () => {
    const payload = ipv4({ src: '10.0.2.15', dst: '93.184.216.34', proto: 1 }, icmp(8, 0, hex('0001 0001')));
    const tlvLen = Buffer.alloc(2);
    tlvLen.writeUInt16LE(4 + payload.length);
    const frame = Buffer.concat([hex('02 00 002a'), hex('0800 0100 0000 0300'), hex('0500 0a00 00 000000'), tlvLen, hex('0900'), payload]);
    expect(decode(239, frame)).toMatchObject({ status: 'ok', srcIp: '10.0.2.15', dstIp: '93.184.216.34', icmpType: 8, ctx: '' });
  });

  test.each([
    ['exported PDU (eBPF socket data) is not a packet', 252, 'exported-pdu'],
    ['an unknown link type', 147, 'unsupported-link-type'],
  ])('%s', (_name, linkType, reason) => {
    expect(decode(linkType, hex('00 01 02 03'))).toMatchObject({ status: 'not-ip', error: reason });
  });

  test('stats count statuses and reasons', () => {
    const decoder = new PacketDecoder();
    for (const f of fixtures) decode(f.linkType, f.frame, decoder);
    decode(1, hex('00'), decoder);
    const s = decoder.stats();
    expect(s.frames).toBe(fixtures.length + 1);
    expect(s.ok + s.notIp + s.malformed + s.fragmentPending).toBe(s.frames);
    expect(s.reasons['eth-truncated']).toBe(1);
    expect(s.reasons.arp).toBeGreaterThan(0);
    expect(s.tunnelled).toBeGreaterThan(20);
  });

  test('IPv6 extension headers longer than the payload length are refused', () => {
    const frame = eth(0x86dd, ipv6({ src: '::1', dst: '::2', nh: 0, payloadLen: 8 }, Buffer.concat([ext6(17, Buffer.alloc(14)), udp(1, 2)])));
    expect(decode(1, frame)).toMatchObject({ status: 'malformed', error: 'ipv6-ext-bad-length' });
  });
});
