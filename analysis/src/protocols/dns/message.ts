// Decodes one DNS message (header, first question, answer summary) from its wire bytes, without throwing.
import { decodeName, ipv6Text, typeName } from './wire.js';

export const HEADER_LEN = 12;
/** responseResult is cut to this many characters (DeepFlow keeps a short answer summary). */
export const MAX_RESULT = 256;
/** Questions skipped before the answer section; real messages carry one (mDNS a few). */
const MAX_QUESTIONS = 64;

export interface DnsHeader {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface DnsMessage {
  header: DnsHeader;
  /** First question, absent when qdcount is 0 (mDNS responses, some UPDATE replies). */
  question?: { name: string; type: number; class: number };
  /** 'A 1.2.3.4;CNAME x.example', at most MAX_RESULT characters; '' when there are no answers. */
  answers: string;
  /** Answer records fully decoded. */
  answerCount: number;
  /** Why the sections after the header stopped decoding early (truncated datagram, bad name...), if they did. */
  malformed?: string;
}

export function readHeader(buf: Buffer): DnsHeader | null {
  if (buf.length < HEADER_LEN) return null;
  const flags = buf.readUInt16BE(2);
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    qdcount: buf.readUInt16BE(4),
    ancount: buf.readUInt16BE(6),
    nscount: buf.readUInt16BE(8),
    arcount: buf.readUInt16BE(10),
  };
}

/** One answer's data in short text form; null when its rdata does not fit the type. */
function rdataText(buf: Buffer, type: number, off: number, len: number): string | null {
  switch (type) {
    case 1: // A
      return len === 4 ? `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}` : null;
    case 28: // AAAA
      return len === 16 ? ipv6Text(buf, off) : null;
    case 2: // NS
    case 5: // CNAME
    case 12: // PTR
    case 39: // DNAME
      return decodeName(buf, off)?.name ?? null;
    case 15: {
      // MX: preference, exchange
      if (len < 3) return null;
      const n = decodeName(buf, off + 2);
      return n ? `${buf.readUInt16BE(off)} ${n.name}` : null;
    }
    case 33: {
      // SRV: priority weight port target
      if (len < 7) return null;
      const n = decodeName(buf, off + 6);
      return n ? `${buf.readUInt16BE(off)} ${buf.readUInt16BE(off + 2)} ${buf.readUInt16BE(off + 4)} ${n.name}` : null;
    }
    case 6: // SOA: primary name server is enough for a summary
      return decodeName(buf, off)?.name ?? null;
    case 16: {
      // TXT: character-strings joined by spaces
      const parts: string[] = [];
      for (let p = off; p < off + len; ) {
        const l = buf[p];
        if (p + 1 + l > off + len) return null;
        parts.push(buf.toString('latin1', p + 1, p + 1 + l));
        p += 1 + l;
      }
      return parts.join(' ');
    }
    default:
      return ''; // other types: the type name alone
  }
}

/** Decodes `buf` (exactly one message, without TCP length prefix). Null when shorter than a header. */
export function decodeMessage(buf: Buffer): DnsMessage | null {
  const header = readHeader(buf);
  if (header === null) return null;
  const msg: DnsMessage = { header, answers: '', answerCount: 0 };
  let pos = HEADER_LEN;
  for (let i = 0; i < header.qdcount; i++) {
    if (i >= MAX_QUESTIONS) {
      msg.malformed = 'too many questions';
      return msg;
    }
    const n = decodeName(buf, pos);
    if (n === null || n.end + 4 > buf.length) {
      msg.malformed = i === 0 ? 'bad question' : 'bad question section';
      return msg;
    }
    if (i === 0) msg.question = { name: n.name, type: buf.readUInt16BE(n.end), class: buf.readUInt16BE(n.end + 2) };
    pos = n.end + 4;
  }
  let out = '';
  for (let i = 0; i < header.ancount; i++) {
    const n = decodeName(buf, pos);
    if (n === null || n.end + 10 > buf.length) {
      msg.malformed = 'bad answer';
      break;
    }
    const type = buf.readUInt16BE(n.end);
    const rdlen = buf.readUInt16BE(n.end + 8);
    const rd = n.end + 10;
    if (rd + rdlen > buf.length) {
      msg.malformed = 'answer data past the end';
      break;
    }
    pos = rd + rdlen;
    msg.answerCount++;
    // Once the summary is full, keep walking only to count the records.
    if (out.length <= MAX_RESULT) {
      const data = rdataText(buf, type, rd, rdlen);
      const item = data === null || data === '' ? typeName(type) : `${typeName(type)} ${data}`;
      out += (out.length > 0 ? ';' : '') + item;
    }
  }
  msg.answers = out.length > MAX_RESULT ? `${out.slice(0, MAX_RESULT - 3)}...` : out;
  return msg;
}
