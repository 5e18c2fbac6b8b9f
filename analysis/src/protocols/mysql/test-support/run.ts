// Drives the MySQL parser like the L7 stage does: per-direction buffers, parse until needs-more, stitch at the end.
import type { L7Message, L7Record, ParseContext, ParseResult } from '../../types.js';
import { parser } from '../index.js';
import type { MysqlState } from '../parse.js';

export interface Run {
  messages: L7Message[];
  results: ParseResult[];
  records: L7Record[];
  errors: string[];
  state: MysqlState;
}

/** Feeds segments (optionally chopped into `chunk`-byte pieces) and stitches with final=true. */
export function run(segments: { dir: 0 | 1; data: Buffer }[], chunk = 0, state: MysqlState = parser.newState()): Run {
  const held: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const messages: L7Message[] = [];
  const results: ParseResult[] = [];
  const requests: L7Message[] = [];
  const responses: L7Message[] = [];
  let ts = 1_000_000;
  for (const { dir, data } of segments) {
    const pieces: Buffer[] = [];
    if (chunk > 0) for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk));
    else pieces.push(data);
    for (const piece of pieces) {
      ts += 10;
      let buf = Buffer.concat([held[dir], piece]);
      for (let n = 0; n < 10_000 && buf.length > 0; n++) {
        const ctx: ParseContext = { tsUs: ts, tcpSeq: 0, transport: 'tcp', serverPort: 3306 };
        const r = parser.parse(dir, buf, state, ctx);
        if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
        if (r.status === 'needs-more') break;
        results.push(r);
        if (r.status === 'ok' && r.message) {
          messages.push(r.message);
          if (r.message.type === 'request') requests.push(r.message);
          if (r.message.type === 'response') responses.push(r.message);
        }
        if (r.consumed === 0) break;
        buf = buf.subarray(r.consumed);
      }
      held[dir] = Buffer.from(buf);
    }
  }
  const s = parser.stitch(requests, responses, state, true);
  return { messages, results, records: s.records, errors: s.errors, state };
}

/** One row per record: what the l7_flow_log row would show. */
export function summarize(records: L7Record[]): (string | number | undefined)[][] {
  return records.map((r) => [
    r.request?.requestType ?? r.response?.requestType,
    r.request?.endpoint,
    r.request?.requestResource,
    r.request?.requestDomain,
    r.response?.responseResult,
    r.response?.responseCode,
    r.response?.responseException,
    r.status,
  ]);
}
