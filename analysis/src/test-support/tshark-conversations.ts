// tshark as the oracle for conversations: per-frame fields → innermost TCP/UDP conversations and expert counts.
import { spawnSync } from 'node:child_process';

export interface OracleConversation {
  key: string; // 'tcp|a:pa|b:pb' with endpoints sorted
  proto: 'tcp' | 'udp';
  streams: Set<number>;
  frames: number;
  bytes: number;
  expert: OracleExpert;
}

export interface OracleExpert {
  retrans: number; // frames flagged retransmission, fast or spurious retransmission
  outOfOrder: number;
  zeroWindow: number;
  rst: number;
}

export interface OracleResult {
  ok: boolean;
  error: string;
  frames: number;
  conversations: Map<string, OracleConversation>;
  tcpStreams: number;
  udpStreams: number;
  expert: OracleExpert;
  /** Frames whose innermost transport header sits inside an ICMP error (we key them as ICMP). */
  icmpEmbedded: number;
  /** Tunnelled frames whose only transport header is the tunnel's outer UDP. */
  tunnelOuterOnly: number;
}

const NETWORK_LAYERS = new Set(['eth', 'ip', 'ipv6', 'arp', 'ppp', 'pppoes', 'mpls', 'vlan']);

const FIELDS = [
  'frame.number', 'frame.len', 'frame.protocols', 'ip.src', 'ip.dst', 'ipv6.src', 'ipv6.dst',
  'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'udp.srcport', 'udp.dstport', 'udp.stream', 'tcp.flags.reset',
  'tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission', 'tcp.analysis.spurious_retransmission',
  'tcp.analysis.out_of_order', 'tcp.analysis.zero_window', 'tcp.hdr_len',
  'ipv6.routing.type', 'ipv6.routing.segleft', 'ipv6.routing.src.addr', 'ipv6.routing.mipv6.home_address', 'ipv6.routing.srh.addr',
];

const last = (s: string): string => {
  if (!s) return '';
  const i = s.lastIndexOf('|');
  return i < 0 ? s : s.slice(i + 1);
};

export function endpointKey(proto: string, a: string, pa: number, b: string, pb: number): string {
  const x = `${a}:${pa}`;
  const y = `${b}:${pb}`;
  return x < y ? `${proto}|${x}|${y}` : `${proto}|${y}|${x}`;
}

/** Runs tshark once over `file` and aggregates the innermost TCP/UDP conversations as tshark sees them. */
export function tsharkConversations(file: string, decodeAs: string[] = []): OracleResult {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-E', 'separator=\t'];
  for (const d of decodeAs) args.push('-d', d);
  for (const f of FIELDS) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  const res: OracleResult = {
    ok: true, error: '', frames: 0, conversations: new Map(), tcpStreams: 0, udpStreams: 0,
    expert: { retrans: 0, outOfOrder: 0, zeroWindow: 0, rst: 0 }, icmpEmbedded: 0, tunnelOuterOnly: 0,
  };
  if (r.error) return { ...res, ok: false, error: r.error.message };
  const tcpStreams = new Set<number>();
  const udpStreams = new Set<number>();
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    const c = line.split('\t');
    res.frames++;
    const protos = c[2].split(':');
    const lastTcp = protos.lastIndexOf('tcp');
    const lastUdp = protos.lastIndexOf('udp');
    const lastIcmp = Math.max(protos.lastIndexOf('icmp'), protos.lastIndexOf('icmpv6'));
    const inner = lastTcp > lastUdp ? 'tcp' : lastUdp >= 0 ? 'udp' : '';
    if (!inner) continue;
    const t = Math.max(lastTcp, lastUdp);
    if (protos.slice(t + 1).some((p) => NETWORK_LAYERS.has(p))) {
      // The last UDP carries a tunnel whose payload is not TCP/UDP (ARP, ICMP, ...): Rewind keys that frame by
      // its innermost layer, and the outer UDP is only the flow's tunnel context.
      res.tunnelOuterOnly++;
      continue;
    }
    if (lastIcmp >= 0 && lastIcmp < Math.max(lastTcp, lastUdp)) {
      res.icmpEmbedded++;
      continue;
    }
    const v6 = protos.lastIndexOf('ipv6') > protos.lastIndexOf('ip');
    const src = last(v6 ? c[5] : c[3]);
    const dst = v6 ? finalIpv6Destination(last(c[6]), last(c[20]), last(c[21]), c[22], c[23], c[24]) : last(c[4]);
    const len = Number(c[1]);
    let key: string;
    let stream: number;
    let rst = 0;
    let retrans = 0;
    let ooo = 0;
    let zw = 0;
    if (inner === 'tcp') {
      // A bogus data offset (< 20 bytes): tshark numbers the stream but leaves the frame out of its conversation
      // table, and so does Rewind (a decode violation).
      if (Number(last(c[19])) < 20) continue;
      stream = Number(last(c[9]));
      if (!Number.isFinite(stream) || c[9] === '') continue;
      key = endpointKey('tcp', src, Number(last(c[7])), dst, Number(last(c[8])));
      tcpStreams.add(stream);
      if (last(c[13]) === '1' || last(c[13]) === 'True') rst = 1;
      if (c[14] || c[15] || c[16]) retrans = 1;
      if (c[17]) ooo = 1;
      if (c[18]) zw = 1;
    } else {
      stream = Number(last(c[12]));
      if (!Number.isFinite(stream) || c[12] === '') continue;
      key = endpointKey('udp', src, Number(last(c[10])), dst, Number(last(c[11])));
      udpStreams.add(stream);
    }
    let conv = res.conversations.get(key);
    if (!conv) {
      conv = { key, proto: inner, streams: new Set(), frames: 0, bytes: 0, expert: { retrans: 0, outOfOrder: 0, zeroWindow: 0, rst: 0 } };
      res.conversations.set(key, conv);
    }
    conv.streams.add(stream);
    conv.frames++;
    conv.bytes += len;
    conv.expert.rst += rst;
    conv.expert.retrans += retrans;
    conv.expert.outOfOrder += ooo;
    conv.expert.zeroWindow += zw;
    res.expert.rst += rst;
    res.expert.retrans += retrans;
    res.expert.outOfOrder += ooo;
    res.expert.zeroWindow += zw;
  }
  res.tcpStreams = tcpStreams.size;
  res.udpStreams = udpStreams.size;
  if (res.frames === 0 && r.status !== 0) return { ...res, ok: false, error: (r.stderr || '').trim().split('\n').pop() ?? 'tshark failed' };
  return res;
}

export interface ConvTableEntry {
  key: string;
  /** Lines of the table for this address/port pair (TCP: one per stream). */
  lines: number;
  frames: number;
  /** tshark 4.0 prints sizes with SI units ("603 kB"): the true byte total lies in [bytesMin, bytesMax]. */
  bytesMin: number;
  bytesMax: number;
}

const UNIT: Record<string, number> = { bytes: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };

/** Runs `tshark -q -z conv,tcp -z conv,udp` and parses both tables. */
export function tsharkConvTables(file: string, decodeAs: string[] = []): Map<string, ConvTableEntry> {
  const args = ['-r', file, '-n', '-q', '-z', 'conv,tcp', '-z', 'conv,udp'];
  for (const d of decodeAs) args.push('-d', d);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out = new Map<string, ConvTableEntry>();
  let proto = '';
  for (const line of (r.stdout ?? '').split('\n')) {
    if (line.startsWith('TCP Conversations')) proto = 'tcp';
    else if (line.startsWith('UDP Conversations')) proto = 'udp';
    const m = /^(\S+)\s+<->\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || !proto) continue;
    const split = (ep: string): [string, number] => {
      const i = ep.lastIndexOf(':');
      return [ep.slice(0, i), Number(ep.slice(i + 1))];
    };
    const [a, pa] = split(m[1]);
    const [b, pb] = split(m[2]);
    const t = m[3].trim().split(/\s+/);
    // frames bytes unit (<-), frames bytes unit (->), frames bytes unit (total), start, duration
    const frames = Number(t[6]);
    const value = Number(t[7]);
    const unit = UNIT[t[8]] ?? 1;
    const key = endpointKey(proto, a, pa, b, pb);
    let e = out.get(key);
    if (!e) out.set(key, (e = { key, lines: 0, frames: 0, bytesMin: 0, bytesMax: 0 }));
    e.lines++;
    e.frames += frames;
    // format_size rounds to the nearest unit: the total is within half a unit (one unit to be safe) of the text.
    e.bytesMin += unit === 1 ? value : (value - 1) * unit;
    e.bytesMax += unit === 1 ? value : (value + 1) * unit;
  }
  return out;
}

/** tshark fields that give an IPv6 routing header's final destination (see finalIpv6Destination). */
export const ROUTING_FIELDS = [
  'ipv6.routing.type', 'ipv6.routing.segleft', 'ipv6.routing.src.addr', 'ipv6.routing.mipv6.home_address', 'ipv6.routing.srh.addr',
] as const;

/**
 * The destination tshark's conversation table (and Rewind) use for an IPv6 packet: the routing header's final
 * destination while segments are left (type 0 and 2: last address listed, type 4 SRv6: the first), else ipv6.dst.
 * Arguments are the last-layer values of ROUTING_FIELDS, address lists comma- or |-separated.
 */
export function finalIpv6Destination(dst: string, type: string, segLeft: string, srcAddrs: string, home: string, srh: string): string {
  if (!type || !(Number(segLeft) > 0)) return dst;
  const list = (s: string): string[] => s.split(/[,|]/).filter(Boolean);
  if (type === '0') return list(srcAddrs).at(-1) ?? dst;
  if (type === '2') return list(home).at(-1) ?? dst;
  if (type === '4') return list(srh)[0] ?? dst;
  return dst;
}
