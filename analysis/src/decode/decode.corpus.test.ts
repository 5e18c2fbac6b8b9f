// Oracle tests on real captures from ../shared/corpora: per frame, the innermost addresses, ports, TCP sequence
// numbers, VLAN ids and tunnel ids must equal tshark's; plus a sweep decoding every corpus file without a throw.
import { finalIpv6Destination, ROUTING_FIELDS } from '../test-support/tshark-conversations.js';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { PacketDecoder, newDecodedPacket } from './index.js';
import type { DecoderOptions } from './types.js';
import { readCaptureFile } from './test-support/capture-file.js';
import { corpusDir, corpusUnavailable, inCi, tsharkFields, tsharkUnavailable } from './test-support/oracle.js';

const Z = 'zeek/testing/btest/Traces';
const DF = 'deepflow/agent/resources/test';
const ND = 'nDPI/tests/cfgs/default/pcap';

interface FileCase {
  file: string;
  /** Decoder options and the matching tshark decode-as arguments, for tunnels on non-standard ports. */
  decoder?: DecoderOptions;
  tsharkArgs?: string[];
  /** Malformed frames the file really contains, by error code (anything else malformed fails the test). */
  malformed?: Record<string, number>;
}

const CASES: FileCase[] = [
  // Named by the task: tunnels, VLAN stacks, MPLS, ERSPAN, cooked captures, loopback, IPv6 extension headers, raw IP.
  ...globCorpus(`${Z}/tunnels`, /\.pcap$/),
  { file: `${Z}/q-in-q.pcap` },
  { file: `${Z}/vlan-qinqinq.pcap` },
  { file: `${Z}/http-qinq-0.pcap` },
  { file: `${Z}/mixed-vlan-mpls.pcap` },
  { file: `${Z}/erspan.pcap` },
  { file: `${Z}/linuxsll-arp.pcap` },
  { file: `${Z}/linux_dlt_sll2.pcap` },
  ...globCorpus(`${Z}/redis`, /\.pcap$/),
  { file: `${Z}/ipv6-fragmented-dns.pcap` },
  { file: `${Z}/ipv6-hbh-routing0.pcap` },
  { file: `${Z}/ipv6-http-atomic-frag.pcap` },
  ...globCorpus(`${Z}/http/261`, /^variant-01.*\.pcap$/),
  // More of the same families.
  { file: `${Z}/http-vlan-0.pcap` },
  { file: `${Z}/vlan-collisions.pcap` },
  { file: `${Z}/vlan-pcp-dei.pcapng` },
  { file: `${Z}/icmp_dot1q.pcap` },
  { file: `${Z}/pppoe-over-qinq.pcap` },
  { file: `${Z}/ipv6-reassembly-state-leak.pcap` },
  { file: `${Z}/nflog-http.pcap` },
  { file: `${Z}/tcp/payload-syn.pcap` },
  { file: `${Z}/http/1000-requests-one-dropped-response.pcap.gz` },
  { file: `${Z}/wikipedia.pcap` },
  { file: `${Z}/icmp/icmp6-nd-options.pcap` },
  { file: 'zeek/doc/advanced/devel/plugins/connkey-vxlan-fivetuple-plugin-src/Traces/vxlan-overlapping-http-get.pcap' },
  { file: `${DF}/common/ipip.pcap` },
  { file: `${DF}/common/ip6-vxlan.pcap` },
  { file: `${DF}/common/vxlan-nsh.pcap` },
  { file: `${DF}/common/vmware-gre-teb.pcap` },
  { file: `${DF}/common/geneve.pcap` },
  { file: `${DF}/common/decapsulate_test.pcap` },
  { file: `${DF}/common/decapsulate_erspan1.pcap` },
  { file: `${DF}/common/ff-vxlan.pcap`, decoder: { vxlanPorts: [4789, 8472, 58678] }, tsharkArgs: ['-d', 'udp.port==58678,vxlan'] },
  { file: `${DF}/flow_generator/ip-fragment.pcap` },
  { file: `${DF}/flow_generator/server-reset.pcap` },
  { file: 'deepflow/server/libs/datatype/tencent-gre.pcap' },
  { file: `${ND}/vxlan.pcap` },
  { file: `${ND}/gre.pcapng` },
  { file: `${ND}/4in4tunnel.pcap` },
  { file: `${ND}/4in6tunnel.pcap` },
  { file: `${ND}/6in4tunnel.pcap` },
  { file: `${ND}/6in6tunnel.pcap` },
  { file: `${ND}/dns.pcap` },
  { file: `${ND}/dns_fragmented.pcap` },
  // Reassembled garbage whose TCP data offset is below 5 words: tshark flags it as malformed and leaves it out of
  // its conversation table (tcp.stream is still set on it).
  { file: `${ND}/ip_fragmented_garbage.pcap`, malformed: { 'tcp-bad-offset': 2 } },
  { file: `${ND}/badpackets.pcap` },
  { file: `${ND}/mongodb.pcap` },
  { file: `${ND}/pgsql2.pcapng` },
  { file: `${ND}/http2.pcapng` },
  { file: 'arkime/tests/pcap/twovlan.pcap' },
  { file: 'arkime/tests/pcap/dot1ad.pcap' },
  { file: 'arkime/tests/pcap/gre-erspan-vxlan.pcap' },
  { file: 'arkime/tests/pcap/ipv6-in-ipv4.pcap' },
  { file: 'arkime/tests/pcap/nflog.pcap' },
  { file: 'arkime/tests/pcap/http2-nghttp2.pcap' },
  { file: 'arkime/tests/pcap/v6.pcap' },
  { file: 'tcpdump/tests/various_gre.pcap' },
  { file: 'tcpdump/tests/802.1ad_QinQ.pcap' },
  { file: 'tcpdump/tests/ipv6-routing-header.pcap' },
  { file: 'tcpdump/tests/gso-ipv4-vxlan-ipv4.pcap' },
  { file: 'tcpdump/tests/LINKTYPE_RAW_ipv4.pcap' },
  { file: 'tcpdump/tests/LINKTYPE_RAW_ipv6.pcap' },
  { file: 'tcpdump/tests/resp_1_benchmark.pcap' },
  { file: 'tcpdump/tests/mptcp-v1.pcap' },
];

/** REWIND_DECODE_ALL_CORPUS=1 compares every capture of INDEX.tsv with tshark instead (slow: minutes). */
const ALL = process.env.REWIND_DECODE_ALL_CORPUS === '1';
const SELECTED: FileCase[] = ALL && existsSync(path.join(corpusDir, 'INDEX.tsv'))
  ? readFileSync(path.join(corpusDir, 'INDEX.tsv'), 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.split('\t')[0] ?? '')
      .filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f))
      .map((file) => CASES.find((c) => c.file === file) ?? { file })
  : CASES;

function globCorpus(dir: string, pattern: RegExp): FileCase[] {
  const abs = path.join(corpusDir, dir);
  if (!existsSync(abs)) return [{ file: `${dir}/(missing directory)` }];
  return readdirSync(abs)
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => ({ file: `${dir}/${f}` }));
}

const FIELDS = [
  'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst', 'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'tcp.seq_raw',
  'ieee8021ad.id', 'vlan.id', 'vxlan.vni', 'geneve.vni', 'erspan.spanid', 'gre.key', ...ROUTING_FIELDS,
] as const;

const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);
const ICMPV6_ERRORS = new Set([1, 2, 3, 4]);

const noCorpus = corpusUnavailable();
const noTshark = tsharkUnavailable();

test('the corpus and tshark are available for the oracle tests', () => {
  const why = [noCorpus, noTshark].filter((x) => x !== null).join('; ');
  if (why === '') return;
  if (inCi) throw new Error(`CI requires the corpus and tshark: ${why}`);
  console.warn(`decode corpus oracle tests NOT RUN: ${why}`);
});

describe.runIf(noCorpus === null && noTshark === null)('frames agree with tshark', () => {
  test.each(SELECTED.map((c) => [c.file, c] as const))('%s', { timeout: 600_000 }, (_file, c) => {
    const file = path.join(corpusDir, c.file);
    expect(existsSync(file), `${c.file} is in the corpus`).toBe(true);
    const frames = readCaptureFile(file);
    const rows = tsharkFields(file, [...FIELDS], c.tsharkArgs);
    expect(rows.length).toBe(frames.length);
    const decoder = new PacketDecoder(c.decoder);
    const out = newDecodedPacket();
    const problems: string[] = [];
    const malformed: Record<string, number> = {};
    let compared = 0;
    for (const frame of frames) {
      const status = decoder.decode(frame.linkType, frame.data, frame.tsUs, out);
      const [ipSrc, ipDst, ip6Src, ip6DstRaw, tcpSp, tcpDp, udpSp, udpDp, seq, adIds, vlanIds, vxlanVni, geneveVni, spanId, greKey,
        rtType, rtLeft, rtSrc, rtHome, rtSrh] = rows[frame.number - 1];
      // With a routing header the conversation's (and our) destination is the final one, not the next hop.
      const ip6Dst = ip6DstRaw.length
        ? [...ip6DstRaw.slice(0, -1), finalIpv6Destination(ip6DstRaw.at(-1) as string, rtType.at(-1) ?? '', rtLeft.at(-1) ?? '', rtSrc.join(','), rtHome.join(','), rtSrh.join(','))]
        : ip6DstRaw;
      const problem = (what: string, want: unknown, got: unknown): void => {
        problems.push(`frame ${frame.number} ${what}: tshark ${JSON.stringify(want)}, rewind ${JSON.stringify(got)} (ctx '${out.ctx}')`);
      };
      if (status === 'malformed') {
        malformed[out.error] = (malformed[out.error] ?? 0) + 1;
        continue;
      }
      if (status === 'not-ip') {
        // Untunnelled non-IP frames must be non-IP for tshark too (inside a tunnel the outer IP is tshark's).
        if (out.tunnelDepth === 0 && ipSrc.length + ip6Src.length > 0) problem('not-ip but tshark has IP', [...ipSrc, ...ip6Src], out.error);
        continue;
      }
      compared++;
      // tshark lists every layer's value outermost first: ours is the last, unless an ICMP error quotes a header.
      const quoted = status === 'ok' && ((out.ipProto === 1 && ICMP_ERRORS.has(out.icmpType)) || (out.ipProto === 58 && ICMPV6_ERRORS.has(out.icmpType)));
      const srcs = out.ipVersion === 4 ? ipSrc : ip6Src;
      const dsts = out.ipVersion === 4 ? ipDst : ip6Dst;
      const at = srcs.length - 1 - (quoted ? 1 : 0);
      if (srcs[at] !== out.srcIp || dsts[at] !== out.dstIp) problem('addresses', [srcs, dsts], [out.srcIp, out.dstIp]);
      if (status === 'ok' && out.ipProto === 6) {
        const want = [tcpSp.at(-1), tcpDp.at(-1), seq.at(-1)];
        const got = [String(out.srcPort), String(out.dstPort), String(out.seq)];
        if (want.join() !== got.join()) problem('tcp ports/seq', want, got);
      }
      if (status === 'ok' && out.ipProto === 17) {
        const want = [udpSp.at(-1), udpDp.at(-1)];
        const got = [String(out.srcPort), String(out.dstPort)];
        if (want.join() !== got.join()) problem('udp ports', want, got);
      }
      // VLAN ids: tshark's (802.1ad first, then 802.1Q) must be the VLAN parts of ctx, in order.
      const tsharkVlans = [...adIds, ...vlanIds].join('.');
      const ctxVlans = out.ctx.split('|').filter((p) => /^v\d/.test(p)).map((p) => p.slice(1)).join('.');
      if (tsharkVlans !== ctxVlans) problem('vlan ids', tsharkVlans, ctxVlans);
      const tunnelIdWant =
        out.tunnelType === 'vxlan' ? vxlanVni.at(-1) : out.tunnelType === 'geneve' ? geneveVni.at(-1) : out.tunnelType === 'erspan' && spanId.length > 0 ? spanId.at(-1) : undefined;
      if (tunnelIdWant !== undefined && Number(tunnelIdWant) !== out.tunnelId) problem(`${out.tunnelType} id`, tunnelIdWant, out.tunnelId);
      if (out.tunnelType === 'gre' && out.ctx.includes('gre:') && Number(greKey.at(-1)) !== out.tunnelId) problem('gre key', greKey, out.tunnelId);
    }
    expect(problems.slice(0, 20)).toEqual([]);
    expect(malformed).toEqual(c.malformed ?? {});
    console.log(`${c.file}: ${frames.length} frames, ${compared} IP frames compared with tshark`);
  });
});

describe.runIf(noCorpus === null)('every corpus capture decodes', () => {
  test('no throw, every frame gets a status, malformed frames stay rare', { timeout: 300_000 }, () => {
    const index = readFileSync(path.join(corpusDir, 'INDEX.tsv'), 'utf8').split('\n').slice(1);
    const files = index.map((line) => line.split('\t')[0]).filter((f) => /\.(pcap|pcapng)(\.gz)?$/.test(f ?? ''));
    let frames = 0;
    let malformed = 0;
    for (const rel of files) {
      const decoder = new PacketDecoder();
      const out = newDecodedPacket();
      for (const frame of readCaptureFile(path.join(corpusDir, rel))) {
        decoder.decode(frame.linkType, frame.data, frame.tsUs, out);
        frames++;
      }
      decoder.flushFragments();
      decoder.drainViolations();
      const s = decoder.stats();
      expect(s.ok + s.notIp + s.malformed + s.fragmentPending).toBe(s.frames);
      malformed += s.malformed;
    }
    console.log(`decode corpus sweep: ${files.length} files, ${frames} frames, ${malformed} malformed`);
    expect(files.length).toBeGreaterThan(100);
    expect(malformed / frames).toBeLessThan(0.001);
  });
});
