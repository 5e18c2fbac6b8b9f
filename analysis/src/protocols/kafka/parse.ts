// Kafka message parser: size-prefixed requests/responses, header decoding, body skipping for large messages.
import type { FlowDirection } from '../../flows/types.js';
import { newMessage } from '../common/message.js';
import type { L7Message, ParseContext, ParseResult } from '../types.js';
import { decodeRequestBody, decodeResponseBody, type TopicRef } from './body.js';
import { looksLikeRequest } from './detect.js';
import { Reader } from './reader.js';
import { MAX_SIZE, apiName, errorName, isFlexible, requestHeaderVersion, responseHeaderVersion } from './tables.js';

/** Messages up to this size are decoded whole; larger ones from their first MAX_HOLD bytes, the rest skipped. */
export const MAX_HOLD = 64 * 1024;
/** The default ports: the broker is the server side for sure. */
export const KAFKA_PORTS: readonly number[] = [9092, 9093, 29092];
/** Requests remembered while waiting for their response (their api key is needed to decode it). */
export const MAX_PENDING = 1024;
/** Longest requestResource summary. */
const MAX_RESOURCE = 256;

export interface PendingApi {
  key: number;
  version: number;
}

export interface KafkaState {
  /** correlation id → api of the request, oldest first (a Map keeps insertion order); bounded by MAX_PENDING. */
  pending: Map<number, PendingApi>;
  /** Body bytes still to skip per direction (large messages are returned once their head is parsed). */
  skip: [number, number];
  /**
   * Roles: undefined until the first message that looks like a request; true when it came as direction 1 (the
   * flow table guessed the sides from ports on a capture without handshake, and guessed wrong).
   */
  swapped?: boolean;
}

export function newState(): KafkaState {
  return { pending: new Map(), skip: [0, 0] };
}

function remember(state: KafkaState, corr: number, api: PendingApi): void {
  state.pending.delete(corr);
  if (state.pending.size >= MAX_PENDING) {
    const oldest = state.pending.keys().next();
    if (!oldest.done) state.pending.delete(oldest.value);
  }
  state.pending.set(corr, api);
}

/** 'topic[0,1],other[2]' (topic ids stand in for names in Fetch v13+). */
function summarise(topics: TopicRef[]): string | undefined {
  if (topics.length === 0) return undefined;
  const s = topics.map((t) => (t.partitions.length ? `${t.name}[${t.partitions.join(',')}]` : t.name)).join(',');
  return s.length > MAX_RESOURCE ? `${s.slice(0, MAX_RESOURCE - 3)}...` : s;
}

interface Frame {
  total: number;
  /** Bytes of the message available now: all of it, or a MAX_HOLD prefix of a large one. */
  avail: number;
}

/** Size prefix check: undefined = needs more bytes, string = invalid. */
function frame(bytes: Buffer, minSize: number): Frame | string | undefined {
  if (bytes.length < 4) return undefined;
  const size = bytes.readInt32BE(0);
  if (size < minSize || size > MAX_SIZE) return `bad message size ${size}`;
  const total = size + 4;
  const avail = Math.min(bytes.length, total);
  if (avail < total && avail < MAX_HOLD) return undefined;
  return { total, avail };
}

function base(ctx: ParseContext, total: number): L7Message {
  return newMessage('other', ctx.tsUs, ctx.tcpSeq, total);
}

function parseRequest(dir: FlowDirection, bytes: Buffer, state: KafkaState, ctx: ParseContext): ParseResult {
  const f = frame(bytes, 8);
  if (f === undefined) return { status: 'needs-more', consumed: 0 };
  if (typeof f === 'string') return { status: 'invalid', consumed: bytes.length, error: f };
  const r = new Reader(bytes, 4, f.avail, false);
  const key = r.i16();
  const version = r.i16();
  const corr = r.i32();
  if (key < 0 || version < 0) return skipFrame(dir, f, state, `bad api key/version ${key}/${version}`);
  const hv = requestHeaderVersion(key, version);
  // The client id stays a classic (i16-length) nullable string even in header v2.
  const clientId = hv >= 1 ? r.str() : undefined;
  if (hv === 2) {
    const tagged = new Reader(bytes, r.pos, f.avail, true);
    tagged.tags();
    r.pos = tagged.pos;
    r.ok = tagged.ok;
  }
  if (!r.ok) return skipFrame(dir, f, state, 'truncated request header');
  const flexible = isFlexible(key, version);
  const body = decodeRequestBody(bytes, r.pos, f.avail, key, version, flexible);
  const msg = base(ctx, f.total);
  msg.type = 'request';
  msg.requestType = apiName(key);
  msg.version = String(version);
  msg.requestId = corr;
  const attributes: Record<string, string | number> = { api_key: key };
  if (clientId !== undefined) attributes.client_id = clientId;
  if (body.groupId !== undefined) attributes.group_id = body.groupId;
  const first = body.topics[0];
  if (first && first.name && !first.byId) {
    msg.requestDomain = first.name;
    msg.endpoint = first.name;
  } else if (first && first.byId) {
    // Fetch v13+ names topics by id only: kept as an attribute and in the resource, not as the domain.
    attributes.topic_id = first.name;
  }
  msg.requestResource = summarise(body.topics);
  if (body.trace) {
    msg.traceId = body.trace.traceId;
    msg.spanId = body.trace.spanId;
  }
  if (body.acks !== undefined) attributes.acks = body.acks;
  // A complete message whose body we decode but cannot follow is malformed; a cut-off prefix is expected.
  if (!body.complete && f.avail === f.total) attributes.body = 'malformed';
  msg.attributes = attributes;
  if (key === 0 && body.acks === 0) {
    // acks=0: the broker never answers, so the request is complete by itself (not a timeout).
    msg.responseStatus = 'ok';
  } else {
    remember(state, corr, { key, version });
  }
  return done(msg, f, state, dir);
}

function parseResponse(dir: FlowDirection, bytes: Buffer, state: KafkaState, ctx: ParseContext): ParseResult {
  const f = frame(bytes, 4);
  if (f === undefined) return { status: 'needs-more', consumed: 0 };
  if (typeof f === 'string') return { status: 'invalid', consumed: bytes.length, error: f };
  const corr = bytes.readInt32BE(4);
  const msg = base(ctx, f.total);
  msg.type = 'response';
  msg.requestId = corr;
  const api = state.pending.get(corr);
  if (api) {
    state.pending.delete(corr);
    msg.requestType = apiName(api.key);
    msg.version = String(api.version);
    let pos = 8;
    if (responseHeaderVersion(api.key, api.version) === 1) {
      const tagged = new Reader(bytes, pos, f.avail, true);
      tagged.tags();
      pos = tagged.pos;
    }
    const res = decodeResponseBody(bytes, pos, f.avail, api.key, api.version, isFlexible(api.key, api.version));
    if (res.decoded) {
      msg.responseCode = res.code;
      // As DeepFlow: any non-zero Kafka error code is a server error.
      msg.responseStatus = res.code === 0 ? 'ok' : 'server_error';
      if (res.code !== 0) msg.responseException = errorName(res.code) ?? `ERROR_${res.code}`;
    } else {
      // Errors of this API are not decoded: the response arrived, so the exchange is reported as ok.
      msg.responseStatus = 'ok';
    }
  }
  // Without the request (capture started mid-flow) the body cannot be decoded: status left to the stage (unknown).
  return done(msg, f, state, dir);
}

/** An invalid message whose size prefix was plausible: drop exactly that message (skipping the rest of a large one). */
function skipFrame(dir: FlowDirection, f: Frame, state: KafkaState, error: string): ParseResult {
  state.skip[dir] = f.total - f.avail;
  return { status: 'invalid', consumed: f.avail, error };
}

function done(msg: L7Message, f: Frame, state: KafkaState, dir: FlowDirection): ParseResult {
  state.skip[dir] = f.total - f.avail;
  return { status: 'ok', message: msg, consumed: f.avail };
}

export function parse(dir: FlowDirection, bytes: Buffer, state: KafkaState, ctx: ParseContext): ParseResult {
  if (bytes.length === 0) return { status: 'needs-more', consumed: 0 };
  const skip = state.skip[dir];
  if (skip > 0) {
    const n = Math.min(skip, bytes.length);
    state.skip[dir] = skip - n;
    return { status: 'ignored', consumed: n };
  }
  if (state.swapped === undefined && looksLikeRequest(bytes)) {
    // On a Kafka port the sides are known to be right: a response can look like a request (Produce responses do).
    state.swapped = dir === 1 && !KAFKA_PORTS.includes(ctx.serverPort);
  }
  const fromClient = state.swapped === true ? dir === 1 : dir === 0;
  return fromClient ? parseRequest(dir, bytes, state, ctx) : parseResponse(dir, bytes, state, ctx);
}
