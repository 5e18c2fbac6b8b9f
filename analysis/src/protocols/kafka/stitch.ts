// Kafka stitching: by correlation id, plus early release of requests that will never get a response.
import { loneRequest, stitchById } from '../common/stitch.js';
import type { L7Message, StitchResult } from '../types.js';
import { MAX_PENDING, type KafkaState } from './parse.js';

/** Produce with acks=0: the broker never answers (the parser marked it complete, responseStatus 'ok'). */
function unanswered(m: L7Message): boolean {
  return m.requestType === 'Produce' && m.attributes?.acks === 0;
}

/**
 * Pairs by correlation id (unique per connection while in flight). Before the flow ends, acks=0 produce requests
 * are released at once and at most MAX_PENDING requests are kept waiting (the oldest go out as timeouts), so a
 * long connection cannot accumulate messages without bound.
 */
export function stitch(requests: L7Message[], responses: L7Message[], _state: KafkaState, final: boolean): StitchResult {
  const out = stitchById(requests, responses, final);
  if (final) return out;
  let kept = 0;
  for (const req of requests) {
    if (unanswered(req)) out.records.push(loneRequest(req));
    else requests[kept++] = req;
  }
  requests.length = kept;
  if (requests.length > MAX_PENDING) {
    for (const req of requests.splice(0, requests.length - MAX_PENDING)) out.records.push(loneRequest(req));
  }
  return out;
}
