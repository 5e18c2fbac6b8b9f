// IPv4/IPv6 text formatting and its caches, checked against tshark's rendering of the same addresses.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { Ipv4TextCache, Ipv6TextCache, formatIpv4, formatIpv6 } from './ip-format.js';
import { writePcap } from './test-support/capture-file.js';
import { inCi, tsharkFields, tsharkUnavailable } from './test-support/oracle.js';

const full = (text: string): Buffer => {
  const b = Buffer.alloc(16);
  text.split(':').forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
};

// Uncompressed address → what tshark 4.0 prints for it as ipv6.src (recorded from tshark, re-checked below).
const IPV6_CASES: [string, string][] = [
  ['0:0:0:0:0:0:0:0', '::'],
  ['0:0:0:0:0:0:0:1', '::1'],
  ['1:0:0:0:0:0:0:0', '1::'],
  ['2001:db8:0:0:0:0:0:1', '2001:db8::1'],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first one is compressed
  ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a lone zero group is not compressed
  ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'], // IPv4-mapped
  ['0:0:0:0:0:0:c000:201', '::192.0.2.1'], // IPv4-compatible
  ['fe80:0:0:0:8c36:6ff:fe44:acaf', 'fe80::8c36:6ff:fe44:acaf'],
  ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
  ['0:0:0:0:0:ffff:0:1', '::ffff:0.0.0.1'],
  ['64:ff9b:0:0:0:0:c000:221', '64:ff9b::c000:221'], // NAT64 prefix: hex, not dotted
  ['0:0:0:0:1:0:0:0', '::1:0:0:0'],
  ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
  ['0:0:1:0:0:0:0:0', '0:0:1::'],
  ['0:0:0:0:0:fffe:c000:201', '::fffe:c000:201'],
  ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['0:0:0:0:0:0:0:2', '::2'],
];

describe('IPv6 text (RFC 5952, tshark style)', () => {
  test.each(IPV6_CASES)('%s → %s', (input, text) => {
    expect(formatIpv6(full(input), 0)).toBe(text);
    const cache = new Ipv6TextCache();
    expect(cache.text(full(input), 0)).toBe(text);
    expect(cache.text(full(input), 0)).toBe(text);
  });

  const missing = tsharkUnavailable();
  test('tshark prints the same text for these addresses', () => {
    if (missing !== null) {
      if (inCi) throw new Error(`CI requires tshark: ${missing}`);
      console.warn(`IPv6 formatting oracle NOT RUN: ${missing}`);
      return;
    }
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'rewind-ip6-'));
    try {
      // Raw IPv6 headers (link type 229) with the address as source, no next header.
      const frames = IPV6_CASES.map(([input]) => Buffer.concat([Buffer.from([0x60, 0, 0, 0, 0, 0, 59, 1]), full(input), full(input)]));
      const file = path.join(tmp, 'ip6.pcap');
      writeFileSync(file, writePcap(229, frames));
      const rows = tsharkFields(file, ['ipv6.src']);
      expect(rows.map((r) => r[0][0])).toEqual(IPV6_CASES.map(([, text]) => text));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('IPv4 text', () => {
  test.each([
    [0, '0.0.0.0'],
    [0x0a000001, '10.0.0.1'],
    [0xffffffff | 0, '255.255.255.255'],
    [0xc0a80101 | 0, '192.168.1.1'],
  ])('%i → %s', (addr, text) => {
    expect(formatIpv4(addr)).toBe(text);
    expect(new Ipv4TextCache().text(addr)).toBe(text);
  });

  test('a small cache stays correct when addresses collide in it', () => {
    const cache = new Ipv4TextCache(2); // 4 slots
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const addr = (0x0a000000 + i * 7919) | 0;
        expect(cache.text(addr)).toBe(formatIpv4(addr));
      }
    }
  });

  test('a small IPv6 cache stays correct under collisions', () => {
    const cache = new Ipv6TextCache(2);
    const b = Buffer.alloc(16);
    for (let i = 0; i < 2000; i++) {
      b.writeUInt32BE((i * 2654435761) >>> 0, 12);
      b.writeUInt16BE(i & 0xffff, 0);
      expect(cache.text(b, 0)).toBe(formatIpv6(b, 0));
    }
  });
});
