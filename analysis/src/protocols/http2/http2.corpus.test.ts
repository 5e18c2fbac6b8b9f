// Corpus oracle: every HTTP/2 / gRPC capture of corpora/INDEX.tsv through the real pipeline, compared with tshark.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { parser } from './index.js';
import { hasTshark } from './test-support/h2.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpora = path.resolve(repoRoot, '../shared/corpora');
const available = existsSync(corpora) && hasTshark();
if (!available) {
  if (process.env.CI === 'true') throw new Error(`http2 corpus test: ${existsSync(corpora) ? 'tshark' : corpora} missing on CI`);
  console.log(`http2 corpus test skipped: ${existsSync(corpora) ? 'tshark not installed' : `${corpora} not found`}`);
}

interface Case {
  file: string;
  /** Server port for decode-as (tshark -d tcp.port==P,http2 and the parser's extra ports); 0 = none needed. */
  port: number;
  /** What the capture holds and why both tools see what they see. */
  note?: string;
  /** Deliberate differences: tshark-derived line → ours. */
  differs?: Record<string, string>;
}

const DF = 'deepflow/agent/resources/test/flow_generator/http/';
const cases: Case[] = [
  { file: `${DF}grpc-segmented.pcap`, port: 20035, note: 'request only: the capture stops before the response' },
  { file: `${DF}grpc-server-stream.pcap`, port: 9001, note: 'segments lost (tshark prev_seg_lost): frames after a gap are still found' },
  { file: `${DF}grpc-service-name.pcap`, port: 38888 },
  { file: `${DF}grpc-unary.pcap`, port: 30035, note: 'the response trailers are not in the capture: request times out' },
  { file: `${DF}grpc-unknown.pcap`, port: 7000, note: 'mid-connection: :path was a dynamic-table entry, tshark has no path either' },
  { file: `${DF}h2c_ascii.pcap`, port: 7070 },
  { file: `${DF}http2-multi.pcap`, port: 3550, note: 'mid-connection: :path/:authority missing for both tools' },
  { file: `${DF}httpv2-stream-id.pcap`, port: 11800, note: 'single request frame, no response' },
  { file: 'nDPI/tests/cfgs/default/pcap/http2.pcapng', port: 29518 },
  {
    file: 'scapy/test/pcaps/http2_h2c.pcap',
    port: 0,
    note: 'Upgrade: h2c. Stream 1 was requested in HTTP/1.1 (the HTTP parser owns it; the lead hands over via h2cAfterUpgrade): alone, we skip the HTTP/1 bytes as invalid and report stream 1 as a response without request, as tshark shows no HEADERS request for it either',
  },
  {
    file: 'arkime/tests/pcap/http2-nghttp2.pcap',
    port: 0,
    note: 'prior knowledge on port 80 (NULL linktype), with a server push',
    // Stream 13's HEADERS (PRIORITY, no END_HEADERS) continues in a CONTINUATION of a later segment: tshark 4.0.17
    // stops at "[BoundError Unreassembled Packet: HTTP2]" and shows no header; we join the fragments (RFC 9113 §6.10).
    differs: { '13  ': '13 GET /' },
  },
];

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
interface TFrame {
  fromServer: boolean;
  type: number;
  stream: number;
  flags: number;
  headers: [string, string][];
  promised: number;
}

/** Every object carrying http2.type, in order (tshark nests frames as dicts or lists depending on counts). */
function collectFrames(node: Json, out: { [k: string]: Json }[]): void {
  if (Array.isArray(node)) for (const n of node) collectFrames(n, out);
  else if (node !== null && typeof node === 'object') {
    if ('http2.type' in node) out.push(node);
    else for (const v of Object.values(node)) collectFrames(v, out);
  }
}

function headersOf(f: { [k: string]: Json }): [string, string][] {
  const h = f['http2.header'];
  const list = Array.isArray(h) ? h : h !== undefined && h !== null ? [h] : [];
  return list.flatMap((x) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? [[String(x['http2.header.name'] ?? ''), String(x['http2.header.value'] ?? '')] as [string, string]] : []));
}

function tsharkFrames(file: string, port: number): TFrame[] {
  const args = ['-r', file, '-Y', 'http2', '-T', 'json', '--no-duplicate-keys'];
  if (port) args.push('-d', `tcp.port==${port},http2`);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 << 20 });
  const pkts = JSON.parse(out) as { _source: { layers: { [k: string]: Json } } }[];
  const frames: TFrame[] = [];
  const serverPort = port || 80;
  for (const p of pkts) {
    const tcp = p._source.layers.tcp as { [k: string]: Json };
    const fromServer = Number(tcp['tcp.srcport']) === serverPort;
    const raw: { [k: string]: Json }[] = [];
    collectFrames(p._source.layers.http2, raw);
    for (const f of raw) {
      frames.push({
        fromServer,
        type: Number(f['http2.type']),
        stream: Number(f['http2.streamid']),
        flags: Number(f['http2.flags']),
        headers: headersOf(f),
        promised: Number(f['http2.push_promise.promised_stream_id'] ?? 0),
      });
    }
  }
  return frames;
}

interface Expect {
  requests: string[];
  responses: string[];
}

/** Requests/responses by the parser's rules, from tshark's frames: a client HEADERS opens, a server END_STREAM or RST closes. */
function fromTshark(frames: TFrame[]): Expect {
  const requests: string[] = [];
  const responses: string[] = [];
  const open = new Map<number, { status?: string; grpc?: string; requested: boolean }>();
  const get = (h: [string, string][], n: string) => h.find(([k]) => k === n)?.[1];
  for (const f of frames) {
    if (f.type === 5 && f.fromServer) {
      requests.push(`${f.promised} ${get(f.headers, ':method') ?? ''} ${get(f.headers, ':path') ?? ''}`);
      open.set(f.promised, { requested: true });
      continue;
    }
    if (f.type === 1) {
      let s = open.get(f.stream);
      if (!f.fromServer) {
        if (s?.requested) continue;
        requests.push(`${f.stream} ${get(f.headers, ':method') ?? ''} ${get(f.headers, ':path') ?? ''}`);
        open.set(f.stream, { requested: true });
        continue;
      }
      if (!s) open.set(f.stream, (s = { requested: false }));
      s.status ??= get(f.headers, ':status');
      s.grpc = get(f.headers, 'grpc-status') ?? s.grpc;
    }
    const s = open.get(f.stream);
    if (!s) continue;
    const ends = (f.fromServer && (f.type === 0 || f.type === 1) && (f.flags & 1) !== 0) || f.type === 3;
    if (ends) {
      responses.push(`${f.stream} ${s.status ?? ''} ${s.grpc ?? ''}`);
      open.delete(f.stream);
    }
  }
  return { requests, responses };
}

describe.runIf(available)('HTTP/2 corpus vs tshark 4.0.17', () => {
  test.each(cases)('$file', ({ file, port, differs }) => {
    const full = path.join(corpora, file);
    const { records, violations } = extractL7Messages(full, parser, { ports: port ? [port] : [] });
    const want = fromTshark(tsharkFrames(full, port));
    const fix = (l: string) => differs?.[l] ?? l;
    want.requests = want.requests.map(fix);
    want.responses = want.responses.map(fix);
    const byId = (a: string, b: string) => Number(a.split(' ')[0]) - Number(b.split(' ')[0]) || a.localeCompare(b);
    const ours: Expect = {
      requests: records.flatMap((r) => (r.request ? [`${r.request.requestId} ${r.request.requestType ?? ''} ${r.request.requestResource ?? ''}`] : [])),
      responses: records.flatMap((r) => {
        const m = r.response;
        if (!m) return [];
        return [`${m.requestId} ${m.attributes?.http_status ?? ''} ${m.attributes?.grpc_status ?? ''}`];
      }),
    };
    expect(ours.requests.sort(byId)).toEqual(want.requests.sort(byId));
    expect(ours.responses.sort(byId)).toEqual(want.responses.sort(byId));
    // No stitch-level surprises beyond what mid-connection captures explain.
    for (const v of violations) expect(v).toMatch(/dynamic table|gap|invalid|without request|parsing stopped/);
  });
});
