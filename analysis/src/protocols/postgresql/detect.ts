// Heuristic recognition of PostgreSQL v3 traffic from the first payload of a flow (no port match).
import type { FlowDirection } from '../../flows/types.js';

export const PROTOCOL_3_0 = 196608;
export const SSL_REQUEST_CODE = 80877103;
export const CANCEL_REQUEST_CODE = 80877102;
export const GSSENC_REQUEST_CODE = 80877104;

/** Frontend (client) message types of the typed phase. */
export const CLIENT_TYPES = new Set('QPBDESCHXdcfFp'.split('').map((c) => c.charCodeAt(0)));
/** Backend (server) message types. */
export const SERVER_TYPES = new Set('RSKZTDCENGHWdc12n3sItAVv'.split('').map((c) => c.charCodeAt(0)));

/** Largest message we accept as plausible (PostgreSQL itself caps messages at 1 GiB). */
export const MAX_MESSAGE = 1 << 30;

/** Types whose length is fixed: a different length means we are not looking at PostgreSQL (or lost sync). */
export function fixedLength(dir: FlowDirection, type: number): number | undefined {
  const c = String.fromCharCode(type);
  if (dir === 0) return c === 'S' || c === 'H' || c === 'X' || c === 'c' ? 4 : undefined;
  if (c === 'Z') return 5;
  if (c === '1' || c === '2' || c === '3' || c === 'n' || c === 'I' || c === 'c') return 4;
  return undefined;
}

/** Untyped first messages of the client: StartupMessage, SSLRequest, GSSENCRequest, CancelRequest. */
export function untypedCode(bytes: Buffer): number | undefined {
  if (bytes.length < 8) return undefined;
  const len = bytes.readUInt32BE(0);
  const code = bytes.readUInt32BE(4);
  if ((code === SSL_REQUEST_CODE || code === GSSENC_REQUEST_CODE) && len === 8) return code;
  if (code === CANCEL_REQUEST_CODE && len >= 16 && len <= 264) return code;
  // Protocol 3.x startup (3.0, 3.2 ...): parameters make it at least 9 bytes, and it is small.
  if (code >>> 16 === 3 && len >= 9 && len <= 10_000) return code;
  return undefined;
}

export function detectPostgres(dir: FlowDirection, bytes: Buffer): boolean {
  if (dir === 0 && untypedCode(bytes) !== undefined) return true;
  if (bytes.length < 5) return false;
  const type = bytes[0];
  const len = bytes.readUInt32BE(1);
  if (!(dir === 0 ? CLIENT_TYPES : SERVER_TYPES).has(type)) return false;
  const fixed = fixedLength(dir, type);
  if (fixed !== undefined) return len === fixed;
  // Unfixed types: a plausible length, and for a simple query, text that ends with NUL when it is all here.
  if (len < 4 || len > 1 << 24) return false;
  if (dir === 0 && type === 0x51) {
    if (len < 5) return false;
    if (bytes.length >= len + 1 && bytes[len] !== 0) return false;
    // The SQL starts with a letter, a paren, a comment or white space.
    const first = bytes.length > 5 ? bytes[5] : 0x53;
    return /[A-Za-z(\-/\s]/.test(String.fromCharCode(first));
  }
  // Other types are single letters common in text: demand the whole first message with a sane follow-up.
  if (bytes.length < len + 1) return false;
  if (bytes.length === len + 1) return true;
  const next = bytes[len + 1];
  return (dir === 0 ? CLIENT_TYPES : SERVER_TYPES).has(next);
}
