// Incremental body skipping for HTTP/1.x: Content-Length, chunked transfer coding (with trailers), until close.
import {
  BODY_CHUNKED,
  BODY_CLOSE,
  BODY_LENGTH,
  BODY_NONE,
  CHUNK_DATA,
  CHUNK_DATA_END,
  CHUNK_DATA_LF,
  CHUNK_SIZE,
  CHUNK_TRAILER,
  MAX_CHUNK_LINE,
  MAX_HEADER_BYTES,
} from './types.js';
import type { BodySkip } from './types.js';

export interface SkipResult {
  /** Offset in the buffer where skipping stopped (the next message starts there when the body is done). */
  end: number;
  error?: string;
}

/** 13 hex digits = 2^52: beyond that a chunk size is not a number we can count (and is an evasion attempt). */
const MAX_CHUNK_HEX_DIGITS = 13;

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  if (l >= 0x61 && l <= 0x66) return l - 0x61 + 10;
  return -1;
}

/** Ends the body in progress (done, or abandoned after a gap or a framing error). */
export function finish(body: BodySkip): void {
  body.mode = BODY_NONE;
  body.remaining = 0;
  body.chunkPhase = CHUNK_SIZE;
  body.trailerBytes = 0;
  body.message = undefined;
}

/** Parses a chunk-size line [start, lineEnd): hex size, optional whitespace and `;extensions`. -1 when malformed. */
function chunkSize(bytes: Buffer, start: number, lineEnd: number): number {
  let i = start;
  while (i < lineEnd && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  let size = 0;
  let digits = 0;
  for (; i < lineEnd; i++) {
    const v = hexValue(bytes[i]);
    if (v < 0) break;
    if (++digits > MAX_CHUNK_HEX_DIGITS) return -1;
    size = size * 16 + v;
  }
  if (digits === 0) return -1;
  while (i < lineEnd && (bytes[i] === 0x20 || bytes[i] === 0x09)) i++;
  if (i < lineEnd && bytes[i] !== 0x3b /* ; */) return -1;
  return size;
}

/**
 * Skips as much of the current body as `bytes[start..]` holds, updating `body`. Stops at the end of the body (mode
 * becomes BODY_NONE), at the end of the buffer, or before an incomplete chunk-size / trailer line.
 */
/**
 * Accounts for `gap` bytes the capture lost in the middle of a body: true when the body framing survives (the gap
 * fell inside Content-Length data or inside one chunk's data, or the body runs until close), false when the message
 * boundary is lost. A gap that ends exactly at the end of a Content-Length body leaves us at the next message.
 */
export function skipGap(body: BodySkip, gap: number): boolean {
  switch (body.mode) {
    case BODY_LENGTH:
      if (gap <= body.remaining) {
        body.remaining -= gap;
        if (body.remaining === 0) finish(body);
        return true;
      }
      break;
    case BODY_CHUNKED:
      if (body.chunkPhase === CHUNK_DATA && gap <= body.remaining) {
        body.remaining -= gap;
        if (body.message) body.message.length += gap;
        if (body.remaining === 0) body.chunkPhase = CHUNK_DATA_END;
        return true;
      }
      break;
    case BODY_CLOSE:
      if (body.message) body.message.length += gap;
      return true;
    default:
      break;
  }
  finish(body);
  return false;
}

export function skipBody(body: BodySkip, bytes: Buffer, start: number): SkipResult {
  const len = bytes.length;
  let i = start;
  switch (body.mode) {
    case BODY_LENGTH: {
      const n = Math.min(body.remaining, len - i);
      body.remaining -= n;
      i += n;
      if (body.remaining === 0) finish(body);
      return { end: i };
    }
    case BODY_CLOSE: {
      if (body.message) body.message.length += len - i;
      return { end: len };
    }
    case BODY_CHUNKED:
      break;
    default:
      return { end: i };
  }
  const startAt = i;
  let result: SkipResult | undefined;
  while (result === undefined && i < len) {
    switch (body.chunkPhase) {
      case CHUNK_SIZE: {
        const lf = bytes.indexOf(10, i);
        if (lf < 0) {
          result = len - i > MAX_CHUNK_LINE ? { end: i, error: 'chunk-size line too long' } : { end: i };
          break;
        }
        const lineEnd = lf > i && bytes[lf - 1] === 13 ? lf - 1 : lf;
        const size = lf - i > MAX_CHUNK_LINE ? -1 : chunkSize(bytes, i, lineEnd);
        if (size < 0) {
          result = { end: i, error: 'malformed chunk size' };
          break;
        }
        i = lf + 1;
        if (size === 0) {
          body.chunkPhase = CHUNK_TRAILER;
          body.trailerBytes = 0;
        } else {
          body.chunkPhase = CHUNK_DATA;
          body.remaining = size;
        }
        break;
      }
      case CHUNK_DATA: {
        const n = Math.min(body.remaining, len - i);
        body.remaining -= n;
        i += n;
        if (body.remaining === 0) body.chunkPhase = CHUNK_DATA_END;
        break;
      }
      case CHUNK_DATA_END:
        // CRLF after the data; a bare LF or nothing at all is tolerated (senders that forget it exist).
        if (bytes[i] === 13) {
          i++;
          body.chunkPhase = CHUNK_DATA_LF;
        } else {
          if (bytes[i] === 10) i++;
          body.chunkPhase = CHUNK_SIZE;
        }
        break;
      case CHUNK_DATA_LF:
        if (bytes[i] === 10) i++;
        body.chunkPhase = CHUNK_SIZE;
        break;
      default: {
        // Trailer fields until an empty line.
        const lf = bytes.indexOf(10, i);
        if (lf < 0) {
          result = body.trailerBytes + (len - i) > MAX_HEADER_BYTES ? { end: i, error: 'trailers too long' } : { end: i };
          break;
        }
        const empty = lf === i || (lf === i + 1 && bytes[i] === 13);
        body.trailerBytes += lf + 1 - i;
        i = lf + 1;
        if (empty) {
          if (body.message) body.message.length += i - startAt;
          finish(body);
          return { end: i };
        }
        if (body.trailerBytes > MAX_HEADER_BYTES) result = { end: i, error: 'trailers too long' };
        break;
      }
    }
  }
  if (body.message) body.message.length += (result?.end ?? i) - startAt;
  if (result?.error) {
    finish(body);
    return result;
  }
  return result ?? { end: i };
}
