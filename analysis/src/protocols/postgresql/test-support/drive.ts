// Test support: feeds segments to the parser like the L7 stage does (per-direction buffer, parse loop, stitch).
import type { L7Message, L7Record, ParseContext, ParseStatus } from '../../types.js';
import { parser } from '../index.js';
import type { PgState } from '../types.js';
import type { Segment } from './pcap.js';

export interface Driven {
  state: PgState;
  records: L7Record[];
  messages: L7Message[];
  statuses: ParseStatus[];
  errors: string[];
  /** Largest number of bytes held back waiting for more. */
  maxHeld: number;
}

export const MAX_ITERATIONS = 100_000;

export function drive(segments: Segment[], final = true, state: PgState = parser.newState()): Driven {
  const held: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const out: Driven = { state, records: [], messages: [], statuses: [], errors: [], maxHeld: 0 };
  const requests: L7Message[] = [];
  const responses: L7Message[] = [];
  const seq: [number, number] = [1000, 5000];
  segments.forEach((seg, i) => {
    let buf = Buffer.concat([held[seg.dir], seg.data]);
    let base = seq[seg.dir] - held[seg.dir].length;
    seq[seg.dir] += seg.data.length;
    for (let n = 0; n < MAX_ITERATIONS && buf.length > 0; n++) {
      const ctx: ParseContext = { tsUs: (i + 1) * 1000, tcpSeq: base >>> 0, transport: 'tcp', serverPort: 5432 };
      const r = parser.parse(seg.dir, buf, state, ctx);
      if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      out.statuses.push(r.status);
      if (r.status === 'needs-more') break;
      if (r.status === 'invalid') {
        out.errors.push(r.error ?? '');
        if (r.consumed < 1) throw new Error('invalid consumed nothing');
      }
      if (r.status === 'ok' && r.message) {
        out.messages.push(r.message);
        if (r.message.type === 'request') requests.push(r.message);
        if (r.message.type === 'response') responses.push(r.message);
      }
      if (r.consumed === 0) break;
      buf = buf.subarray(r.consumed);
      base += r.consumed;
    }
    held[seg.dir] = Buffer.from(buf);
    out.maxHeld = Math.max(out.maxHeld, buf.length);
    const s = parser.stitch(requests, responses, state, false);
    out.records.push(...s.records);
    out.errors.push(...s.errors);
  });
  if (final) {
    const s = parser.stitch(requests, responses, state, true);
    out.records.push(...s.records);
    out.errors.push(...s.errors);
  }
  return out;
}
