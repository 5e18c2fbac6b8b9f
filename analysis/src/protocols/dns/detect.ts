// Heuristic DNS detection for flows on non-standard ports: a sane header followed by a well-formed question.
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';
import { HEADER_LEN, readHeader } from './message.js';

/** Hostname-ish label bytes: letters, digits, '-', '_' (SRV / DKIM labels) and '*' (wildcards). */
function labelByteOk(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x5f || c === 0x2a;
}

/** Checks the first question name: plain labels only (nothing precedes it, so no compression), ≤ 255 bytes. */
function questionEnd(buf: Buffer, start: number): number {
  let pos = start;
  for (;;) {
    if (pos >= buf.length) return -1;
    const len = buf[pos];
    if (len === 0) return pos + 1;
    if (len > 63 || pos + 1 + len > buf.length || pos + 1 + len - start > 255) return -1;
    for (let i = pos + 1; i <= pos + len; i++) if (!labelByteOk(buf[i])) return -1;
    pos += 1 + len;
  }
}

export function detectDns(_dir: FlowDirection, bytes: Buffer, ctx: ParseContext): boolean {
  let msg = bytes;
  if (ctx.transport === 'tcp') {
    if (bytes.length < 2) return false;
    const len = bytes.readUInt16BE(0);
    if (len < HEADER_LEN + 5) return false;
    msg = bytes.subarray(2, Math.min(bytes.length, 2 + len));
    // A first segment longer than the announced message must be followed by another prefix; we do not chase it.
  }
  const h = readHeader(msg);
  if (h === null) return false;
  if (h.qdcount < 1 || h.qdcount > 16 || h.opcode > 5 || h.opcode === 3) return false;
  if ((msg.readUInt16BE(2) & 0x0040) !== 0) return false; // the Z bit must be zero
  if (!h.qr && (h.rcode !== 0 || h.ancount > 16 || h.nscount > 16 || h.arcount > 16)) return false;
  if (h.qr && (h.ancount > 256 || h.nscount > 256 || h.arcount > 256)) return false;
  const end = questionEnd(msg, HEADER_LEN);
  if (end < 0 || end + 4 > msg.length || end === HEADER_LEN + 1) return false; // root-only queries are too generic
  const qtype = msg.readUInt16BE(end);
  const qclass = msg.readUInt16BE(end + 2) & 0x7fff; // mDNS uses the top bit for unicast-response
  // NetBIOS name service reuses the DNS layout with NB (32) / NBSTAT (33) queries on port 137: not DNS.
  if (ctx.serverPort === 137 || qtype === 32) return false;
  if (qtype === 0 || (qclass !== 1 && qclass !== 3 && qclass !== 4 && qclass !== 254 && qclass !== 255)) return false;
  // A plain UDP query (one question, no records) must end right after its question.
  if (ctx.transport === 'udp' && !h.qr && h.qdcount === 1 && h.ancount + h.nscount + h.arcount === 0) {
    return msg.length === end + 4;
  }
  return true;
}
