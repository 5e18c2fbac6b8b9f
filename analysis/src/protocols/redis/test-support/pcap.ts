// Test support: byte helper, a ParseContext, and a pcap writer (Ethernet/IPv4/TCP, client 40000 ↔ server 6379) to show fixtures to tshark.
import { writePcap } from '../../../decode/test-support/capture-file.js';
import { eth, ipv4, tcp } from '../../../decode/test-support/frames.js';
import type { FlowDirection } from '../../../flows/types.js';
import type { ParseContext } from '../../types.js';

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');

export function ctx(tsUs = 1000, tcpSeq = 1): ParseContext {
  return { tsUs, tcpSeq, transport: 'tcp', serverPort: 6379 };
}

/** One TCP segment per payload, sequence numbers continuing per direction, as tshark would see a conversation. */
export function conversationPcap(segments: { dir: FlowDirection; data: Buffer }[]): Buffer {
  const seq = [1000, 5000];
  const frames = segments.map(({ dir, data }) => {
    const [src, dst, sp, dp] = dir === 0 ? ['10.0.0.1', '10.0.0.2', 40000, 6379] : ['10.0.0.2', '10.0.0.1', 6379, 40000];
    const f = eth(0x0800, ipv4({ src, dst, proto: 6 }, tcp({ sp, dp, seq: seq[dir], ack: seq[1 - dir], flags: 0x18 }, data)));
    seq[dir] += data.length;
    return f;
  });
  return writePcap(1, frames);
}
