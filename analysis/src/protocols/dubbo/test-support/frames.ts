// Test support: Dubbo conversations as TCP segments in a pcap (Ethernet/IPv4/TCP with correct lengths) for tshark.
import type { FlowDirection } from '../../../flows/types.js';
import { eth, hex, ipv4, tcp } from '../../../decode/test-support/frames.js';
import { writePcap } from '../../../decode/test-support/capture-file.js';

export { hex };

export interface Segment {
  dir: FlowDirection;
  bytes: Buffer;
}

/** One TCP connection client:40001 → server:20880 carrying `segments` in order (handshake included). */
export function conversationPcap(segments: Segment[], clientPort = 40001, serverPort = 20880): Buffer {
  const c = '10.0.0.1';
  const s = '10.0.0.2';
  let cseq = 1000;
  let sseq = 5000;
  const frames: Buffer[] = [
    eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: clientPort, dp: serverPort, seq: cseq - 1, flags: 0x02 }))),
    eth(0x0800, ipv4({ src: s, dst: c, proto: 6 }, tcp({ sp: serverPort, dp: clientPort, seq: sseq - 1, ack: cseq, flags: 0x12 }))),
    eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: clientPort, dp: serverPort, seq: cseq, ack: sseq, flags: 0x10 }))),
  ];
  for (const seg of segments) {
    if (seg.dir === 0) {
      frames.push(eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: clientPort, dp: serverPort, seq: cseq, ack: sseq, flags: 0x18 }, seg.bytes))));
      cseq += seg.bytes.length;
    } else {
      frames.push(eth(0x0800, ipv4({ src: s, dst: c, proto: 6 }, tcp({ sp: serverPort, dp: clientPort, seq: sseq, ack: cseq, flags: 0x18 }, seg.bytes))));
      sseq += seg.bytes.length;
    }
  }
  frames.push(eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: clientPort, dp: serverPort, seq: cseq, ack: sseq, flags: 0x11 }))));
  frames.push(eth(0x0800, ipv4({ src: s, dst: c, proto: 6 }, tcp({ sp: serverPort, dp: clientPort, seq: sseq, ack: cseq + 1, flags: 0x11 }))));
  frames.push(eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: clientPort, dp: serverPort, seq: cseq + 1, ack: sseq + 1, flags: 0x10 }))));
  return writePcap(1, frames);
}
