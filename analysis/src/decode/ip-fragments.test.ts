// IPv4/IPv6 fragment reassembly through the decoder: order, overlaps, timeouts, memory bound, tunnels, violations.
import { describe, expect, test } from 'vitest';
import { PacketDecoder, newDecodedPacket } from './index.js';
import type { DecodedPacket, DecoderOptions, DecodeStatus } from './types.js';
import { eth, ethTagged, ext6, frag6, ipv4, ipv6, udp, vxlan } from './test-support/frames.js';

const SRC = '192.0.2.1';
const DST = '198.51.100.7';

/** A UDP datagram 5353 → 53 with a recognisable payload of `size` bytes. */
function udpDatagram(size: number): Buffer {
  const payload = Buffer.alloc(size);
  for (let i = 0; i < size; i++) payload[i] = i & 0xff;
  return udp(5353, 53, payload);
}

/** Splits an IP payload into IPv4 fragments at the given byte offsets (multiples of 8), in order. */
function fragments4(payload: Buffer, cuts: number[], id = 0x1111, wrap: (ip: Buffer) => Buffer = (ip) => eth(0x0800, ip)): Buffer[] {
  const bounds = [0, ...cuts, payload.length];
  const out: Buffer[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const more = i + 2 < bounds.length;
    const frag = (more ? 0x2000 : 0) | (bounds[i] >> 3);
    out.push(wrap(ipv4({ src: SRC, dst: DST, proto: 17, id, frag }, payload.subarray(bounds[i], bounds[i + 1]))));
  }
  return out;
}

function run(frames: Buffer[], opts: DecoderOptions = {}, times?: number[]): { statuses: DecodeStatus[]; out: DecodedPacket; decoder: PacketDecoder } {
  const decoder = new PacketDecoder(opts);
  const out = newDecodedPacket();
  const statuses = frames.map((f, i) => decoder.decode(1, f, times?.[i] ?? i * 1000, out));
  return { statuses, out, decoder };
}

describe('IPv4 reassembly', () => {
  const dgram = udpDatagram(3000);
  const frags = fragments4(dgram, [1480, 2960]);

  test.each([
    ['in order', [0, 1, 2]],
    ['last first', [2, 1, 0]],
    ['first last', [1, 2, 0]],
  ])('%s', (_name, order) => {
    const { statuses, out, decoder } = run(order.map((i) => frags[i]));
    expect(statuses).toEqual(['fragment-pending', 'fragment-pending', 'ok']);
    expect(out).toMatchObject({ srcIp: SRC, dstIp: DST, srcPort: 5353, dstPort: 53, reassembled: true, l3Len: 20 + dgram.length, payloadLen: 3000, payloadWireLen: 3000 });
    expect(out.payload.subarray(out.payloadOffset, out.payloadOffset + 3000).equals(dgram.subarray(8))).toBe(true);
    expect(decoder.drainViolations()).toEqual([]);
    expect(decoder.stats().fragments).toMatchObject({ completed: 1, trainsHeld: 0, bytesHeld: 0 });
  });

  test('a pending fragment already names its addresses, protocol and ctx', () => {
    const [first] = fragments4(dgram, [1480], 7, (ip) => ethTagged([{ tpid: 0x8100, id: 12 }], 0x0800, ip));
    const { statuses, out } = run([first]);
    expect(statuses).toEqual(['fragment-pending']);
    expect(out).toMatchObject({ srcIp: SRC, dstIp: DST, ipProto: 17, ipId: 7, ctx: 'v12' });
  });

  test('a retransmitted identical fragment is harmless', () => {
    const { statuses, decoder } = run([frags[0], frags[0], frags[1], frags[2]]);
    expect(statuses).toEqual(['fragment-pending', 'fragment-pending', 'fragment-pending', 'ok']);
    expect(decoder.drainViolations()).toEqual([]);
    expect(decoder.stats().fragments.overlaps).toBe(1);
  });

  test('overlapping fragments with different bytes: the first arrival wins, and it is reported', () => {
    // Fragment 2 rewritten to start 8 bytes earlier, with 0xee bytes where it overlaps fragment 1.
    const evil = Buffer.concat([Buffer.alloc(8, 0xee), dgram.subarray(1480)]);
    const evilFrame = eth(0x0800, ipv4({ src: SRC, dst: DST, proto: 17, id: 0x1111, frag: 0x2000 | ((1480 - 8) >> 3) }, evil));
    const { statuses, out, decoder } = run([frags[0], evilFrame, frags[2]]);
    expect(statuses.at(-1)).toBe('ok');
    expect(out.payload.subarray(out.payloadOffset, out.payloadOffset + 3000).equals(dgram.subarray(8))).toBe(true);
    expect(decoder.drainViolations().map((v) => v.kind)).toEqual(['ip-fragment-overlap']);
  });

  test('the same overlap arriving in the other order keeps the other bytes: deterministic by arrival', () => {
    const evil = Buffer.concat([Buffer.alloc(8, 0xee), dgram.subarray(1480)]);
    const evilFrame = eth(0x0800, ipv4({ src: SRC, dst: DST, proto: 17, id: 0x1111, frag: 0x2000 | ((1480 - 8) >> 3) }, evil));
    const { out } = run([evilFrame, frags[0], frags[2]]);
    const body = out.payload.subarray(out.payloadOffset, out.payloadOffset + 3000);
    expect(body.subarray(1480 - 8 - 8, 1480 - 8).equals(Buffer.alloc(8, 0xee))).toBe(true);
  });

  test('trains with equal ids in different VLANs stay apart', () => {
    const v1 = fragments4(dgram, [1480, 2960], 5, (ip) => ethTagged([{ tpid: 0x8100, id: 1 }], 0x0800, ip));
    const v2 = fragments4(dgram, [1480, 2960], 5, (ip) => ethTagged([{ tpid: 0x8100, id: 2 }], 0x0800, ip));
    const { statuses, out } = run([v1[0], v2[1], v1[2], v2[0], v1[1]]);
    expect(statuses).toEqual(['fragment-pending', 'fragment-pending', 'fragment-pending', 'fragment-pending', 'ok']);
    expect(out.ctx).toBe('v1');
  });

  test('a fragmented tunnel packet is reassembled, then decapsulated', () => {
    const inner = eth(0x0800, ipv4({ src: '10.0.0.1', dst: '10.0.0.2', proto: 17 }, udpDatagram(2000)));
    const outer = udp(50000, 4789, vxlan(33, inner));
    const { statuses, out } = run(fragments4(outer, [1480]));
    expect(statuses).toEqual(['fragment-pending', 'ok']);
    expect(out).toMatchObject({ srcIp: '10.0.0.1', srcPort: 5353, tunnelType: 'vxlan', tunnelId: 33, ctx: `vxlan:33@${SRC},${DST}`, reassembled: true });
  });

  test('trains time out by capture time and are reported', () => {
    const { statuses, decoder } = run([frags[0], frags[1], frags[2]], { fragmentTimeoutUs: 30_000_000 }, [0, 10_000_000, 40_000_001]);
    expect(statuses).toEqual(['fragment-pending', 'fragment-pending', 'fragment-pending']);
    const v = decoder.drainViolations();
    expect(v.map((x) => x.kind)).toEqual(['ip-fragment-timeout']);
    expect(v[0].message).toContain(`${SRC} > ${DST}`);
    expect(decoder.stats().fragments.timedOut).toBe(1);
  });

  test('an expired train is dropped even when no further fragment arrives', () => {
    const decoder = new PacketDecoder({ fragmentTimeoutUs: 1000 });
    const out = newDecodedPacket();
    decoder.decode(1, frags[0], 0, out);
    decoder.decode(1, eth(0x0800, ipv4({ src: SRC, dst: DST, proto: 17 }, udp(1, 2))), 5000, out);
    expect(decoder.stats().fragments.trainsHeld).toBe(0);
    expect(decoder.drainViolations().map((x) => x.kind)).toEqual(['ip-fragment-timeout']);
  });

  test('the memory bound evicts the oldest trains', () => {
    const firsts = Array.from({ length: 6 }, (_, i) => fragments4(udpDatagram(3000), [1480], 100 + i)[0]);
    const { decoder } = run(firsts, { maxFragmentBytes: 4000 });
    const s = decoder.stats().fragments;
    expect(s.bytesHeld).toBeLessThanOrEqual(4000);
    expect(s.evicted).toBe(4);
    expect(decoder.drainViolations().every((v) => v.kind === 'ip-fragment-evicted')).toBe(true);
  });

  test('a fragment ending past 65535 bytes is refused', () => {
    const frame = eth(0x0800, ipv4({ src: SRC, dst: DST, proto: 17, frag: 0x2000 | 8190 }, Buffer.alloc(200)));
    const { statuses, out, decoder } = run([frame]);
    expect(statuses).toEqual(['malformed']);
    expect(out.error).toBe('ipv4-fragment-dropped');
    expect(decoder.drainViolations().map((v) => v.kind)).toEqual(['ip-fragment-too-long']);
  });

  test('a snaplen-cut first fragment still yields its transport header; a cut later one is malformed', () => {
    const first = frags[0].subarray(0, 14 + 20 + 8 + 10);
    const later = frags[1].subarray(0, 14 + 20 + 10);
    const a = run([first]);
    expect(a.statuses).toEqual(['ok']);
    expect(a.out).toMatchObject({ srcPort: 5353, dstPort: 53, reassembled: false, payloadLen: 10 });
    expect(run([later]).out).toMatchObject({ status: 'malformed', error: 'ipv4-fragment-truncated' });
  });

  test('flushFragments reports what never completed', () => {
    const { decoder } = run([frags[0]]);
    decoder.flushFragments();
    expect(decoder.drainViolations().map((v) => v.kind)).toEqual(['ip-fragment-incomplete']);
    expect(decoder.stats().fragments.trainsHeld).toBe(0);
  });

  test('the violation queue is bounded between drains', () => {
    const decoder = new PacketDecoder();
    const out = newDecodedPacket();
    for (let id = 0; id < 10_010; id++) decoder.decode(1, eth(0x0800, ipv4({ src: SRC, dst: DST, proto: 17, id, frag: 0x2000 }, Buffer.alloc(8))), 0, out);
    decoder.flushFragments();
    const v = decoder.drainViolations();
    expect(v).toHaveLength(10_001);
    expect(v.at(-1)).toMatchObject({ kind: 'decode-violations-dropped' });
    expect(decoder.drainViolations()).toEqual([]);
  });
});

describe('IPv6 reassembly', () => {
  const C6 = '2001:db8::1';
  const S6 = '2001:db8::2';

  /** IPv6 fragments of `fragmentable` (starting with upper-layer protocol `nh`), with an unfragmentable part. */
  function fragments6(fragmentable: Buffer, nh: number, cuts: number[], id: number, unfragmentable?: Buffer): Buffer[] {
    const bounds = [0, ...cuts, fragmentable.length];
    const frames: Buffer[] = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const fh = frag6(nh, bounds[i], i + 2 < bounds.length, id);
      const body = Buffer.concat([...(unfragmentable ? [unfragmentable] : []), fh, fragmentable.subarray(bounds[i], bounds[i + 1])]);
      frames.push(eth(0x86dd, ipv6({ src: C6, dst: S6, nh: unfragmentable ? 0 : 44 }, body)));
    }
    return frames;
  }

  test('UDP in three fragments, out of order', () => {
    const dgram = udpDatagram(2500);
    const frames = fragments6(dgram, 17, [1232, 2464], 0xdeadbeef);
    const { statuses, out } = run([frames[1], frames[0], frames[2]]);
    expect(statuses).toEqual(['fragment-pending', 'fragment-pending', 'ok']);
    expect(out).toMatchObject({ srcIp: C6, dstIp: S6, ipProto: 17, srcPort: 5353, ipId: 0xdeadbeef, reassembled: true, payloadLen: 2500, l3Len: 40 + dgram.length });
  });

  test('hop-by-hop before the fragment header, destination options inside the fragmentable part', () => {
    const fragmentable = Buffer.concat([ext6(17, Buffer.alloc(6)), udpDatagram(1500)]);
    const frames = fragments6(fragmentable, 60, [1000], 9, ext6(44, Buffer.alloc(6)));
    const { statuses, out } = run(frames);
    expect(statuses).toEqual(['fragment-pending', 'ok']);
    expect(out).toMatchObject({ ipProto: 17, srcPort: 5353, dstPort: 53, payloadLen: 1500, l3Len: 40 + 8 + fragmentable.length });
  });

  test('a snaplen-cut first IPv6 fragment still yields its transport header', () => {
    const frames = fragments6(udpDatagram(2000), 17, [1232], 4);
    const { statuses, out } = run([frames[0].subarray(0, 14 + 40 + 8 + 8 + 4)]);
    expect(statuses).toEqual(['ok']);
    expect(out).toMatchObject({ ipProto: 17, srcPort: 5353, payloadLen: 4, reassembled: false });
  });
});
