// Corpus oracle: HTTP/1 records from the real import path (extractL7Messages) against tshark 4.0.17 on the same captures.
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { corpusDir, corpusUnavailableReason, isCI, runTshark } from '../../test-support/corpus.js';
import { parser } from './index.js';

interface Case {
  file: string;
  /** Extra server ports, as tshark's `-d tcp.port==N,http`. */
  ports?: number[];
  /** Why l7-invalid violations are expected (otherwise there must be none). */
  invalid?: string;
  /** Where we differ from tshark on purpose: [requests, responses] we expect, and why. */
  expect?: { requests: number; responses: number; why: string };
}

const Z = 'zeek/testing/btest/Traces/http/';
const cases: Case[] = [
  { file: `${Z}pipelined-requests.pcap` },
  { file: `${Z}get.pcap` },
  // tshark shows 2 responses (100 Continue, 200): interim 1xx are left out of the comparison, see tCodes below.
  { file: `${Z}100-continue.pcap` },
  // Request lines mangled on purpose ('GET/HTTP/1.1', non-ASCII methods): tshark and we reject the same 22.
  { file: `${Z}methods.pcap`, invalid: 'mangled request lines' },
  { file: `${Z}get-gzip.pcap` },
  { file: `${Z}byteranges.pcap` },
  { file: `${Z}websocket.pcap` },
  { file: `${Z}docker-http-upgrade.pcap`, ports: [2375] },
  { file: `${Z}http-single-conn-22.pcap`, ports: [22] },
  {
    file: `${Z}1000-requests-one-dropped-response.pcap.gz`,
    invalid: 'the segment with the first response header is the one dropped: the server side starts mid-body',
  },
  { file: `${Z}no_crlf.pcap` },
  {
    file: `${Z}206_example_b.pcap`,
    expect: {
      requests: 3, responses: 3,
      why: 'tshark never completes reassembly of the third 206 body (out-of-order / zero-window mess) and so never shows ' +
        'that response (it does with tcp.desegment_tcp_streams:FALSE); we report a response once its header is parsed',
    },
  },
  { file: `${Z}http-post-large.pcap` },
  {
    file: `${Z}bro.org.pcap`,
    expect: {
      requests: 31, responses: 31,
      why: 'a 7240-byte capture gap falls inside a Content-Length body on port 55081: tshark cannot reassemble that ' +
        'response and drops it; we count the gap into the body and keep the framing',
    },
  },
  {
    file: `${Z}261/variant-01-chunk_2pow64_overflow.pcap`,
    invalid: 'chunk size 2^64',
    expect: {
      requests: 2, responses: 0,
      why: 'chunk size 2^64 is refused (an l7 violation) and we resynchronise on the smuggled "GET /smuggled-chunk-2pow64" ' +
        'that follows; tshark marks the POST malformed and shows only it. Showing the smuggled request is the point',
    },
  },
  { file: `${Z}261/variant-04-te_cl_desync.pcap` },
  { file: `${Z}261/variant-10-multi_value_te.pcap` },
  { file: 'zeek/testing/btest/Traces/web.pcap' },
  { file: 'zeek/testing/btest/Traces/wikipedia.pcap' },
  { file: 'zeek/testing/btest/Traces/http-vlan-0.pcap' },
  { file: 'zeek/testing/btest/Traces/tcp/missing-syn.pcap' },
  { file: 'zeek/testing/btest/Traces/tcp/tcp-fast-open.pcap' },
  { file: 'zeek/testing/btest/Traces/tunnels/vxlan-encapsulated-http.pcap' },
  {
    file: 'zeek/testing/btest/Traces/erspan.pcap',
    expect: {
      requests: 22, responses: 17,
      why: 'capture gaps (prev_seg_lost in 3 streams) fall inside Content-Length bodies: tshark drops those 3 responses, ' +
        'we count the gap into the body and keep parsing',
    },
  },
  { file: 'deepflow/agent/resources/test/flow_generator/http/httpv1.pcap' },
  { file: 'deepflow/agent/resources/test/flow_generator/http/istio-tcp-frag.pcap' },
  { file: 'deepflow/agent/resources/test/flow_generator/http.pcap' },
  { file: 'deepflow/agent/resources/test/flow_generator/client-keep-alive.pcap' },
];

/** Methods, URIs and status codes of the HTTP messages tshark shows (several in one frame are joined with '|'). */
function tsharkHttp(abs: string, ports: number[] | undefined): { methods: string[]; uris: string[]; codes: string[] } {
  const args = ['-r', abs, '-Y', 'http.request || http.response', '-T', 'fields', '-E', 'aggregator=|',
    '-e', 'http.request.method', '-e', 'http.request.uri', '-e', 'http.response.code'];
  for (const p of ports ?? []) args.push('-d', `tcp.port==${p},http`);
  const out = { methods: [] as string[], uris: [] as string[], codes: [] as string[] };
  for (const line of runTshark(args).split('\n')) {
    if (line === '') continue;
    const [m, u, c] = line.split('\t');
    if (m) {
      out.methods.push(...m.split('|'));
      out.uris.push(...(u ?? '').split('|')); // a request without URI ('OPTIONS' alone) gives ''
    }
    if (c) out.codes.push(...c.split('|'));
  }
  return out;
}

const sorted = (xs: (string | number | undefined)[]): string[] => xs.map(String).sort();

describe('HTTP/1 corpus oracle (tshark)', () => {
  const reason = corpusUnavailableReason();
  test.each(cases)('$file', ({ file, ports, invalid: invalidWhy, expect: differs }) => {
    if (reason) {
      if (isCI) throw new Error(reason);
      console.warn(`HTTP/1 corpus oracle not run: ${reason}`);
      return;
    }
    const abs = path.join(corpusDir, file);
    const { records, violations } = extractL7Messages(abs, parser, { ports });
    const invalid = violations.filter((v) => v.startsWith('l7-invalid'));
    if (invalidWhy === undefined) expect(invalid, file).toEqual([]);
    else expect(invalid.length, invalidWhy).toBeGreaterThan(0);
    const requests = records.filter((r) => r.request).map((r) => r.request!);
    const responses = records.filter((r) => r.response).map((r) => r.response!);
    const t = tsharkHttp(abs, ports);
    const tMethods = t.methods;
    const tUris = t.uris;
    // Interim responses (1xx but 101) are not answers: the parser skips them and pairs the final response.
    const tCodes = t.codes.filter((c) => c === '101' || !c.startsWith('1'));
    const summary = `${file}: ours ${requests.length}/${responses.length}, tshark ${tMethods.length}/${tCodes.length}`;
    console.log(summary);
    const ourCodes = responses.map((m) => m.responseCode);
    if (differs) {
      expect([requests.length, responses.length], differs.why).toEqual([differs.requests, differs.responses]);
      // What tshark shows, we show too.
      for (const c of new Set(tCodes)) expect(ourCodes.filter((x) => String(x) === c).length).toBeGreaterThanOrEqual(tCodes.filter((x) => x === c).length);
    } else {
      expect(sorted(ourCodes), summary).toEqual(sorted(tCodes));
    }
    if (!differs || differs.requests === tMethods.length) {
      expect(sorted(requests.map((m) => m.requestType)), summary).toEqual(sorted(tMethods));
      expect(sorted(requests.map((m) => m.requestResource)), summary).toEqual(sorted(tUris));
    }
  });
});
