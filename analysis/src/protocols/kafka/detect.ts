// Kafka heuristic: a plausible request header (size, api key, version, correlation id, client id) at the start.
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';
import { API_NAMES, MAX_SIZE } from './tables.js';

/** Highest api_version any broker speaks today is 17 (Fetch); leave some room. */
const MAX_VERSION = 20;

/**
 * Whether `bytes` start with a plausible request: size in range, known api key, small version, non-negative
 * correlation id, and a client id that is null or a short printable string.
 */
export function looksLikeRequest(bytes: Buffer): boolean {
  if (bytes.length < 14) return false;
  const size = bytes.readInt32BE(0);
  if (size < 10 || size > MAX_SIZE) return false;
  const key = bytes.readInt16BE(4);
  const version = bytes.readInt16BE(6);
  const corr = bytes.readInt32BE(8);
  if (key < 0 || key >= API_NAMES.length || version < 0 || version > MAX_VERSION || corr < 0) return false;
  if (key === 7 && version === 0) return true; // header v0: nothing more to check
  const idLen = bytes.readInt16BE(12);
  if (idLen === -1) return true;
  if (idLen < 0 || idLen > 255 || 14 + idLen > size + 4) return false;
  const end = Math.min(bytes.length, 14 + idLen);
  for (let i = 14; i < end; i++) {
    const c = bytes[i];
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/**
 * Only requests are recognised (a response, size + correlation id + body, has nothing distinctive), in either
 * direction: when the flow table guessed the sides wrong (mid-stream capture, no handshake) the client's first
 * bytes arrive as direction 1, and the parser swaps roles (see parse.ts).
 */
export function detect(_dir: FlowDirection, bytes: Buffer, _ctx: ParseContext): boolean {
  return looksLikeRequest(bytes);
}
