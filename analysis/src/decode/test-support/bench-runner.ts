// Benchmark bodies shared by the vitest run and the natively-run compiled copy (see decode.bench-check.test.ts).
import { PacketDecoder, newDecodedPacket } from '../index.js';
import { LinkType } from '../types.js';
import { eth, ethTagged, ipv4, ipv6, tcp, tcpOpt, udp, vxlan } from './frames.js';

/** 4096 distinct frames: 256 clients talking to 16 servers, mixed segment shapes (with and without options). */
export function plainFrames(): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < 4096; i++) {
    const client = `10.1.${(i >> 4) & 0xff}.${(i * 7) & 0xff}`;
    const server = `192.168.0.${i & 15}`;
    const options = i % 4 === 0 ? Buffer.concat([tcpOpt.nop(), tcpOpt.nop(), tcpOpt.timestamps(i, i + 1)]) : undefined;
    const payload = Buffer.alloc(i % 3 === 0 ? 0 : 200 + (i % 1000));
    const seg = tcp({ sp: 32768 + i, dp: 443, seq: 0x80000000 + i * 1000, ack: i, flags: 0x18, options }, payload);
    const ip = i % 2 === 0 ? ipv4({ src: client, dst: server, proto: 6 }, seg) : ipv4({ src: server, dst: client, proto: 6 }, seg);
    frames.push(eth(0x0800, ip));
  }
  return frames;
}

/** Ethernet/IPv6/TCP frames: 256 clients, 16 servers. */
export function ipv6Frames(): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i < 4096; i++) {
    const client = `2001:db8:${(i >> 4) & 0xff}::${((i * 7) & 0xff).toString(16)}`;
    const server = `2001:db8:ffff::${(i & 15).toString(16)}`;
    const seg = tcp({ sp: 32768 + i, dp: 443, seq: i * 1000, flags: 0x10 }, Buffer.alloc(i % 3 === 0 ? 0 : 200 + (i % 1000)));
    frames.push(eth(0x86dd, i % 2 === 0 ? ipv6({ src: client, dst: server, nh: 6 }, seg) : ipv6({ src: server, dst: client, nh: 6 }, seg)));
  }
  return frames;
}

/** The plain frames inside VLAN + outer IPv4/UDP + VXLAN. */
export function tunnelledFrames(): Buffer[] {
  return plainFrames().map((f, i) =>
    ethTagged(
      [{ tpid: 0x8100, id: 100 + (i & 3) }],
      0x0800,
      ipv4({ src: '172.16.0.1', dst: '172.16.0.2', proto: 17 }, udp(49152 + (i & 255), 4789, vxlan(5000 + (i & 7), f))),
    ),
  );
}

export interface BenchResult {
  nsPerPacket: number;
  ok: number;
  count: number;
}

/** Decodes `count` frames cycling through `frames` (length a power of two) after a JIT warm-up. */
export function runBench(frames: Buffer[], count: number): BenchResult {
  const decoder = new PacketDecoder();
  const out = newDecodedPacket();
  const mask = frames.length - 1;
  for (let i = 0; i < 200_000; i++) decoder.decode(LinkType.ETHERNET, frames[i & mask], i, out);
  let ok = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) if (decoder.decode(LinkType.ETHERNET, frames[i & mask], i, out) === 'ok') ok++;
  const nsPerPacket = Number(process.hrtime.bigint() - t0) / count;
  return { nsPerPacket, ok, count };
}
