// MySQL detection heuristic: a server greeting (protocol 10) from the server, or a command packet (seq 0) from the client.
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';
import { COM_NAMES } from './parse.js';

function printable(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i];
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return true;
}

export function detect(dir: FlowDirection, bytes: Buffer, _ctx: ParseContext): boolean {
  if (bytes.length < 5) return false;
  const len = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
  const seq = bytes[3];
  if (len === 0 || seq !== 0) return false;
  if (dir === 1) {
    // Greeting: protocol 10, NUL-terminated printable version string, then a 4-byte connection id.
    if (bytes[4] !== 10 || len < 20 || len > 1024) return false;
    const end = bytes.indexOf(0, 5);
    if (end < 6 || end > 5 + 64 || end + 5 > 4 + len || end >= bytes.length) return false;
    return printable(bytes, 5, end);
  }
  const name = COM_NAMES[bytes[4]];
  if (name === undefined) return false;
  // A command is one packet: with the whole of it in view, its length must match exactly (no pipelining at start).
  if (4 + len < bytes.length) return false;
  if (name === 'COM_QUIT' || name === 'COM_PING' || name === 'COM_STATISTICS') return len === 1;
  if (name === 'COM_QUERY' || name === 'COM_STMT_PREPARE' || name === 'COM_INIT_DB') {
    const to = Math.min(bytes.length, 4 + len, 64);
    if (to <= 5) return false;
    return printable(bytes, 5, to);
  }
  if (name.startsWith('COM_STMT_')) return len >= 5;
  return len < 1024;
}
