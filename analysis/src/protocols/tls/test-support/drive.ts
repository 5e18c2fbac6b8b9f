// Test support: feeds steps through parse like the L7 stage (pending bytes per direction, bounded loop) and stitches.
import type { L7Message, L7Record, ParseContext } from '../../types.js';
import { parser } from '../index.js';
import type { TlsState } from '../parse.js';
import type { Step } from './fixtures.js';

export interface Driven {
  records: L7Record[];
  invalid: string[];
  errors: string[];
  state: TlsState;
  maxPending: number;
}

export function drive(steps: Step[], final = true, maxLoop = 10_000): Driven {
  const state = parser.newState();
  const pending: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const reqs: L7Message[] = [];
  const resps: L7Message[] = [];
  const records: L7Record[] = [];
  const invalid: string[] = [];
  const errors: string[] = [];
  let maxPending = 0;
  steps.forEach((st, i) => {
    let buf = Buffer.concat([pending[st.dir], st.bytes]);
    const ctx: ParseContext = { tsUs: (i + 1) * 1000, tcpSeq: 0, transport: 'tcp', serverPort: 443 };
    for (let n = 0; n < maxLoop && buf.length > 0; n++) {
      const r = parser.parse(st.dir, buf, state, ctx);
      if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      if (r.status === 'needs-more') break;
      if (r.status === 'invalid') invalid.push(r.error ?? '?');
      if (r.status === 'ok' && r.message) (r.message.type === 'request' ? reqs : resps).push(r.message);
      if (r.consumed === 0) {
        if (r.status === 'invalid') buf = Buffer.alloc(0);
        break;
      }
      buf = buf.subarray(r.consumed);
    }
    pending[st.dir] = Buffer.from(buf);
    maxPending = Math.max(maxPending, buf.length);
    const s = parser.stitch(reqs, resps, state, false);
    records.push(...s.records);
    errors.push(...s.errors);
  });
  if (final) {
    const s = parser.stitch(reqs, resps, state, true);
    records.push(...s.records);
    errors.push(...s.errors);
  }
  return { records, invalid, errors, state, maxPending };
}
