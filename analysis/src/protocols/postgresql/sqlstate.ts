// SQLSTATE → DeepFlow response status: which error classes are the server's fault and which the client's.
import type { ResponseStatus } from '../types.js';

/**
 * Mapping (PostgreSQL errcodes appendix classes):
 * - server_error: 08 connection exception, 5x (53 insufficient resources, 54 program limit exceeded, 55 object not
 *   in prerequisite state, 57 operator intervention e.g. admin shutdown, 58 system/I/O error), 72 snapshot failure,
 *   F0 configuration file error, HV foreign data wrapper error, P0 PL/pgSQL raise, XX internal error.
 * - client_error: everything else, e.g. 22 data exception, 23 integrity constraint violation, 28 invalid
 *   authorization (wrong password), 42 syntax error or access rule violation, 40 transaction rollback
 *   (serialization failure / deadlock: the client must retry, as DeepFlow classifies it), 0A feature not supported.
 * - ok: classes 00 (success), 01 (warning), 02 (no data): these arrive as notices, not errors, but map safely.
 * A code that is not 5 characters is 'unknown'.
 */
export function statusOfSqlState(code: string | undefined): ResponseStatus {
  if (code === undefined || code.length !== 5) return 'unknown';
  const cls = code.slice(0, 2).toUpperCase();
  if (cls === '00' || cls === '01' || cls === '02') return 'ok';
  if (cls === '08' || cls === '72' || cls === 'F0' || cls === 'HV' || cls === 'P0' || cls === 'XX') return 'server_error';
  if (cls[0] === '5') return 'server_error';
  return 'client_error';
}
