// Per-connection state of the HTTP/1.x parser: body skipping per direction, pending request methods, upgrade.
import type { L7Message } from '../types.js';

/** How the body after a parsed header is delimited (skipped on later parse calls). */
export const BODY_NONE = 0;
export const BODY_LENGTH = 1;
export const BODY_CHUNKED = 2;
/** Response without Content-Length / chunked: the body runs until the connection closes. */
export const BODY_CLOSE = 3;

/** Where the chunked decoder stands. */
export const CHUNK_SIZE = 0;
export const CHUNK_DATA = 1;
export const CHUNK_DATA_END = 2;
export const CHUNK_DATA_LF = 3;
export const CHUNK_TRAILER = 4;

export interface BodySkip {
  mode: number;
  /** BODY_LENGTH: body bytes still to skip; BODY_CHUNKED in CHUNK_DATA: bytes left of the current chunk. */
  remaining: number;
  chunkPhase: number;
  /** Trailer bytes seen so far (bounded like a header). */
  trailerBytes: number;
  /**
   * The message whose body is being skipped: its endTsUs follows the body, and its `length` grows for chunked and
   * close-delimited bodies (best effort: the stage may already have recorded a response by then).
   */
  message: L7Message | undefined;
}

/** The attributes of a direction's last message with any, and the header values they were made from. */
export interface AttributesMemo {
  userAgent: string;
  contentType: string;
  upgrade: string;
  attributes: Record<string, string> | undefined;
}

export interface Http1State {
  /** Indexed by flow direction. */
  body: [BodySkip, BodySkip];
  /**
   * Methods of requests not yet answered by a final response, oldest first (HEAD responses carry no body, a 2xx to
   * CONNECT opens a tunnel). Bounded by MAX_PENDING_METHODS: the oldest are dropped past it.
   */
  pendingMethods: string[];
  /** The X-Request-ID of each of those requests (undefined without one), in the same order. */
  pendingXRequestIds: (string | undefined)[];
  /** A request asked for an Upgrade (or CONNECT) and its final response has not come yet. */
  upgradeRequested: boolean;
  /** 101 Switching Protocols (or a 2xx to CONNECT) was seen: the rest of the stream is not HTTP/1. */
  upgraded: boolean;
  /** TCP sequence number the next parse call of each direction should start at (-1 = unknown): a jump is a gap. */
  nextSeq: [number, number];
  /** After a gap that lost the message boundary: skip bytes (as 'ignored') until something looks like a message. */
  hunting: [boolean, boolean];
  /** Indexed by flow direction (see applyFields). */
  attributesMemo: [AttributesMemo, AttributesMemo];
}

export const MAX_PENDING_METHODS = 1024;
/** Largest header block (start line + fields, or chunked trailers) we hold before calling the stream invalid. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Largest chunk-size line (size + extensions). */
export const MAX_CHUNK_LINE = 1024;

function newAttributesMemo(): AttributesMemo {
  return { userAgent: '', contentType: '', upgrade: '', attributes: undefined };
}

function newBodySkip(): BodySkip {
  return { mode: BODY_NONE, remaining: 0, chunkPhase: CHUNK_SIZE, trailerBytes: 0, message: undefined };
}

export function newHttp1State(): Http1State {
  return { body: [newBodySkip(), newBodySkip()], pendingMethods: [], pendingXRequestIds: [], upgradeRequested: false, upgraded: false,
    nextSeq: [-1, -1], hunting: [false, false], attributesMemo: [newAttributesMemo(), newAttributesMemo()] };
}
