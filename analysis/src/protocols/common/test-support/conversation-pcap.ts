// Test support shared by the protocol parsers: one TCP connection carrying given payloads, written as a pcap for tshark.
import type { FlowDirection } from '../../../flows/types.js';
import { eth, ipv4, tcp } from '../../../decode/test-support/frames.js';
import { writePcap } from '../../../decode/test-support/capture-file.js';

export interface Segment {
  dir: FlowDirection;
  bytes: Buffer;
}

/**
 * 10.0.0.1:clientPort → 10.0.0.2:serverPort: handshake, one PSH/ACK segment per payload in order (correct seq/ack),
 * then FIN/FIN/ACK. Ethernet link type, lengths right (tshark does not check checksums).
 */
export function conversationPcap(segments: readonly Segment[], clientPort: number, serverPort: number): Buffer {
  const c = '10.0.0.1';
  const s = '10.0.0.2';
  let cseq = 1000;
  let sseq = 5000;
  const toS = (seq: number, ack: number, flags: number, p?: Buffer): Buffer =>
    eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: clientPort, dp: serverPort, seq, ack, flags }, p)));
  const toC = (seq: number, ack: number, flags: number, p?: Buffer): Buffer =>
    eth(0x0800, ipv4({ src: s, dst: c, proto: 6 }, tcp({ sp: serverPort, dp: clientPort, seq, ack, flags }, p)));
  const frames: Buffer[] = [toS(cseq - 1, 0, 0x02), toC(sseq - 1, cseq, 0x12), toS(cseq, sseq, 0x10)];
  for (const seg of segments) {
    if (seg.dir === 0) {
      frames.push(toS(cseq, sseq, 0x18, seg.bytes));
      cseq += seg.bytes.length;
    } else {
      frames.push(toC(sseq, cseq, 0x18, seg.bytes));
      sseq += seg.bytes.length;
    }
  }
  frames.push(toS(cseq, sseq, 0x11), toC(sseq, cseq + 1, 0x11), toS(cseq + 1, sseq + 1, 0x10));
  return writePcap(1, frames);
}
