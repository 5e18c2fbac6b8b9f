// Measurement script: CaptureReader throughput on a generated 1M-packet pcapng, per read strategy and chunk size.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { CaptureReader, readCaptureBuffer, readCaptureFile } from './reader.js';
import type { CaptureHandler } from './types.js';
import { BundleWriter } from './writer.js';

/**
 * A bundle of `count` EPBs on two Ethernet interfaces with a size mix averaging ~118 bytes of data
 * (≈150 bytes a block: 1M packets ≈ 150 MB, the import target of the brief).
 */
export function generateBundle(count: number): Buffer {
  const sizes = [54, 54, 66, 66, 74, 90, 120, 140, 160, 200, 220, 250];
  // A pool of frames with pseudo-random contents, so that gzip ratios are not absurdly good.
  let seed = 12345;
  const frames = Array.from({ length: 1024 }, (_, i) => {
    const b = Buffer.alloc(sizes[i % sizes.length]);
    for (let j = 0; j < b.length; j++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      b[j] = j < 40 ? j : seed >>> 24;
    }
    return b;
  });
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), { host: 'bench', digest: false });
  w.addInterface({ linkType: 1, name: 'eth0' });
  w.addInterface({ linkType: 1, name: 'veth1' });
  let ns = 1700000000_000000000n;
  for (let i = 0; i < count; i++) {
    ns += 1373n;
    w.writePacket(i & 1, ns, frames[i % frames.length]);
  }
  return Buffer.concat(parts);
}

function counter(): { handler: CaptureHandler; result: () => { packets: number; bytes: number } } {
  let packets = 0;
  let bytes = 0;
  return {
    handler: {
      packet(p) {
        packets++;
        bytes += p.data.length;
      },
    },
    result: () => ({ packets, bytes }),
  };
}

/** The alternative to readCaptureFile's stream: sequential awaited reads into one reused buffer (no read-ahead). */
async function readWithFileHandle(path: string, handler: CaptureHandler, chunkSize: number): Promise<void> {
  const reader = new CaptureReader(handler);
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(chunkSize);
    while (true) {
      const { bytesRead } = await fh.read(buf, 0, chunkSize, null);
      if (bytesRead === 0) break;
      reader.push(buf.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  reader.end();
}

interface Row {
  what: string;
  seconds: number;
}

async function best(what: string, rounds: number, run: () => Promise<unknown> | unknown): Promise<Row> {
  let seconds = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    await run();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { what, seconds };
}

export async function benchReader(count = 1_000_000, rounds = 5): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-reader-bench-'));
  try {
    const t0 = process.hrtime.bigint();
    const file = generateBundle(count);
    const writeSec = Number(process.hrtime.bigint() - t0) / 1e9;
    const path = join(dir, 'bench.pcapng');
    writeFileSync(path, file);
    const gz = zlib.gzipSync(file, { level: 6 });
    const gzPath = join(dir, 'bench.pcapng.gz');
    writeFileSync(gzPath, gz);
    console.log(`generated ${count} packets, ${(file.length / 1e6).toFixed(1)} MB (gzip ${(gz.length / 1e6).toFixed(1)} MB); BundleWriter: ${(count / writeSec / 1e6).toFixed(2)} M packets/s`);

    const rows: Row[] = [];
    const check = (r: { packets: number }): void => {
      if (r.packets !== count) throw new Error(`read ${r.packets} packets, expected ${count}`);
    };
    rows.push(await best('readCaptureBuffer (in memory, parse only)', rounds, () => {
      const c = counter();
      readCaptureBuffer(file, c.handler);
      check(c.result());
    }));
    for (const chunk of [64 * 1024, 1024 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024]) {
      rows.push(await best(`readCaptureFile (read stream, highWaterMark ${chunk / 1024} KiB)`, rounds, async () => {
        const c = counter();
        await readCaptureFile(path, c.handler, { chunkSize: chunk });
        check(c.result());
      }));
    }
    for (const chunk of [1024 * 1024, 4 * 1024 * 1024]) {
      rows.push(await best(`fh.read loop into one reused ${chunk / 1024} KiB buffer`, rounds, async () => {
        const c = counter();
        await readWithFileHandle(path, c.handler, chunk);
        check(c.result());
      }));
    }
    rows.push(await best('readCaptureFile on the gzip file (4 MiB reads)', rounds, async () => {
      const c = counter();
      await readCaptureFile(gzPath, c.handler);
      check(c.result());
    }));
    for (const r of rows) {
      const mb = file.length / 1e6 / r.seconds;
      console.log(`${r.what.padEnd(52)} ${r.seconds.toFixed(3)} s  ${(count / r.seconds / 1e6).toFixed(2)} M packets/s  ${mb.toFixed(0)} MB/s (uncompressed)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await benchReader(Number(process.argv[2] ?? 1_000_000));
}
