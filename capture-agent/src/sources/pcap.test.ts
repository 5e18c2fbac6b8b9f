// Real captures on lo through Rewind's libpcap binding (root): known UDP datagrams arrive once each with their
// payloads, Ethernet framing and kernel timestamps; libpcap's counters are read; bad filters and devices are refused
// with clear messages; batches smaller than what is waiting are delivered across calls through the stash.
import dgram from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { PCAP_RECORD_HEADER, PcapSource, forEachPcapRecord, loadPcapBinding } from './pcap.js';
import type { PcapPacket } from './pcap.js';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const binding = loadPcapBinding();
const why = typeof binding === 'string' ? binding
  : process.getuid?.() !== 0 ? 'not root (capturing on lo needs root or CAP_NET_RAW)' : null;
if (why !== null) console.log(`libpcap capture tests cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);

interface Captured {
  tsNs: bigint;
  frame: Buffer;
  origLen: number;
}

/** A UDP receiver on a free loopback port (bound, so the port stays ours), and how many datagrams it got. */
async function receiver(): Promise<{ port: number; received: () => number; close: () => void }> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', () => n++);
  sock.bind(0, '127.0.0.1');
  await once(sock, 'listening');
  return { port: sock.address().port, received: () => n, close: () => sock.close() };
}

/** Sends the payloads to 127.0.0.1:port one by one, then waits until the receiver has them all. */
async function send(port: number, payloads: Buffer[], received: () => number): Promise<void> {
  const sock = dgram.createSocket('udp4');
  try {
    for (const p of payloads) await new Promise<void>((resolve, reject) => sock.send(p, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  } finally {
    sock.close();
  }
  // The capture taps see a packet before the socket does: once all are received, all are in libpcap's buffer.
  const deadline = Date.now() + 5_000;
  while (received() < payloads.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  expect(received()).toBe(payloads.length);
}

/** The UDP payload of an Ethernet/IPv4 frame. */
function udpPayload(frame: Buffer): Buffer {
  expect(frame.readUInt16BE(12)).toBe(0x0800);
  const ihl = (frame[14]! & 0x0f) * 4;
  expect(frame[14 + 9]).toBe(17);
  return frame.subarray(14 + ihl + 8);
}

const copy = (out: Captured[]) => (p: PcapPacket): void => {
  out.push({ tsNs: p.tsNs, frame: Buffer.from(p.data), origLen: p.origLen });
};

const sources: PcapSource[] = [];
afterEach(() => {
  for (const s of sources.splice(0)) s.close();
  vi.restoreAllMocks();
});

describe.skipIf(why !== null && !ci)('libpcap capture on lo (root)', () => {
  test('50 datagrams arrive once each, with payloads, Ethernet framing, kernel timestamps and counters', async () => {
    const rx = await receiver();
    try {
      const got: Captured[] = [];
      const src = new PcapSource({ device: 'lo', filter: `udp port ${rx.port}` }, copy(got));
      sources.push(src);
      expect(src.linkType).toBe(1); // EN10MB: lo has (zeroed) Ethernet headers
      expect(src.linkTypeName).toBe('EN10MB');
      expect(src.nanosecondTimestamps).toBe(true);
      const payloads = Array.from({ length: 50 }, (_, i) => Buffer.from(`rewind pcap test datagram ${i} `.padEnd(40 + i, '.')));
      const before = Date.now();
      await send(rx.port, payloads, rx.received);
      src.drain();
      const after = Date.now();
      expect(got.length).toBe(50);
      expect(got.map((p) => udpPayload(p.frame).toString())).toEqual(payloads.map((p) => p.toString()));
      for (const p of got) expect(p.origLen).toBe(p.frame.length);
      for (let i = 0; i < got.length; i++) {
        const ms = Number(got[i]!.tsNs / 1_000_000n);
        expect(ms).toBeGreaterThanOrEqual(before - 2_000);
        expect(ms).toBeLessThanOrEqual(after + 2_000);
        if (i > 0) expect(got[i]!.tsNs).toBeGreaterThanOrEqual(got[i - 1]!.tsNs);
      }
      const stats = src.stats();
      // On lo the kernel shows each packet twice (sent and received): libpcap keeps the received copy only.
      expect(stats.received).toBeGreaterThanOrEqual(50);
      expect(typeof stats.dropped).toBe('number');
      expect(typeof stats.ifDropped).toBe('number');
      src.close();
      expect(got.length).toBe(50);
      expect(src.stats().received).toBe(stats.received);
    } finally {
      rx.close();
    }
  });

  test('close delivers what was captured before it', async () => {
    const rx = await receiver();
    try {
      const got: Captured[] = [];
      // A timer that never fires during the test: only close's drain can deliver.
      const src = new PcapSource({ device: 'lo', filter: `udp port ${rx.port}`, intervalMs: 60_000 }, copy(got));
      sources.push(src);
      await send(rx.port, Array.from({ length: 10 }, (_, i) => Buffer.from(`close ${i}`)), rx.received);
      expect(got.length).toBe(0);
      src.close();
      expect(got.map((p) => udpPayload(p.frame).toString())).toEqual(Array.from({ length: 10 }, (_, i) => `close ${i}`));
      src.close(); // idempotent
      expect(src.drain()).toBe(0);
    } finally {
      rx.close();
    }
  });

  test('a bad filter is refused with the filter in the message', () => {
    expect(() => new PcapSource({ device: 'lo', filter: 'udp port nonsense-port' }, () => {})).toThrow(/cannot capture on lo: bad filter "udp port nonsense-port": /);
  });

  test('a nonexistent device is refused clearly', () => {
    expect(() => new PcapSource({ device: 'rwnosuch0' }, () => {})).toThrow(/^cannot capture on rwnosuch0: No such device/);
  });

  test('a batch smaller than one snapLen record is refused', () => {
    expect(() => new PcapSource({ device: 'lo', snapLen: 2000, batchBytes: 1024 }, () => {})).toThrow(/batchBytes must hold one whole packet record/);
  });

  test('2 KiB batches: 20 datagrams of 1000 bytes arrive across calls through the stash, none lost or duplicated', async () => {
    const rx = await receiver();
    try {
      const pcap = loadPcapBinding();
      if (typeof pcap === 'string') throw new Error(pcap);
      const dispatch = vi.spyOn(pcap, 'dispatch');
      const got: Captured[] = [];
      const src = new PcapSource({ device: 'lo', filter: `udp port ${rx.port}`, snapLen: 2000, batchBytes: 2048, intervalMs: 60_000 }, copy(got));
      sources.push(src);
      const payloads = Array.from({ length: 20 }, (_, i) => Buffer.alloc(1000, String.fromCharCode(65 + i)));
      await send(rx.port, payloads, rx.received);
      src.drain();
      expect(got.map((p) => udpPayload(p.frame))).toEqual(payloads);
      // One 1042-byte frame's record (1060 bytes) per 2 KiB batch: each later packet waited in the stash.
      const results = dispatch.mock.results.map((r) => r.value as [number, number, number]);
      expect(results.filter(([n]) => n > 0).length).toBe(20);
      expect(results.every(([n]) => n <= 1)).toBe(true);
      expect(results.slice(0, 19).every(([, , full]) => full === 1)).toBe(true);
      expect(results.at(-1)![2]).toBe(0);
    } finally {
      rx.close();
    }
  });

  test('the binding: a stashed packet that does not fit is refused, kept, and delivered to a larger batch', async () => {
    const rx = await receiver();
    const pcap = loadPcapBinding();
    if (typeof pcap === 'string') throw new Error(pcap);
    const h = pcap.open('lo', `udp port ${rx.port}`, 65_535, 1 << 20);
    try {
      expect(pcap.dispatch(h, Buffer.alloc(4096))).toEqual([0, 0, 0]); // nothing waiting: no error, no wait
      await send(rx.port, [Buffer.alloc(600, 1), Buffer.alloc(600, 2)], rx.received);
      const small = Buffer.alloc(64);
      // the first packet's record (16 + 644 bytes) does not fit: it is stashed, nothing delivered
      expect(pcap.dispatch(h, small)).toEqual([0, 0, 1]);
      expect(() => pcap.dispatch(h, small)).toThrow(/out buffer \(64 bytes\) is smaller than one packet record \(660 bytes\)/);
      const big = Buffer.alloc(1 << 16);
      const [n, used, full] = pcap.dispatch(h, big);
      expect([n, used, full]).toEqual([2, 2 * (PCAP_RECORD_HEADER + 644), 0]);
      const seen: number[] = [];
      forEachPcapRecord(big, n, { tsNs: 0n, data: big, origLen: 0, truncated: false }, (p) => {
        expect(p.data.length).toBe(642);
        expect(p.truncated).toBe(false);
        seen.push(udpPayload(p.data)[0]!);
      });
      expect(seen).toEqual([1, 2]);
      expect(pcap.tstampPrecision(h)).toBe(9);
      expect(pcap.fd(h)).toBeGreaterThanOrEqual(0);
    } finally {
      pcap.close(h);
      pcap.close(h); // idempotent
      rx.close();
    }
    expect(() => pcap.dispatch(h, Buffer.alloc(64))).toThrow(/the capture is closed/);
  });

  test('snapLen cuts packets and keeps their length on the wire', async () => {
    const rx = await receiver();
    try {
      const got: Captured[] = [];
      const src = new PcapSource({ device: 'lo', filter: `udp port ${rx.port}`, snapLen: 100 }, copy(got));
      sources.push(src);
      await send(rx.port, [Buffer.alloc(500, 7)], rx.received);
      src.close();
      expect(got.length).toBe(1);
      expect(got[0]!.frame.length).toBe(100);
      expect(got[0]!.origLen).toBe(14 + 20 + 8 + 500);
    } finally {
      rx.close();
    }
  });
});
