// Redis stitching: in order, after setting aside pushes and requests that get no reply (CLIENT REPLY OFF/SKIP).
import { newRecord } from '../common/message.js';
import { stitchInOrder } from '../common/stitch.js';
import type { L7Message, L7Record, StitchResult } from '../types.js';

export function stitchRedis(requests: L7Message[], responses: L7Message[], final: boolean): StitchResult {
  const records: L7Record[] = [];
  // Pushes are not replies (the L7 stage does not queue them, but a caller might): keep them as lone rows.
  for (let i = 0; i < responses.length; ) {
    if (responses[i].type === 'push') {
      records.push(newRecord(undefined, responses[i], responses[i].responseStatus ?? 'ok'));
      responses.splice(i, 1);
    } else i++;
  }
  // A request sent while replies are off will never be answered: its status cannot be known, and it must not take
  // the reply of a later request.
  for (let i = 0; i < requests.length; ) {
    if (requests[i].attributes?.noReply === 1) {
      records.push(newRecord(requests[i], undefined, 'unknown'));
      requests.splice(i, 1);
    } else i++;
  }
  const r = stitchInOrder(requests, responses, final);
  records.push(...r.records);
  return { records, errors: r.errors };
}
