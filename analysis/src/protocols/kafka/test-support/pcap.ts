// Test helper: writes Kafka payloads into a classic pcap (Ethernet/IPv4/TCP, correct lengths) so tshark can check fixtures.
export interface Segment {
  /** 0 = client → server, 1 = server → client. */
  dir: 0 | 1;
  payload: Buffer;
}

/** One TCP connection 10.0.0.1:40000 ↔ 10.0.0.2:`port`, no handshake, sequence numbers continuous per direction. */
export function buildPcap(segments: Segment[], port = 9092): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeUInt32LE(262144, 16);
  global.writeUInt32LE(1, 20); // Ethernet
  const parts: Buffer[] = [global];
  const seq = [1000, 5000];
  segments.forEach((s, i) => {
    const frame = Buffer.alloc(54 + s.payload.length);
    frame.writeUInt16BE(0x0800, 12);
    const ip = 14;
    frame[ip] = 0x45;
    frame.writeUInt16BE(40 + s.payload.length, ip + 2);
    frame[ip + 8] = 64;
    frame[ip + 9] = 6;
    const [src, dst] = s.dir === 0 ? [1, 2] : [2, 1];
    Buffer.from([10, 0, 0, src]).copy(frame, ip + 12);
    Buffer.from([10, 0, 0, dst]).copy(frame, ip + 16);
    const tcp = 34;
    frame.writeUInt16BE(s.dir === 0 ? 40000 : port, tcp);
    frame.writeUInt16BE(s.dir === 0 ? port : 40000, tcp + 2);
    frame.writeUInt32BE(seq[s.dir], tcp + 4);
    frame.writeUInt32BE(seq[1 - s.dir], tcp + 8);
    frame[tcp + 12] = 0x50;
    frame[tcp + 13] = 0x18; // PSH ACK
    frame.writeUInt16BE(65535, tcp + 14);
    s.payload.copy(frame, 54);
    seq[s.dir] += s.payload.length;
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + i, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    parts.push(rec, frame);
  });
  return Buffer.concat(parts);
}
