// Parses one DNS message: a whole UDP datagram, or one 2-byte-length-prefixed message of a TCP stream.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult, ResponseStatus } from '../types.js';
import { HEADER_LEN, decodeMessage } from './message.js';
import type { DnsMessage } from './message.js';
import type { DnsState } from './types.js';
import { opcodeName, rcodeName, typeName } from './wire.js';

/** DeepFlow's mapping: FormErr and NXDomain blame the client, every other non-zero rcode the server. */
export function rcodeStatus(rcode: number): ResponseStatus {
  if (rcode === 0) return 'ok';
  if (rcode === 1 || rcode === 3) return 'client_error';
  return 'server_error';
}

function toMessage(m: DnsMessage, length: number, ctx: ParseContext): L7Message {
  const h = m.header;
  const out = newMessage(h.qr ? 'response' : 'request', ctx.tsUs, ctx.tcpSeq, length);
  out.requestId = h.id;
  // Responses echo the question: keeping it on them too describes a response whose query was not captured.
  if (m.question) {
    out.requestType = typeName(m.question.type);
    out.requestDomain = m.question.name;
    out.requestResource = m.question.name;
    out.endpoint = m.question.name;
  }
  const attributes: Record<string, string | number> = {};
  if (h.opcode !== 0) attributes.opcode = opcodeName(h.opcode);
  if (h.qdcount > 1) attributes.questions = h.qdcount;
  if (m.malformed) attributes.malformed = m.malformed;
  if (h.qr) {
    out.responseCode = h.rcode;
    out.responseStatus = rcodeStatus(h.rcode);
    if (h.rcode !== 0) out.responseException = rcodeName(h.rcode);
    if (m.answers) out.responseResult = m.answers;
    attributes.answers = h.ancount;
    if (h.tc) attributes.truncated = 1;
    if (h.aa) attributes.authoritative = 1;
  }
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  return out;
}

export function parseDns(_dir: FlowDirection, bytes: Buffer, _state: DnsState, ctx: ParseContext): ParseResult {
  let msg: Buffer;
  let consumed: number;
  if (ctx.transport === 'tcp') {
    if (bytes.length < 2) return { status: 'needs-more', consumed: 0 };
    const len = bytes.readUInt16BE(0);
    if (len < HEADER_LEN) {
      // Skip the announced frame when it is here, so the next length prefix is still found.
      return { status: 'invalid', consumed: Math.min(bytes.length, 2 + len), error: `message length ${len} < 12` };
    }
    // The prefix caps a message at 64 KiB: waiting for all of it is bounded, and the answers need it whole.
    if (bytes.length < 2 + len) return { status: 'needs-more', consumed: 0 };
    msg = bytes.subarray(2, 2 + len);
    consumed = 2 + len;
  } else {
    msg = bytes;
    consumed = bytes.length;
  }
  if (consumed === 0) return { status: 'invalid', consumed: 0, error: 'empty datagram' };
  const m = decodeMessage(msg);
  if (m === null) return { status: 'invalid', consumed, error: `message shorter than a header (${msg.length} bytes)` };
  // Without a readable question a query says nothing; a response still carries its id and rcode.
  if (m.header.qdcount > 0 && m.question === undefined && !m.header.qr) {
    return { status: 'invalid', consumed, error: 'query with an unreadable question' };
  }
  return { status: 'ok', consumed, message: toMessage(m, consumed, ctx) };
}
