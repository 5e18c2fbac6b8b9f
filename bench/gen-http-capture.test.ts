// The benchmark's capture generator: deterministic output, a valid pcap/pcapng, and tshark agrees on the conversations.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const GENERATOR = fileURLToPath(new URL('./gen-http-capture.mjs', import.meta.url));
const BASE_TS_SEC = 1_709_294_400; // 2024-03-01T12:00:00Z, the generator's fixed start

interface GenStats {
  format: string;
  packets: number;
  bytes: number;
  sha256: string;
  connections: number;
  requests: number;
  responses: number;
  seconds: number;
}

const dir = mkdtempSync(join(tmpdir(), 'rewind-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function generate(name: string, packets: number, format = 'pcap'): { file: string; stats: GenStats } {
  const file = join(dir, name);
  const r = spawnSync(process.execPath, [GENERATOR, '--out', file, '--packets', String(packets), '--format', format, '--json'], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return { file, stats: JSON.parse(r.stdout) as GenStats };
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('gen-http-capture', () => {
  let a: { file: string; stats: GenStats };
  let b: { file: string; stats: GenStats };
  beforeAll(() => {
    a = generate('a.pcap', 5000);
    b = generate('b.pcap', 5000);
  });

  it('is deterministic: same arguments, same bytes', () => {
    expect(sha256(a.file)).toBe(a.stats.sha256);
    expect(sha256(b.file)).toBe(a.stats.sha256);
    expect(b.stats).toEqual({ ...a.stats, seconds: b.stats.seconds });
  });

  it('writes a little-endian µs pcap of Ethernet frames with the reported packet count', () => {
    const buf = readFileSync(a.file);
    expect(buf.length).toBe(a.stats.bytes);
    expect(buf.readUInt32LE(0)).toBe(0xa1b2c3d4);
    expect([buf.readUInt16LE(4), buf.readUInt16LE(6)]).toEqual([2, 4]);
    expect(buf.readUInt32LE(20)).toBe(1); // LINKTYPE_ETHERNET
    let count = 0;
    let prevUs = 0;
    let off = 24;
    while (off < buf.length) {
      const us = buf.readUInt32LE(off) * 1e6 + buf.readUInt32LE(off + 4);
      expect(us).toBeGreaterThanOrEqual(prevUs);
      if (count === 0) expect(buf.readUInt32LE(off)).toBe(BASE_TS_SEC);
      prevUs = us;
      const incl = buf.readUInt32LE(off + 8);
      expect(buf.readUInt32LE(off + 12)).toBe(incl);
      off += 16 + incl;
      count++;
    }
    expect(off).toBe(buf.length);
    expect(count).toBe(a.stats.packets);
    expect(count).toBeGreaterThanOrEqual(5000);
    expect(a.stats.connections).toBeGreaterThan(50);
    expect(a.stats.responses).toBe(a.stats.requests);
  });

  it('writes pcapng (SHB, IDB, one EPB per packet) with the same packets', () => {
    const { file, stats } = generate('c.pcapng', 2000, 'pcapng');
    const pcap = generate('c.pcap', 2000);
    expect(stats.packets).toBe(pcap.stats.packets);
    const buf = readFileSync(file);
    expect(buf.readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(buf.readUInt32LE(8)).toBe(0x1a2b3c4d);
    let off = buf.readUInt32LE(4);
    expect(buf.readUInt32LE(off)).toBe(1); // IDB
    expect(buf.readUInt16LE(off + 8)).toBe(1); // Ethernet
    off += buf.readUInt32LE(off + 4);
    let epbs = 0;
    while (off < buf.length) {
      expect(buf.readUInt32LE(off)).toBe(6);
      const len = buf.readUInt32LE(off + 4);
      expect(buf.readUInt32LE(off + len - 4)).toBe(len);
      off += len;
      epbs++;
    }
    expect(off).toBe(buf.length);
    expect(epbs).toBe(stats.packets);
  });

  it("matches tshark's TCP conversation table", () => {
    const version = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      // Only a developer machine without Wireshark gets here; CI installs tshark (.ci/run) and must run this check.
      expect(process.env.CI, 'tshark is required under CI=true').not.toBe('true');
      console.warn('tshark not installed: conversation check not run (Debian: apt-get install tshark)');
      return;
    }
    const r = spawnSync('tshark', ['-q', '-z', 'conv,tcp', '-r', a.file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const table = r.stdout.slice(r.stdout.indexOf('TCP Conversations'));
    const rows = table.split('\n').filter((l) => l.includes('<->'));
    // after the peer address: frames, bytes, unit (<-), frames, bytes, unit (->), total frames, ...
    const frames = rows.reduce((n, l) => n + Number(l.slice(l.indexOf('<->') + 3).trim().split(/\s+/)[7]), 0);
    expect(rows.length).toBe(a.stats.connections);
    expect(frames).toBe(a.stats.packets);
  });
});
