// Test-only: lays HTTP/1 payloads into an Ethernet/IPv4/TCP conversation pcap and asks tshark what it decodes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eth, ipv4, tcp } from '../../../decode/test-support/frames.js';
import { writePcap } from '../../../decode/test-support/capture-file.js';

export interface Segment {
  dir: 0 | 1;
  data: Buffer;
  /** Bytes the capture lost just before this segment (drive() only; the pcap builder ignores it). */
  lostBefore?: number;
}

const CLIENT = '10.0.0.1';
const SERVER = '10.0.0.2';
const CLIENT_PORT = 40000;

/** A handshake then one TCP segment per payload (sequence numbers follow the bytes), as a pcap file image. */
export function conversationPcap(segments: Segment[], serverPort = 80): Buffer {
  let cseq = 1000;
  let sseq = 5000;
  const c2s = (flags: number, data?: Buffer): Buffer =>
    eth(0x0800, ipv4({ src: CLIENT, dst: SERVER, proto: 6 }, tcp({ sp: CLIENT_PORT, dp: serverPort, seq: cseq, ack: sseq, flags }, data)));
  const s2c = (flags: number, data?: Buffer): Buffer =>
    eth(0x0800, ipv4({ src: SERVER, dst: CLIENT, proto: 6 }, tcp({ sp: serverPort, dp: CLIENT_PORT, seq: sseq, ack: cseq, flags }, data)));
  const frames: Buffer[] = [];
  frames.push(c2s(0x02));
  cseq++;
  frames.push(eth(0x0800, ipv4({ src: SERVER, dst: CLIENT, proto: 6 }, tcp({ sp: serverPort, dp: CLIENT_PORT, seq: sseq, ack: cseq, flags: 0x12 }))));
  sseq++;
  frames.push(c2s(0x10));
  for (const s of segments) {
    if (s.dir === 0) {
      frames.push(c2s(0x18, s.data));
      cseq += s.data.length;
    } else {
      frames.push(s2c(0x18, s.data));
      sseq += s.data.length;
    }
  }
  return writePcap(1, frames);
}

/** Runs tshark on the conversation and returns one line per HTTP PDU with the requested fields (tab-separated). */
export function tsharkHttp(segments: Segment[], fields: string[], serverPort = 80): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'http1-'));
  try {
    const file = path.join(dir, 'c.pcap');
    writeFileSync(file, conversationPcap(segments, serverPort));
    const args = ['-r', file, '-Y', 'http', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
    if (serverPort !== 80) args.push('-d', `tcp.port==${serverPort},http`);
    const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter((l) => l.trim() !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
