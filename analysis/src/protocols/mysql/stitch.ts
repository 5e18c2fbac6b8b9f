// MySQL stitching: in order, one response per command; commands the server never answers (COM_QUIT, COM_STMT_CLOSE) stand alone.
import { newRecord } from '../common/message.js';
import { loneRequest, loneResponse } from '../common/stitch.js';
import type { L7Message, L7Record, StitchResult } from '../types.js';
import { NO_RESPONSE_COMMANDS } from './parse.js';

export function stitch(requests: L7Message[], responses: L7Message[], final: boolean): StitchResult {
  const records: L7Record[] = [];
  const errors: string[] = [];
  let r = 0;
  let q = 0;
  for (;;) {
    const req = r < requests.length ? requests[r] : undefined;
    if (req && NO_RESPONSE_COMMANDS.has(req.requestType ?? '')) {
      records.push(loneRequest(req));
      r++;
      continue;
    }
    if (q >= responses.length) break;
    const res = responses[q];
    if (req && req.tsUs <= res.tsUs) {
      records.push(newRecord(req, res, res.responseStatus ?? 'unknown'));
      r++;
      q++;
    } else if (!req && !final) {
      break; // the request may still come (directions captured out of order)
    } else {
      records.push(loneResponse(res));
      // A server refusing the connection sends an ERR instead of its greeting: no request there by design.
      if (res.requestType !== 'LOGIN') errors.push('response without request');
      q++;
    }
  }
  requests.splice(0, r);
  responses.splice(0, q);
  if (final) {
    for (const req of requests) records.push(loneRequest(req));
    requests.length = 0;
  }
  return { records, errors };
}
