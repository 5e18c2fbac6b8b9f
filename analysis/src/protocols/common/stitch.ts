// Stitching strategies shared by protocols: in-order (HTTP/1, Redis, MySQL, PostgreSQL) and by id (DNS, HTTP/2, Kafka).
import type { L7Message, L7Record, ResponseStatus, StitchResult } from '../types.js';
import { newRecord } from './message.js';

function pairStatus(res: L7Message): ResponseStatus {
  return res.responseStatus ?? 'unknown';
}

/** A request nobody answered: timeout when the flow ended while waiting, as DeepFlow reports it. */
export function loneRequest(req: L7Message): L7Record {
  return newRecord(req, undefined, req.responseStatus ?? 'timeout');
}

export function loneResponse(res: L7Message): L7Record {
  return newRecord(undefined, res, pairStatus(res));
}

/** The result of a stitch that found nothing to do (shared, never changed). */
const NO_ERRORS = Object.freeze([]) as unknown as string[];
const NOTHING: StitchResult = Object.freeze({ records: Object.freeze([]) as unknown as L7Record[], errors: NO_ERRORS });

/**
 * Empties an array. Usually it holds one message: pop() is inlined, where `length = 0` goes through the runtime's
 * length setter (measured: 60 ms of the benchmark import's importing thread).
 */
function clear(a: L7Message[]): void {
  if (a.length === 1) a.pop();
  else if (a.length > 0) a.length = 0;
}

/**
 * Pairs requests and responses in order (one response per request, pipelining allowed). A response that starts
 * before the oldest waiting request is a response without request.
 */
export function stitchInOrder(requests: L7Message[], responses: L7Message[], final: boolean): StitchResult {
  // A request alone (the usual call after a request arrived): nothing to pair yet, and nothing to allocate.
  if (responses.length === 0 && !final) return NOTHING;
  // One request and its response (the usual call after a response arrived): a one-element array, not one grown by
  // push (which allocates room for 17), and the shared empty error list.
  if (requests.length === 1 && responses.length === 1 && requests[0].tsUs <= responses[0].tsUs) {
    const res = responses.pop() as L7Message;
    const rec = newRecord(requests.pop() as L7Message, res, pairStatus(res));
    return { records: [rec], errors: NO_ERRORS };
  }
  const records: L7Record[] = [];
  const errors: string[] = [];
  let r = 0;
  let q = 0;
  while (q < responses.length) {
    const res = responses[q];
    if (r < requests.length && requests[r].tsUs <= res.tsUs) {
      records.push(newRecord(requests[r], res, pairStatus(res)));
      r++;
      q++;
    } else if (r >= requests.length && !final) {
      break; // the request may still arrive (e.g. captured out of order across directions)
    } else {
      records.push(loneResponse(res));
      errors.push('response without request');
      q++;
    }
  }
  // Usually everything pairs up: truncate rather than splice (which allocates the array of removed elements).
  if (r === requests.length) clear(requests);
  else if (r > 0) requests.splice(0, r);
  if (q === responses.length) clear(responses);
  else if (q > 0) responses.splice(0, q);
  if (final) {
    for (const req of requests) records.push(loneRequest(req));
    requests.length = 0;
  }
  return { records, errors };
}

/** Pairs by requestId (first request with that id ↔ first response with it). */
export function stitchById(requests: L7Message[], responses: L7Message[], final: boolean): StitchResult {
  const records: L7Record[] = [];
  const errors: string[] = [];
  for (let q = 0; q < responses.length; ) {
    const res = responses[q];
    const i = requests.findIndex((req) => req.requestId === res.requestId);
    if (i >= 0) {
      records.push(newRecord(requests[i], res, pairStatus(res)));
      requests.splice(i, 1);
      responses.splice(q, 1);
    } else if (final) {
      records.push(loneResponse(res));
      errors.push(`response without request (id ${res.requestId ?? '?'})`);
      responses.splice(q, 1);
    } else {
      q++;
    }
  }
  if (final) {
    for (const req of requests) records.push(loneRequest(req));
    requests.length = 0;
  }
  return { records, errors };
}
