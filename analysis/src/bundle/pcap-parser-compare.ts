// Measurement script: packets/s of the `pcap-parser` package vs CaptureReader on a generated classic pcap (see docs/bundle-format.md).

import { once } from 'node:events';
import type { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readCaptureFile } from './reader.js';

interface PcapParserModule {
  parse(input: string): EventEmitter;
}

/**
 * A classic µs pcap of `count` Ethernet frames with a realistic size mix (bare ACKs, small requests,
 * full-size segments), deterministic so runs compare.
 */
export function generateClassicPcap(count: number): Buffer {
  const sizes = [66, 66, 74, 120, 250, 583, 1514, 1514];
  let total = 24;
  for (let i = 0; i < count; i++) total += 16 + sizes[i % sizes.length];
  const b = Buffer.alloc(total);
  b.writeUInt32LE(0xa1b2c3d4, 0);
  b.writeUInt16LE(2, 4);
  b.writeUInt16LE(4, 6);
  b.writeUInt32LE(65535, 16);
  b.writeUInt32LE(1, 20);
  let pos = 24;
  for (let i = 0; i < count; i++) {
    const len = sizes[i % sizes.length];
    b.writeUInt32LE(1700000000 + Math.floor(i / 1000), pos);
    b.writeUInt32LE((i % 1000) * 1000, pos + 4);
    b.writeUInt32LE(len, pos + 8);
    b.writeUInt32LE(len, pos + 12);
    b[pos + 16] = i & 0xff; // something non-zero in each frame
    pos += 16 + len;
  }
  return b;
}

export interface Measurement {
  name: string;
  packets: number;
  seconds: number;
  packetsPerSec: number;
  mbPerSec: number;
}

async function timePcapParser(path: string, bytes: number): Promise<Measurement> {
  const require = createRequire(import.meta.url);
  const pcapParser = require('pcap-parser') as PcapParserModule;
  const t0 = process.hrtime.bigint();
  const parser = pcapParser.parse(path);
  let packets = 0;
  let sum = 0;
  parser.on('packet', (p: { data: Buffer }) => {
    packets++;
    sum += p.data.length;
  });
  await once(parser, 'end');
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  void sum;
  return { name: 'pcap-parser 0.2.1', packets, seconds, packetsPerSec: packets / seconds, mbPerSec: bytes / 1e6 / seconds };
}

async function timeOwnReader(path: string, bytes: number): Promise<Measurement> {
  const t0 = process.hrtime.bigint();
  let packets = 0;
  let sum = 0;
  await readCaptureFile(path, {
    packet(p) {
      packets++;
      sum += p.data.length;
    },
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  void sum;
  return { name: 'CaptureReader', packets, seconds, packetsPerSec: packets / seconds, mbPerSec: bytes / 1e6 / seconds };
}

export interface Comparison {
  name: string;
  packets: number;
  /** Fastest and median run over the rounds. */
  best: Measurement;
  median: Measurement;
}

/**
 * Runs both readers `rounds` times on the same file (page cache warm), interleaved so that load from
 * other processes hits both alike, and keeps each one's fastest and median run.
 */
export async function comparePcapParser(count = 200_000, rounds = 9): Promise<Comparison[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-pcap-compare-'));
  const path = join(dir, 'generated.pcap');
  try {
    const file = generateClassicPcap(count);
    writeFileSync(path, file);
    const runs: Record<string, Measurement[]> = {};
    for (let r = 0; r < rounds; r++) {
      for (const m of [await timePcapParser(path, file.length), await timeOwnReader(path, file.length)]) {
        if (m.packets !== count) throw new Error(`${m.name} read ${m.packets} packets, expected ${count}`);
        (runs[m.name] ??= []).push(m);
      }
    }
    return Object.entries(runs).map(([name, list]) => {
      const sorted = [...list].sort((a, b) => a.seconds - b.seconds);
      return { name, packets: count, best: sorted[0], median: sorted[Math.floor(sorted.length / 2)] };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const count = Number(process.argv[2] ?? 200_000);
  const results = await comparePcapParser(count);
  const fmt = (m: Measurement): string => `${m.seconds.toFixed(3)} s = ${(m.packetsPerSec / 1e6).toFixed(2)} M packets/s, ${m.mbPerSec.toFixed(0)} MB/s`;
  for (const c of results) console.log(`${c.name.padEnd(18)} ${c.packets} packets  best ${fmt(c.best)}  median ${fmt(c.median)}`);
  const [theirs, ours] = results;
  console.log(`CaptureReader/pcap-parser speed ratio: best ${(theirs.best.seconds / ours.best.seconds).toFixed(1)}x, median ${(theirs.median.seconds / ours.median.seconds).toFixed(1)}x`);
}
