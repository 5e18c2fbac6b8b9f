// Test-only: builds HTTP/2 frames and HPACK blocks, lays them into a pcap for tshark, and drives the parser like the L7 stage.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eth, ipv4, tcp } from '../../../decode/test-support/frames.js';
import { writePcap } from '../../../decode/test-support/capture-file.js';
import type { L7Message, L7Record, ParseContext, ParseStatus } from '../../types.js';
import { HUFFMAN_CODES } from '../hpack-tables.js';
import { parser } from '../index.js';
import type { Http2State } from '../parse.js';

export const PORT = 50051;

export function frame(type: number, flags: number, sid: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(sid, 5);
  return Buffer.concat([h, payload]);
}

function int(v: number, prefix: number, first: number): number[] {
  const max = (1 << prefix) - 1;
  if (v < max) return [first | v];
  const out = [first | max];
  v -= max;
  while (v >= 128) {
    out.push((v % 128) + 128);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

export function huffmanEncode(s: string): Buffer {
  const out: number[] = [];
  let acc = 0;
  let n = 0;
  for (const ch of Buffer.from(s, 'latin1')) {
    const bits = HUFFMAN_CODES[2 * ch];
    const code = HUFFMAN_CODES[2 * ch + 1];
    for (let b = bits - 1; b >= 0; b--) {
      acc = (acc << 1) | (Math.floor(code / 2 ** b) % 2);
      if (++n === 8) {
        out.push(acc);
        acc = 0;
        n = 0;
      }
    }
  }
  if (n > 0) out.push((acc << (8 - n)) | ((1 << (8 - n)) - 1));
  return Buffer.from(out);
}

function str(s: string, huffman: boolean): Buffer {
  const raw = huffman ? huffmanEncode(s) : Buffer.from(s, 'latin1');
  return Buffer.concat([Buffer.from(int(raw.length, 7, huffman ? 0x80 : 0)), raw]);
}

/** Indexed header field (static 1..61 or dynamic 62+). */
export const idx = (i: number): Buffer => Buffer.from(int(i, 7, 0x80));

/** Literal field; `nameIndex` 0 = new name. `index` = with incremental indexing (else without indexing). */
export function lit(name: string | number, value: string, opts: { index?: boolean; huffman?: boolean } = {}): Buffer {
  const ni = typeof name === 'number' ? name : 0;
  const head = opts.index ? int(ni, 6, 0x40) : int(ni, 4, 0x00);
  const parts: Buffer[] = [Buffer.from(head)];
  if (typeof name === 'string') parts.push(str(name, opts.huffman ?? false));
  parts.push(str(value, opts.huffman ?? false));
  return Buffer.concat(parts);
}

export const block = (...fields: Buffer[]): Buffer => Buffer.concat(fields);

export interface Segment {
  dir: 0 | 1;
  data: Buffer;
}

export function conversationPcap(segments: Segment[], serverPort = PORT): Buffer {
  const client = '10.0.0.1';
  const server = '10.0.0.2';
  const cport = 40000;
  let cseq = 1000;
  let sseq = 5000;
  const frames: Buffer[] = [];
  frames.push(eth(0x0800, ipv4({ src: client, dst: server, proto: 6 }, tcp({ sp: cport, dp: serverPort, seq: cseq++, ack: 0, flags: 0x02 }))));
  frames.push(eth(0x0800, ipv4({ src: server, dst: client, proto: 6 }, tcp({ sp: serverPort, dp: cport, seq: sseq++, ack: cseq, flags: 0x12 }))));
  frames.push(eth(0x0800, ipv4({ src: client, dst: server, proto: 6 }, tcp({ sp: cport, dp: serverPort, seq: cseq, ack: sseq, flags: 0x10 }))));
  for (const s of segments) {
    if (s.dir === 0) {
      frames.push(eth(0x0800, ipv4({ src: client, dst: server, proto: 6 }, tcp({ sp: cport, dp: serverPort, seq: cseq, ack: sseq, flags: 0x18 }, s.data))));
      cseq += s.data.length;
    } else {
      frames.push(eth(0x0800, ipv4({ src: server, dst: client, proto: 6 }, tcp({ sp: serverPort, dp: cport, seq: sseq, ack: cseq, flags: 0x18 }, s.data))));
      sseq += s.data.length;
    }
  }
  return writePcap(1, frames);
}

export function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** tshark's view (one line per packet, fields tab-separated, repeated values comma-separated). */
export function tshark(file: string, fields: string[], decodeAsPort?: number): string[] {
  const args = ['-r', file, '-Y', 'http2', '-T', 'fields', ...fields.flatMap((f) => ['-e', f])];
  if (decodeAsPort !== undefined) args.push('-d', `tcp.port==${decodeAsPort},http2`);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
  return out.split('\n').filter((l) => l.trim() !== '');
}

export function tsharkSegments(segments: Segment[], fields: string[]): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'http2-'));
  try {
    const file = path.join(dir, 'c.pcap');
    writeFileSync(file, conversationPcap(segments));
    return tshark(file, fields, PORT);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface DriveResult {
  messages: L7Message[];
  statuses: ParseStatus[];
  records: L7Record[];
  errors: string[];
  state: Http2State;
}

export const ctxAt = (tsUs: number, tcpSeq = 0): ParseContext => ({ tsUs, tcpSeq, transport: 'tcp', serverPort: PORT });

/** Feeds segments as the L7 stage does (append, parse until needs-more / empty), then stitches with final=true. */
export function drive(segments: Segment[], state: Http2State = parser.newState(), maxCalls = 100_000): DriveResult {
  const pending: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  const messages: L7Message[] = [];
  const statuses: ParseStatus[] = [];
  const errors: string[] = [];
  let ts = 1_000_000;
  for (const s of segments) {
    ts += 1000;
    let buf = Buffer.concat([pending[s.dir], s.data]);
    for (let n = 0; n < maxCalls && buf.length > 0; n++) {
      const r = parser.parse(s.dir, buf, state, ctxAt(ts));
      if (r.consumed < 0 || r.consumed > buf.length) throw new Error(`consumed ${r.consumed} of ${buf.length}`);
      statuses.push(r.status);
      if (r.status === 'needs-more') break;
      if (r.status === 'invalid') {
        if (r.consumed < 1) throw new Error('invalid without progress');
        errors.push(r.error ?? 'invalid');
      }
      if (r.message) messages.push(r.message);
      if (r.consumed === 0) throw new Error(`${r.status} consumed 0`);
      buf = buf.subarray(r.consumed);
    }
    pending[s.dir] = Buffer.from(buf);
  }
  const requests = messages.filter((m) => m.type === 'request');
  const responses = messages.filter((m) => m.type === 'response');
  const st = parser.stitch(requests, responses, state, true);
  return { messages, statuses, records: st.records, errors: [...errors, ...st.errors], state };
}
