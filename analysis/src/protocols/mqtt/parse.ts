// MQTT framing (type/flags byte + varint remaining length) and decoding of every packet type's variable header.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult, ResponseStatus } from '../types.js';
import { PACKET_TYPES, connackV3Status, reasonV5Status, subackStatus } from './codes.js';

/** Per-connection state. Size is bounded: a level, a client id of at most 1024 characters, two skip counters. */
export interface MqttState {
  /** Protocol level from CONNECT (3, 4 or 5); undefined until a CONNECT is seen (then 3.1.1 framing is assumed). */
  level?: number;
  /** Client id from CONNECT (capped), reported as requestDomain like DeepFlow does. */
  clientId?: string;
  /** Bytes of a large PUBLISH body still to skip, per direction. */
  skip: [number, number];
}

export function newState(): MqttState {
  return { skip: [0, 0] };
}

/** Largest variable header + payload prefix we wait for before reporting a large packet without its tail. */
export const HEADER_CAP = 64 * 1024;
/** Longest string kept in a message field (topics, client ids). */
const MAX_TEXT = 1024;
/** Most topic filters listed in a SUBSCRIBE / UNSUBSCRIBE resource. */
const MAX_FILTERS = 32;

export function versionText(level: number | undefined): string | undefined {
  if (level === 3) return '3.1';
  if (level === 4) return '3.1.1';
  if (level === 5) return '5';
  return undefined;
}

/** Reads the remaining-length varint at `off`: value and byte count, 'short' if cut, 'bad' if longer than 4 bytes. */
export function readVarint(b: Buffer, off: number): { value: number; size: number } | 'short' | 'bad' {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    if (off + i >= b.length) return 'short';
    const byte = b[off + i];
    value += (byte & 0x7f) * mult;
    if ((byte & 0x80) === 0) return { value, size: i + 1 };
    mult *= 128;
  }
  return 'bad';
}

/** Thrown-free cursor over a packet body: every read returns undefined past the end and latches `short`. */
class Reader {
  pos = 0;
  short = false;
  constructor(readonly b: Buffer) {}
  get left(): number {
    return this.b.length - this.pos;
  }
  u8(): number | undefined {
    if (this.pos + 1 > this.b.length) return this.fail();
    return this.b[this.pos++];
  }
  u16(): number | undefined {
    if (this.pos + 2 > this.b.length) return this.fail();
    const v = this.b.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  varint(): number | undefined {
    const r = readVarint(this.b, this.pos);
    if (r === 'short') return this.fail();
    if (r === 'bad') {
      this.pos = this.b.length;
      return this.fail();
    }
    this.pos += r.size;
    return r.value;
  }
  /** UTF-8 string with u16 length; the text is capped at MAX_TEXT characters. */
  str(): string | undefined {
    const n = this.u16();
    if (n === undefined) return undefined;
    if (this.pos + n > this.b.length) return this.fail();
    const s = this.b.toString('utf8', this.pos, this.pos + Math.min(n, MAX_TEXT));
    this.pos += n;
    return s;
  }
  skip(n: number): boolean {
    if (this.pos + n > this.b.length) {
      this.fail();
      return false;
    }
    this.pos += n;
    return true;
  }
  private fail(): undefined {
    this.short = true;
    return undefined;
  }
}

/**
 * What a body decoder found: 'ok' when it filled in the message, 'short' when it ran past the bytes it was given,
 * or the error text of a framing-valid packet whose content is wrong. On anything but 'ok' the message is dropped.
 */
type Decoded = 'ok' | 'short' | { error: string };

/** MQTT 5 properties block: a varint length and that many bytes; only the reason string is kept. */
function skipProps(r: Reader, v5: boolean): string | undefined {
  if (!v5) return undefined;
  const len = r.varint();
  if (len === undefined) return undefined;
  const start = r.pos;
  if (!r.skip(len)) return undefined;
  return findReasonString(r.b.subarray(start, start + len));
}

/** Walks v5 properties looking for the reason string (id 0x1F); gives up on unknown ids. */
function findReasonString(props: Buffer): string | undefined {
  const pr = new Reader(props);
  while (pr.left > 0) {
    const id = pr.varint();
    if (id === undefined) return undefined;
    if (id === 0x1f) return pr.str();
    const size = PROP_SIZES.get(id);
    if (size === undefined) return undefined;
    if (size === 'str') {
      if (pr.str() === undefined) return undefined;
    } else if (size === 'pair') {
      if (pr.str() === undefined || pr.str() === undefined) return undefined;
    } else if (size === 'var') {
      if (pr.varint() === undefined) return undefined;
    } else if (!pr.skip(size)) return undefined;
  }
  return undefined;
}

/** Value sizes of MQTT 5 property ids (bytes, or string / string pair / varint). Binary data is a u16-length blob like a string. */
const PROP_SIZES = new Map<number, number | 'str' | 'pair' | 'var'>([
  [0x01, 1], [0x02, 4], [0x03, 'str'], [0x08, 'str'], [0x09, 'str'], [0x0b, 'var'], [0x11, 4], [0x12, 'str'],
  [0x13, 2], [0x15, 'str'], [0x16, 'str'], [0x17, 1], [0x18, 4], [0x19, 1], [0x1a, 'str'], [0x1c, 'str'],
  [0x1f, 'str'], [0x21, 2], [0x22, 2], [0x23, 2], [0x24, 1], [0x25, 1], [0x26, 'pair'], [0x27, 4], [0x28, 1],
  [0x29, 1], [0x2a, 1],
]);

/** CONNECT: on success also records the level and client id in `state`. */
function decodeConnect(r: Reader, m: L7Message, state: MqttState): Decoded {
  const name = r.str();
  const rawLevel = r.u8();
  if (name === undefined || rawLevel === undefined) return 'short';
  // Bridges (mosquitto) set bit 7 of the level.
  const level = rawLevel & 0x7f;
  if (!((name === 'MQTT' && (level === 4 || level === 5)) || (name === 'MQIsdp' && level === 3))) {
    return { error: `unsupported protocol ${name} level ${rawLevel}` };
  }
  const flags = r.u8();
  const keepAlive = r.u16();
  if (flags === undefined || keepAlive === undefined) return 'short';
  if (flags & 1) return { error: 'CONNECT reserved flag set' };
  skipProps(r, level === 5);
  const clientId = r.str();
  if (clientId === undefined) return 'short';
  const attributes: Record<string, string | number> = {
    client_id: clientId,
    keep_alive: keepAlive,
    clean_session: (flags >> 1) & 1,
  };
  if (flags & 0x04) {
    skipProps(r, level === 5);
    const willTopic = r.str();
    const willLen = r.u16();
    if (willTopic !== undefined) attributes.will_topic = willTopic;
    if (willLen !== undefined) r.skip(willLen);
  }
  if (flags & 0x80) {
    const user = r.str();
    if (user !== undefined) attributes.username = user;
  }
  state.level = level;
  state.clientId = clientId;
  m.requestType = 'CONNECT';
  m.version = versionText(level);
  m.attributes = attributes;
  return 'ok';
}

function decodeConnack(r: Reader, m: L7Message, v5: boolean): Decoded {
  const ack = r.u8();
  const code = r.u8();
  if (ack === undefined || code === undefined) return 'short';
  const reason = skipProps(r, v5);
  const status = v5 ? reasonV5Status(code) : connackV3Status(code);
  m.responseCode = code;
  m.responseStatus = status;
  m.responseException = status === 'ok' ? undefined : (reason ?? connackText(code, v5));
  m.attributes = { session_present: ack & 1 };
  return 'ok';
}

const CONNACK_V3_TEXT = [
  'Connection Accepted',
  'unacceptable protocol version',
  'identifier rejected',
  'server unavailable',
  'bad user name or password',
  'not authorized',
];

function connackText(code: number, v5: boolean): string {
  if (!v5 && code < CONNACK_V3_TEXT.length) return CONNACK_V3_TEXT[code];
  return `reason code 0x${code.toString(16).padStart(2, '0')}`;
}

function decodePublish(r: Reader, m: L7Message, flags: number, v5: boolean): Decoded {
  const qos = (flags >> 1) & 3;
  if (qos === 3) return { error: 'PUBLISH with QoS 3' };
  const topic = r.str();
  if (topic === undefined) return 'short';
  let id: number | undefined;
  if (qos > 0) {
    id = r.u16();
    if (id === undefined) return 'short';
  }
  // Properties are not needed and may run past a large PUBLISH's first segment: their absence is not an error.
  skipProps(r, v5);
  const attributes: Record<string, string | number> = { qos, retain: flags & 1, dup: (flags >> 3) & 1 };
  m.requestType = 'PUBLISH';
  m.requestResource = topic;
  m.endpoint = topic;
  m.requestId = id;
  m.attributes = attributes;
  // QoS 0 expects no answer: the lone record is complete, not a timeout.
  m.responseStatus = qos === 0 ? 'ok' : undefined;
  return 'ok';
}

/** PUBACK / PUBREC / PUBREL / PUBCOMP / UNSUBACK (3.1.1): packet id, then in v5 an optional reason code and properties. */
function decodeAck(r: Reader, m: L7Message, v5: boolean, total: number): Decoded {
  const id = r.u16();
  if (id === undefined) return 'short';
  let code = 0;
  let reason: string | undefined;
  if (v5 && total > 2) {
    code = r.u8() ?? 0;
    if (total > 3) reason = skipProps(r, v5);
  }
  const status = reasonV5Status(code);
  m.requestId = id;
  m.responseCode = v5 ? code : undefined;
  m.responseStatus = status;
  m.responseException = status === 'ok' ? undefined : (reason ?? connackText(code, true));
  return 'ok';
}

function decodeSubscribe(r: Reader, m: L7Message, v5: boolean, unsubscribe: boolean): Decoded {
  const id = r.u16();
  if (id === undefined) return 'short';
  skipProps(r, v5);
  const filters: string[] = [];
  const qos: number[] = [];
  let count = 0;
  while (r.left > 0 && !r.short) {
    const f = r.str();
    if (f === undefined) break;
    if (!unsubscribe) {
      const o = r.u8();
      if (o === undefined) break;
      if (filters.length < MAX_FILTERS) qos.push(o & 3);
    }
    if (filters.length < MAX_FILTERS) filters.push(f);
    count++;
  }
  if (count === 0 && !r.short) return { error: `${unsubscribe ? 'UNSUBSCRIBE' : 'SUBSCRIBE'} without topic filter` };
  const resource = filters.join(',');
  const attributes: Record<string, string | number> = { filters: count };
  if (!unsubscribe) attributes.qos = qos.join(',');
  m.requestId = id;
  m.requestResource = resource;
  m.endpoint = resource;
  m.attributes = attributes;
  return 'ok';
}

function decodeSuback(r: Reader, m: L7Message, v5: boolean, unsubAck: boolean): Decoded {
  const id = r.u16();
  if (id === undefined) return 'short';
  const reason = skipProps(r, v5);
  const codes: number[] = [];
  let status: ResponseStatus = 'ok';
  let code: number | undefined;
  while (r.left > 0) {
    const c = r.u8();
    if (c === undefined) break;
    if (codes.length < MAX_FILTERS) codes.push(c);
    const s = unsubAck ? reasonV5Status(c) : subackStatus(c, v5);
    if (s !== 'ok' && status === 'ok') {
      status = s;
      code = c;
    }
  }
  m.requestId = id;
  m.responseCode = code ?? codes[0];
  m.responseStatus = status;
  m.responseException = status === 'ok' ? undefined : (reason ?? `return code 0x${(code ?? 0).toString(16)}`);
  m.attributes = { return_codes: codes.join(',') };
  return 'ok';
}

/** v5 DISCONNECT / AUTH: optional reason code and properties. */
function decodeReasonOnly(r: Reader, m: L7Message, v5: boolean, total: number): Decoded {
  if (!v5 || total === 0) {
    m.responseStatus = 'ok';
    m.responseCode = v5 ? 0 : undefined;
    return 'ok';
  }
  const code = r.u8() ?? 0;
  const reason = total > 1 ? skipProps(r, v5) : undefined;
  // Disconnect with will (0x04) and AUTH continue / re-authenticate (0x18, 0x19) are all below 0x80: ok.
  const status = reasonV5Status(code);
  m.responseCode = code;
  m.responseStatus = status;
  m.responseException = status === 'ok' ? undefined : (reason ?? connackText(code, true));
  return 'ok';
}

/** Required fixed-header flags per type (PUBLISH's are free); index = type. */
const FIXED_FLAGS = [-1, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

/** Which side of the exchange each packet type is. PUBREL asks for PUBCOMP, so it is a request. */
const RESPONSE_TYPES = new Set([2, 4, 5, 7, 9, 11, 13]);

export function parseMqtt(dir: FlowDirection, bytes: Buffer, state: MqttState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  const pending = state.skip[dir];
  if (pending > 0) {
    const n = Math.min(pending, bytes.length);
    state.skip[dir] = pending - n;
    return { status: 'ignored', consumed: n };
  }
  const first = bytes[0];
  const type = first >> 4;
  const flags = first & 0x0f;
  // Type 0 is reserved everywhere, AUTH (15) exists only in MQTT 5.
  if (type === 0 || (type === 15 && state.level !== undefined && state.level !== 5)) {
    return { status: 'invalid', consumed: bytes.length, error: `reserved packet type ${type}` };
  }
  const vi = readVarint(bytes, 1);
  if (vi === 'short') return { status: 'needs-more', consumed: 0 };
  if (vi === 'bad') return { status: 'invalid', consumed: bytes.length, error: 'remaining length longer than 4 bytes' };
  const hdr = 1 + vi.size;
  const total = hdr + vi.value;
  const have = Math.min(total, bytes.length);
  const complete = bytes.length >= total;
  const name = PACKET_TYPES[type];
  if (FIXED_FLAGS[type] >= 0 && flags !== FIXED_FLAGS[type]) {
    return { status: 'invalid', consumed: complete ? total : bytes.length, error: `${name} with flags ${flags}` };
  }
  // Packets up to 64 KiB are parsed whole; beyond that a PUBLISH is reported from its header and the others from
  // their first 64 KiB, and the rest is skipped (no unbounded buffering).
  if (!complete && have - hdr < HEADER_CAP && (type !== 3 || vi.value <= HEADER_CAP)) return { status: 'needs-more', consumed: 0 };

  const r = new Reader(bytes.subarray(hdr, have));
  const v5 = state.level === 5 || type === 15;
  // The decoders fill this message in place (one object shape for all messages, see common/message.ts).
  const message = newMessage(RESPONSE_TYPES.has(type) ? 'response' : 'request', ctx.tsUs, ctx.tcpSeq, total);
  let d: Decoded;
  switch (type) {
    case 1:
      d = decodeConnect(r, message, state);
      break;
    case 2:
      d = decodeConnack(r, message, v5);
      break;
    case 3:
      d = decodePublish(r, message, flags, v5);
      break;
    case 4:
    case 5:
    case 6:
    case 7:
      d = decodeAck(r, message, v5, vi.value);
      break;
    case 8:
      d = decodeSubscribe(r, message, v5, false);
      break;
    case 9:
      d = decodeSuback(r, message, v5, false);
      break;
    case 10:
      d = decodeSubscribe(r, message, v5, true);
      break;
    case 11:
      // 3.1.1 UNSUBACK carries only the packet id; v5 adds one reason code per filter.
      d = v5 ? decodeSuback(r, message, v5, true) : decodeAck(r, message, false, vi.value);
      break;
    case 12:
      d = 'ok';
      break;
    case 13:
      message.responseStatus = 'ok';
      d = 'ok';
      break;
    default:
      // 14 DISCONNECT, 15 AUTH: no answer expected.
      d = decodeReasonOnly(r, message, v5, vi.value);
      break;
  }
  if (typeof d === 'object') return { status: 'invalid', consumed: complete ? total : bytes.length, error: d.error };
  if (d === 'short') {
    // Ran out of bytes inside the variable header: wait if more is coming (PUBLISH headers are < 64 KiB + 7).
    if (!complete && have - hdr < HEADER_CAP + 8) return { status: 'needs-more', consumed: 0 };
    return { status: 'invalid', consumed: have, error: `truncated ${name}` };
  }
  const consumed = have;
  if (!complete) state.skip[dir] = total - have;
  message.requestType = name;
  message.version = versionText(state.level);
  message.requestDomain = state.clientId;
  const attributes = message.attributes ?? {};
  attributes.sender = dir === 0 ? 'client' : 'server';
  message.attributes = attributes;
  // PUBREL shares the ack layout but is a request: its status comes from its PUBCOMP.
  if (type === 6) message.responseStatus = undefined;
  return { status: 'ok', message, consumed };
}
