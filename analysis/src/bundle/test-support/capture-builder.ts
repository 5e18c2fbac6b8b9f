// Test helpers: hand-built pcap/pcapng bytes (any byte order, any block) and an event log of what a reader delivered.

import { existsSync } from 'node:fs';
import { CaptureReader } from '../reader.js';
import type { CaptureReaderOptions } from '../reader.js';
import type { CaptureHandler, ReadSummary } from '../types.js';

export type Order = 'le' | 'be';

function u16(order: Order, v: number): Buffer {
  const b = Buffer.alloc(2);
  if (order === 'le') b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

export function u32(order: Order, v: number): Buffer {
  const b = Buffer.alloc(4);
  if (order === 'le') b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

export function u64(order: Order, v: bigint): Buffer {
  const b = Buffer.alloc(8);
  if (order === 'le') b.writeBigUInt64LE(BigInt.asUintN(64, v));
  else b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

function padTo4(b: Buffer): Buffer {
  const extra = (4 - (b.length % 4)) % 4;
  return extra ? Buffer.concat([b, Buffer.alloc(extra)]) : b;
}

/** An option list (with opt_endofopt) from [code, value] pairs. */
export function opts(order: Order, list: Array<[number, Buffer | string]>): Buffer {
  if (list.length === 0) return Buffer.alloc(0);
  const parts = list.map(([code, v]) => {
    const value = typeof v === 'string' ? Buffer.from(v) : v;
    return Buffer.concat([u16(order, code), u16(order, value.length), padTo4(value)]);
  });
  return Buffer.concat([...parts, Buffer.alloc(4)]);
}

/** A whole block: type, length, body padded to 4, trailing length. */
export function block(order: Order, type: number, body: Buffer): Buffer {
  const b = padTo4(body);
  const len = b.length + 12;
  return Buffer.concat([u32(order, type), u32(order, len), b, u32(order, len)]);
}

export function shb(order: Order, options: Buffer = Buffer.alloc(0), version: [number, number] = [1, 0]): Buffer {
  return block(order, 0x0a0d0d0a, Buffer.concat([u32(order, 0x1a2b3c4d), u16(order, version[0]), u16(order, version[1]), u64(order, -1n), options]));
}

export function idb(order: Order, linkType = 1, snapLen = 65535, options: Buffer = Buffer.alloc(0)): Buffer {
  return block(order, 1, Buffer.concat([u16(order, linkType), u16(order, 0), u32(order, snapLen), options]));
}

export function epb(order: Order, ifid: number, ts: bigint, data: Buffer, options: Buffer = Buffer.alloc(0), origLen = data.length): Buffer {
  return block(
    order,
    6,
    Buffer.concat([u32(order, ifid), u32(order, Number(ts >> 32n)), u32(order, Number(ts & 0xffffffffn)), u32(order, data.length), u32(order, origLen), padTo4(data), options]),
  );
}

export function spb(order: Order, data: Buffer, origLen = data.length): Buffer {
  return block(order, 3, Buffer.concat([u32(order, origLen), padTo4(data)]));
}

/** Obsolete Packet Block (type 2). */
export function pb(order: Order, ifid: number, ts: bigint, data: Buffer, options: Buffer = Buffer.alloc(0)): Buffer {
  return block(
    order,
    2,
    Buffer.concat([u16(order, ifid), u16(order, 0), u32(order, Number(ts >> 32n)), u32(order, Number(ts & 0xffffffffn)), u32(order, data.length), u32(order, data.length), padTo4(data), options]),
  );
}

export interface PcapPacket {
  sec: number;
  /** µs or ns depending on the file. */
  frac: number;
  data: Buffer;
  origLen?: number;
}

/** A classic pcap file. `magic` picks µs or ns; `order` the byte order. */
export function pcapFile(order: Order, nano: boolean, packets: PcapPacket[], linkType = 1, snapLen = 65535): Buffer {
  const header = Buffer.concat([
    u32(order, nano ? 0xa1b23c4d : 0xa1b2c3d4),
    u16(order, 2),
    u16(order, 4),
    u32(order, 0),
    u32(order, 0),
    u32(order, snapLen),
    u32(order, linkType),
  ]);
  const recs = packets.map((p) =>
    Buffer.concat([u32(order, p.sec), u32(order, p.frac), u32(order, p.data.length), u32(order, p.origLen ?? p.data.length), p.data]),
  );
  return Buffer.concat([header, ...recs]);
}

/** Deterministic pseudo-random bytes (tests must not depend on Math.random). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

export function bytes(n: number, seed = n): Buffer {
  const r = prng(seed + 1);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(r() * 256);
  return b;
}

export interface ReadLog {
  events: string[];
  summary: ReadSummary;
}

/** Where tshark lives, or undefined; tests needing it must fail under CI and say why otherwise. */
export function findTool(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '/usr/bin').split(':').concat(['/usr/bin', '/usr/local/bin'])) {
    const p = `${dir}/${name}`;
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Handler that records every callback as a line of text, copying data (the reader reuses its buffers). */
export function loggingHandler(events: string[]): CaptureHandler {
  return {
    section: (s) => events.push(`section ${JSON.stringify(s)}`),
    iface: (i) => events.push(`iface ${JSON.stringify(i)}`),
    packet: (p) =>
      events.push(
        `packet if=${p.interfaceId} #${p.frameNumber} ts=${p.tsUs}.${p.tsSubUsNs} cap=${p.capLen} orig=${p.origLen} flags=${p.flags} off=${p.blockOffset} ` +
          `data=${p.data.toString('hex')} opts=${p.options?.toString('hex') ?? ''}`,
      ),
    custom: (c) => events.push(`custom #${c.frameNumber} ${c.pen} ${c.copyable} ${c.recordType} ${JSON.stringify(c.json)} ${c.payload.toString('hex')} s${c.sectionIndex}`),
    nameResolution: (n, s) => events.push(`names ${JSON.stringify(n)} s${s}`),
    secrets: (x, s) => events.push(`secrets ${x.secretsType} ${x.data.toString('hex')} s${s}`),
    stats: (x) => events.push(`stats ${JSON.stringify(x)}`),
    violation: (v) => events.push(`violation ${v.kind} @${v.offset} lost=${v.bytesLost ?? '?'}`),
  };
}

/** Feeds `input` in pieces of the given sizes (cycled), returning the event log and summary. */
export function readInChunks(input: Buffer, sizes: number[] | 'whole', opts?: CaptureReaderOptions): ReadLog {
  const events: string[] = [];
  const reader = new CaptureReader(loggingHandler(events), opts);
  if (sizes === 'whole') reader.push(input);
  else {
    let pos = 0;
    let i = 0;
    while (pos < input.length) {
      const n = Math.max(1, sizes[i++ % sizes.length]);
      // Copy each piece into a fresh buffer that is then scribbled over, to catch views kept past push().
      const piece = Buffer.from(input.subarray(pos, pos + n));
      reader.push(piece);
      piece.fill(0xee);
      pos += n;
    }
  }
  const summary = reader.end();
  return { events, summary };
}
