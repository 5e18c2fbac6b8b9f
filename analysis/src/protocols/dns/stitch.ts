// Pairs DNS queries and responses by id; a second response to an already answered id becomes a lone record.
import { newRecord } from '../common/message.js';
import { stitchById } from '../common/stitch.js';
import type { L7Message, L7Record, StitchResult } from '../types.js';
import { ANSWERED_IDS_CAP } from './types.js';
import type { DnsState } from './types.js';

function remember(state: DnsState, id: number): void {
  const ids = state.answeredIds;
  const at = ids.indexOf(id);
  if (at >= 0) ids.splice(at, 1);
  ids.push(id);
  if (ids.length > ANSWERED_IDS_CAP) ids.shift();
}

/**
 * Resolvers and middleboxes sometimes answer twice (zeek's dns-two-responses.pcap). The first response with the
 * id pairs with the query; a later one, with no query waiting under that id, is reported right away as a lone
 * response (status from its rcode) with the error 'duplicate response', instead of waiting for the flow's end.
 */
export function stitchDns(requests: L7Message[], responses: L7Message[], state: DnsState, final: boolean): StitchResult {
  const records: L7Record[] = [];
  const errors: string[] = [];
  const takeDuplicates = (): void => {
    for (let q = 0; q < responses.length; ) {
      const res = responses[q];
      const id = res.requestId ?? -1;
      if (state.answeredIds.includes(id) && !requests.some((r) => r.requestId === id && r.tsUs <= res.tsUs)) {
        records.push(newRecord(undefined, res, res.responseStatus ?? 'unknown'));
        errors.push(`duplicate response (id ${id})`);
        responses.splice(q, 1);
      } else {
        q++;
      }
    }
  };
  const collect = (r: StitchResult): void => {
    for (const rec of r.records) if (rec.request && rec.response) remember(state, rec.response.requestId ?? -1);
    records.push(...r.records);
    errors.push(...r.errors);
  };
  takeDuplicates();
  collect(stitchById(requests, responses, false));
  // A repeat that sat in the same batch as its first response is only recognisable after that pairing.
  takeDuplicates();
  if (final) collect(stitchById(requests, responses, true));
  return { records, errors };
}
