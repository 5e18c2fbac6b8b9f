// Test support: TLS sessions as TCP segments in a pcap (Ethernet/IPv4/TCP with correct lengths) for tshark.
import { eth, ipv4, tcp } from '../../../decode/test-support/frames.js';
import { writePcap } from '../../../decode/test-support/capture-file.js';
import type { Step } from './fixtures.js';

/** One TCP connection client:40001 → server:443 carrying `steps` in order (handshake and close included). */
export function conversationPcap(steps: Step[], serverPort = 443): Buffer {
  const c = '10.0.0.1';
  const s = '10.0.0.2';
  const cp = 40001;
  let cseq = 1000;
  let sseq = 5000;
  const toS = (seq: number, ack: number, flags: number, p?: Buffer): Buffer => eth(0x0800, ipv4({ src: c, dst: s, proto: 6 }, tcp({ sp: cp, dp: serverPort, seq, ack, flags }, p)));
  const toC = (seq: number, ack: number, flags: number, p?: Buffer): Buffer => eth(0x0800, ipv4({ src: s, dst: c, proto: 6 }, tcp({ sp: serverPort, dp: cp, seq, ack, flags }, p)));
  const frames: Buffer[] = [toS(cseq - 1, 0, 0x02), toC(sseq - 1, cseq, 0x12), toS(cseq, sseq, 0x10)];
  for (const st of steps) {
    if (st.dir === 0) {
      frames.push(toS(cseq, sseq, 0x18, st.bytes));
      cseq += st.bytes.length;
    } else {
      frames.push(toC(sseq, cseq, 0x18, st.bytes));
      sseq += st.bytes.length;
    }
  }
  frames.push(toS(cseq, sseq, 0x11), toC(sseq, cseq + 1, 0x11), toS(cseq + 1, sseq + 1, 0x10));
  return writePcap(1, frames);
}
