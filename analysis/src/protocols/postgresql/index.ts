// The PostgreSQL (frontend/backend protocol v3) parser: simple and extended queries, startup, SSL negotiation, COPY.
import type { ProtocolParser } from '../types.js';
import { detectPostgres } from './detect.js';
import { parsePg } from './parse.js';
import { stitchPg } from './stitch.js';
import type { PgState } from './types.js';
import { newPgState } from './types.js';

export type { PgState } from './types.js';

/**
 * DeepFlow fields: requestType QUERY / EXECUTE (a Parse…Sync batch) / PARSE / STARTUP / SSL_REQUEST / CANCEL …;
 * requestDomain = database of the StartupMessage; requestResource = SQL (≤ 512 chars; for EXECUTE the prepared
 * statement's SQL); endpoint = its first keyword; responseResult = last CommandComplete tag; responseException =
 * ErrorResponse 'M'; SQLSTATE in attributes.sqlstate (and responseCode when all digits); status from sqlstate.ts.
 * pg-protocol is not used: its Parser accumulates whole messages (a 1 GiB DataRow included) in its own buffer and
 * does not report per-message consumption, and it knows only the backend side.
 */
export const parser: ProtocolParser<PgState> = {
  name: 'PostgreSQL',
  transports: ['tcp'],
  defaultPorts: [5432],
  detect: (dir, bytes) => detectPostgres(dir, bytes),
  newState: newPgState,
  parse: parsePg,
  stitch: stitchPg,
};
