// Test-only reader for classic pcap (both byte orders, µs and ns magic) and simple pcapng files, gzip or not.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface CaptureFrame {
  /** 1-based, like tshark's frame.number. */
  number: number;
  linkType: number;
  tsUs: number;
  data: Buffer;
  origLen: number;
}

/** Reads every frame of a capture file; throws on a malformed file (tests want to know). */
export function readCaptureFile(path: string): CaptureFrame[] {
  let bytes = readFileSync(path);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes.length >= 4 && bytes.readUInt32BE(0) === 0x0a0d0d0a) return readPcapng(bytes);
  return readPcap(bytes);
}

function readPcap(b: Buffer): CaptureFrame[] {
  if (b.length < 24) throw new Error('pcap: short global header');
  const magicLe = b.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) {
    le = true;
    nanos = magicLe === 0xa1b23c4d;
  } else {
    const magicBe = b.readUInt32BE(0);
    if (magicBe !== 0xa1b2c3d4 && magicBe !== 0xa1b23c4d) throw new Error('pcap: bad magic');
    le = false;
    nanos = magicBe === 0xa1b23c4d;
  }
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  // The low 16 bits are the link type; the upper bits may carry FCS information.
  const linkType = u32(20) & 0xffff;
  const frames: CaptureFrame[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const capLen = u32(off + 8);
    const origLen = u32(off + 12);
    off += 16;
    if (off + capLen > b.length) break; // truncated last record
    const tsUs = sec * 1e6 + (nanos ? Math.floor(frac / 1000) : frac);
    frames.push({ number: frames.length + 1, linkType, tsUs, data: b.subarray(off, off + capLen), origLen });
    off += capLen;
  }
  return frames;
}

function readPcapng(b: Buffer): CaptureFrame[] {
  const frames: CaptureFrame[] = [];
  let le = true;
  let interfaces: { linkType: number; tsDivToUs: number; tsMulToUs: number }[] = [];
  let off = 0;
  while (off + 12 <= b.length) {
    const typeBe = b.readUInt32BE(off);
    if (typeBe === 0x0a0d0d0a) {
      le = b.readUInt32LE(off + 8) === 0x1a2b3c4d;
      interfaces = [];
    }
    const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u16 = (o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const type = u32(off);
    const len = u32(off + 4);
    if (len < 12 || off + len > b.length) break;
    const body = off + 8;
    if (type === 1) {
      // Interface Description Block: link type, then options; if_tsresol (9) sets the time unit.
      let div = 1;
      let mul = 1;
      let o = body + 8;
      while (o + 4 <= off + len - 4) {
        const code = u16(o);
        const olen = u16(o + 2);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const r = b[o + 4];
          const unitsPerSec = r & 0x80 ? 2 ** (r & 0x7f) : 10 ** r;
          if (unitsPerSec >= 1e6) div = unitsPerSec / 1e6;
          else mul = 1e6 / unitsPerSec;
        }
        o += 4 + ((olen + 3) & ~3);
      }
      interfaces.push({ linkType: u16(body), tsDivToUs: div, tsMulToUs: mul });
    } else if (type === 6) {
      const iface = interfaces[u32(body)];
      const ts = u32(body + 4) * 2 ** 32 + u32(body + 8);
      const capLen = u32(body + 12);
      const origLen = u32(body + 16);
      const data = b.subarray(body + 20, body + 20 + capLen);
      frames.push({ number: frames.length + 1, linkType: iface.linkType, tsUs: Math.floor((ts / iface.tsDivToUs) * iface.tsMulToUs), data, origLen });
    } else if (type === 3) {
      const origLen = u32(body);
      const capLen = Math.min(origLen, len - 16);
      frames.push({ number: frames.length + 1, linkType: interfaces[0].linkType, tsUs: 0, data: b.subarray(body + 4, body + 4 + capLen), origLen });
    }
    off += len;
  }
  return frames;
}

/** Writes frames as a classic little-endian µs pcap (used to show tshark the crafted fixtures). */
export function writePcap(linkType: number, frames: Buffer[]): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(linkType, 20);
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(0, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  return Buffer.concat(parts);
}
