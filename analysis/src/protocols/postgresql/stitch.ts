// Pairs PostgreSQL requests and responses in order; at the end of a flow, flushes what the parser still holds.
import { stitchInOrder } from '../common/stitch.js';
import type { L7Message, StitchResult } from '../types.js';
import { batchRequest, endCycle } from './parse.js';
import type { PgState } from './types.js';

function insertByTime(list: L7Message[], m: L7Message): void {
  let i = list.length;
  while (i > 0 && list[i - 1].tsUs > m.tsUs) i--;
  list.splice(i, 0, m);
}

export function stitchPg(requests: L7Message[], responses: L7Message[], st: PgState, final: boolean): StitchResult {
  if (final) {
    // A batch never closed by Sync, or a response cycle cut before ReadyForQuery (truncated capture, client gone
    // mid-authentication): report them rather than lose them. The cut response's status is unknown.
    if (st.batch !== null) {
      insertByTime(requests, batchRequest(st, st.batch, { tsUs: st.batch.tsUs, tcpSeq: st.batch.tcpSeq }, 0));
      st.batch = null;
    }
    if (st.cycle !== null) {
      if (!st.cycle.emitted) {
        const m = endCycle(st, st.cycle, { tsUs: st.cycle.tsUs });
        m.responseStatus = 'unknown';
        (m.attributes ??= {}).incomplete = 1;
        insertByTime(responses, m);
      }
      st.cycle = null;
    }
  }
  return stitchInOrder(requests, responses, final);
}
