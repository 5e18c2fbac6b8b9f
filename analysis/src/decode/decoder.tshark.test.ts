// Oracle check of the crafted fixtures: tshark must decode the same bytes to the layers and addresses they claim.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writePcap } from './test-support/capture-file.js';
import { fixtures } from './test-support/fixtures.js';
import { inCi, tsharkFields, tsharkUnavailable } from './test-support/oracle.js';

const missing = tsharkUnavailable();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'rewind-decode-fixtures-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

test('tshark is available for the fixture oracle', () => {
  if (missing === null) return;
  if (inCi) throw new Error(`CI requires tshark: ${missing}`);
  console.warn(`decode fixture oracle NOT RUN: ${missing}`);
});

describe.runIf(missing === null)('fixtures agree with tshark', () => {
  const FIELDS = ['frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport'];
  // One capture per link type, one frame per fixture, decoded by a single tshark run each.
  const byLinkType = new Map<number, typeof fixtures>();
  for (const f of fixtures) byLinkType.set(f.linkType, [...(byLinkType.get(f.linkType) ?? []), f]);
  const rows = new Map<string, string[][]>();
  for (const [linkType, list] of byLinkType) {
    const file = path.join(tmp, `fixtures-${linkType}.pcap`);
    writeFileSync(file, writePcap(linkType, list.map((f) => f.frame)));
    // Without sequence analysis tshark dissects every segment's payload, not only the first of a repeated stream.
    const out = missing === null ? tsharkFields(file, FIELDS, ['-o', 'tcp.analyze_sequence_numbers:FALSE']) : [];
    list.forEach((f, i) => rows.set(f.name, out[i] ?? []));
  }

  test.each(fixtures.map((f) => [f.name, f] as const))('%s', (_name, f) => {
    const [protocols, ipSrc, ipDst, ip6Src, ip6Dst, tcpSp, tcpDp, udpSp, udpDp] = rows.get(f.name) ?? [];
    expect(protocols?.join(',')).toBe(f.tsharkProtocols);
    const e = f.expect;
    if (e.status !== 'ok' || e.srcIp === undefined || f.tsharkDiffers !== undefined) return;
    // tshark lists every layer's value outermost first; an ICMP error adds the quoted header after ours.
    const quoted = e.ipProto === 1 && e.icmpType === 3 ? 1 : 0;
    const src = e.srcIp.includes(':') ? ip6Src : ipSrc;
    const dst = e.srcIp.includes(':') ? ip6Dst : ipDst;
    expect(src[src.length - 1 - quoted]).toBe(e.srcIp);
    expect(dst[dst.length - 1 - quoted]).toBe(e.dstIp);
    if (e.ipProto === 6) expect([tcpSp.at(-1), tcpDp.at(-1)]).toEqual([String(e.srcPort), String(e.dstPort)]);
    if (e.ipProto === 17) expect([udpSp.at(-1), udpDp.at(-1)]).toEqual([String(e.srcPort), String(e.dstPort)]);
  });
});
