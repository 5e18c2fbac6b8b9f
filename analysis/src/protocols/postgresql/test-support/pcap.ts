// Test support: writes TCP payloads into a pcap (Ethernet/IPv4/TCP, correct lengths) and asks tshark what it decodes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface Segment {
  dir: 0 | 1;
  data: Buffer;
}

function frame(seg: Segment, seq: number, ack: number, serverPort: number, flags = 0x18): Buffer {
  const client = [10, 0, 0, 1];
  const server = [10, 0, 0, 2];
  const [src, dst, sport, dport] = seg.dir === 0 ? [client, server, 40000, serverPort] : [server, client, serverPort, 40000];
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + seg.data.length, 2);
  ip[8] = 64;
  ip[9] = 6;
  Buffer.from(src).copy(ip, 12);
  Buffer.from(dst).copy(ip, 16);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, tcp, seg.data]);
}

/** A pcap of one TCP connection, handshake included (tshark recognises a StartupMessage only at the start). */
export function pcapOf(segments: Segment[], serverPort = 5432): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const seq: [number, number] = [1000, 5000];
  const empty = Buffer.alloc(0);
  const all: [Segment, number][] = [
    [{ dir: 0, data: empty }, 0x02],
    [{ dir: 1, data: empty }, 0x12],
    [{ dir: 0, data: empty }, 0x10],
    ...segments.map((s): [Segment, number] => [s, 0x18]),
  ];
  const recs: Buffer[] = [head];
  all.forEach(([s, flags], i) => {
    // SYN and SYN/ACK take one sequence number each.
    const f = frame(s, seq[s.dir] - (flags & 0x02 ? 1 : 0), flags === 0x02 ? 0 : seq[1 - s.dir], serverPort, flags);
    seq[s.dir] += s.data.length;
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(1_700_000_000 + i, 0);
    rh.writeUInt32LE(f.length, 8);
    rh.writeUInt32LE(f.length, 12);
    recs.push(rh, f);
  });
  return Buffer.concat(recs);
}

export function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** tshark's pgsql fields per frame: e.g. [{ 'pgsql.type': ['Simple query'], 'pgsql.query': ['select 1'] }]. */
export function tsharkPgsql(segments: Segment[], fields: string[]): Record<string, string[]>[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'pg-tshark-'));
  try {
    const file = path.join(dir, 'x.pcap');
    writeFileSync(file, pcapOf(segments));
    const args = ['-r', file, '-o', 'tcp.desegment_tcp_streams:TRUE', '-T', 'json', ...fields.flatMap((f) => ['-e', f])];
    const out = execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    const json = JSON.parse(out) as { _source: { layers: Record<string, string[]> } }[];
    return json.slice(3).map((p) => p._source.layers);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
