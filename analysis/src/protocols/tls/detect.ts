// TLS detection: the client's first bytes are a handshake record (TLS 1.0–1.3 / SSL 3.0) opening with a ClientHello.
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';

export function detectTls(dir: FlowDirection, bytes: Buffer, _ctx: ParseContext): boolean {
  if (dir !== 0 || bytes.length < 6) return false;
  return bytes[0] === 22 && bytes[1] === 3 && bytes[2] <= 4 && bytes.readUInt16BE(3) >= 4 && bytes[5] === 1;
}
