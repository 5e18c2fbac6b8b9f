// Test-only: feeds segments to the parser the way the L7 stage does (append, parse until no progress) and stitches.
import type { L7Message, L7Record, ParseStatus } from '../../types.js';
import { parser } from '../index.js';
import type { Http1State } from '../types.js';
import type { Segment } from './conversation.js';

export interface DriveResult {
  messages: L7Message[];
  records: L7Record[];
  statuses: ParseStatus[];
  errors: string[];
  state: Http1State;
  /** Bytes left unconsumed per direction at the end. */
  leftover: [number, number];
}

/** Parse calls per segment before we call the parser stuck (it must consume ≥ 1 byte or ask for more). */
const MAX_CALLS_PER_SEGMENT = 100_000;

export function drive(segments: Segment[], tsStepUs = 1000): DriveResult {
  const state = parser.newState();
  const pending: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const seq: [number, number] = [1001, 5001];
  const messages: L7Message[] = [];
  const requests: L7Message[] = [];
  const responses: L7Message[] = [];
  const records: L7Record[] = [];
  const statuses: ParseStatus[] = [];
  const errors: string[] = [];
  let ts = 1_700_000_000_000_000;
  for (const s of segments) {
    ts += tsStepUs;
    if (s.lostBefore) {
      // What the L7 stage does on a gap: drop the held bytes, go on at the sequence number after the hole.
      seq[s.dir] = (seq[s.dir] + pending[s.dir].length + s.lostBefore) >>> 0;
      pending[s.dir] = Buffer.alloc(0);
    }
    pending[s.dir] = pending[s.dir].length === 0 ? s.data : Buffer.concat([pending[s.dir], s.data]);
    for (let calls = 0; pending[s.dir].length > 0; calls++) {
      if (calls > MAX_CALLS_PER_SEGMENT) throw new Error('parser made no progress');
      const buf = pending[s.dir];
      const r = parser.parse(s.dir, buf, state, { tsUs: ts, tcpSeq: seq[s.dir], transport: 'tcp', serverPort: 80 });
      statuses.push(r.status);
      if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      if (r.status === 'needs-more') {
        if (r.consumed !== 0) throw new Error('needs-more consumed bytes');
        break;
      }
      if (r.consumed === 0) throw new Error(`${r.status} consumed nothing`);
      if (r.status === 'invalid') errors.push(r.error ?? 'invalid');
      if (r.message) {
        messages.push(r.message);
        (r.message.type === 'response' ? responses : requests).push(r.message);
      }
      seq[s.dir] += r.consumed;
      pending[s.dir] = buf.subarray(r.consumed);
    }
    const st = parser.stitch(requests, responses, state, false);
    records.push(...st.records);
    errors.push(...st.errors);
  }
  const st = parser.stitch(requests, responses, state, true);
  records.push(...st.records);
  errors.push(...st.errors);
  return { messages, records, statuses, errors, state, leftover: [pending[0].length, pending[1].length] };
}
