// HTTP/2 heuristic: the client connection preface, or a run of valid frame headers starting with SETTINGS or HEADERS.
import type { FlowDirection } from '../../flows/types.js';
import { PREFACE, T, frameHeaderError } from './parse.js';

const MAX_FRAMES_CHECKED = 16;
const HEADERS_FLAGS = 0x01 | 0x04 | 0x08 | 0x20;

export function detect(dir: FlowDirection, bytes: Buffer): boolean {
  if (bytes.length >= 4 && bytes[0] === 0x50) {
    const n = Math.min(bytes.length, PREFACE.length);
    return dir === 0 && bytes.subarray(0, n).equals(PREFACE.subarray(0, n));
  }
  if (bytes.length < 9) return false;
  const first = bytes[3];
  if (first === T.SETTINGS) {
    if (bytes[4] & ~0x01) return false;
  } else if (first === T.HEADERS) {
    // h2c snippets without preface (capture started mid-connection): a client HEADERS opens an odd stream.
    if (bytes[4] & ~HEADERS_FLAGS) return false;
    const sid = bytes.readUInt32BE(5) & 0x7fffffff;
    if (dir === 0 && sid % 2 === 0) return false;
  } else {
    return false;
  }
  let off = 0;
  for (let i = 0; i < MAX_FRAMES_CHECKED && off + 9 <= bytes.length; i++) {
    if (frameHeaderError(bytes, off, 16384) !== undefined) return false;
    off += 9 + bytes.readUIntBE(off, 3);
  }
  return true;
}
