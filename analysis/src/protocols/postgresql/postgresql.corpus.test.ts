// Oracle test: PostgreSQL records extracted through the real pipeline versus tshark's pgsql dissector on the corpora.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { parser } from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const corpora = path.resolve(repoRoot, '../shared/corpora');
const haveCorpora = existsSync(path.join(corpora, 'INDEX.tsv'));
let haveTshark = false;
try {
  execFileSync('tshark', ['-v'], { stdio: 'ignore' });
  haveTshark = true;
} catch {
  haveTshark = false;
}
const ci = process.env.CI === 'true';

interface CorpusFile {
  file: string;
  decodeAs: string[];
  ports: number[];
}

function pgFiles(): CorpusFile[] {
  if (!haveCorpora) return [];
  const rows = readFileSync(path.join(corpora, 'INDEX.tsv'), 'utf8').split('\n').slice(1);
  const out: CorpusFile[] = [];
  for (const row of rows) {
    const cols = row.split('\t');
    if (cols.length < 8 || !/pgsql/.test(cols[6] + cols[7])) continue;
    const decodeAs = [...cols[7].matchAll(/-d (tcp\.port==(\d+),pgsql)/g)];
    out.push({ file: cols[0], decodeAs: decodeAs.map((m) => m[1]), ports: decodeAs.map((m) => Number(m[2])) });
  }
  return out;
}

/** What tshark's messages imply in our model: one request per Startup/SSL/Query/Sync..., one response per cycle. */
interface Expected {
  requests: string[];
  queries: string[];
  parsed: Set<string>;
  responses: number;
  tags: string[];
  codes: string[];
}

/**
 * SQL as compared: we keep 512 characters decoded as UTF-8, tshark decodes the whole text with its own replacement of
 * invalid bytes (a GBK literal in pgsql-all.pcap): compare the first 200 printable ASCII characters.
 */
function comparable(sql: string): string {
  return sql.replace(/[^\x20-\x7e\n\t]/g, '').slice(0, 200);
}

type Layers = Record<string, string[] | undefined>;

const REQUEST_NAMES: Record<string, string> = {
  'Startup message': 'STARTUP', 'SSL request': 'SSL_REQUEST', 'GSS encrypt request': 'GSSENC_REQUEST',
  'Simple query': 'QUERY', 'Function call': 'FUNCTION_CALL', 'Cancel request': 'CANCEL',
};
const BATCH = new Set(['Parse', 'Bind', 'Describe', 'Execute', 'Close', 'Flush']);

function oracle(cf: CorpusFile): Expected {
  const args = ['-r', path.join(corpora, cf.file), ...cf.decodeAs.flatMap((d) => ['-d', d]), '-T', 'json',
    '-e', 'tcp.stream', '-e', 'tcp.srcport', '-e', 'tcp.len', '-e', 'pgsql.type', '-e', 'pgsql.query', '-e', 'pgsql.tag', '-e', 'pgsql.code'];
  const json = JSON.parse(execFileSync('tshark', args, { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }).toString()) as { _source: { layers: Layers } }[];
  const serverPorts = new Set([5432, ...cf.ports]);
  const exp: Expected = { requests: [], queries: [], parsed: new Set(), responses: 0, tags: [], codes: [] };
  const streams = new Map<string, { batch: string | null; cycleOpen: boolean; emitted: boolean; tag?: string; awaitingEnc: boolean; cycleTag?: string }>();
  for (const pkt of json) {
    const l = pkt._source.layers;
    const stream = l['tcp.stream']?.[0] ?? '?';
    const fromServer = serverPorts.has(Number(l['tcp.srcport']?.[0]));
    const len = Number(l['tcp.len']?.[0] ?? 0);
    const s = streams.get(stream) ?? { batch: null, cycleOpen: false, emitted: false, awaitingEnc: false };
    streams.set(stream, s);
    const types = l['pgsql.type'] ?? [];
    if (fromServer && s.awaitingEnc && len === 1) {
      exp.responses++; // the one-byte 'S'/'N' answer to SSLRequest, which tshark shows without a type
      s.awaitingEnc = false;
      continue;
    }
    const tags = [...(l['pgsql.tag'] ?? [])];
    const codes = [...(l['pgsql.code'] ?? [])];
    for (const q of l['pgsql.query'] ?? []) if (!fromServer) exp.parsed.add(comparable(q));
    let queryIdx = 0;
    for (const t of types) {
      if (!fromServer) {
        if (t === 'Simple query' || t === 'Parse') {
          const q = l['pgsql.query']?.[queryIdx++];
          if (t === 'Simple query' && q !== undefined) exp.queries.push(q.slice(0, 512));
        }
        if (REQUEST_NAMES[t] !== undefined) {
          exp.requests.push(REQUEST_NAMES[t]);
          if (t === 'SSL request' || t === 'GSS encrypt request') s.awaitingEnc = true;
        } else if (BATCH.has(t)) {
          if (s.batch === null || (t === 'Execute' && s.batch !== 'EXECUTE')) s.batch = t === 'Execute' ? 'EXECUTE' : s.batch ?? t.toUpperCase();
          if (t === 'Parse' && s.batch !== 'EXECUTE') s.batch = 'PARSE';
        } else if (t === 'Sync') {
          exp.requests.push(s.batch ?? 'SYNC');
          s.batch = null;
        }
        continue;
      }
      s.cycleOpen = true;
      if (t === 'Command completion') s.cycleTag = tags.shift();
      if (t === 'Notice') codes.shift();
      if (s.emitted) {
        if (t === 'Ready for query') s.cycleOpen = s.emitted = false;
        continue;
      }
      if (t === 'Error') {
        exp.responses++;
        exp.codes.push(codes.shift() ?? '');
        s.emitted = true;
        s.cycleTag = undefined;
      } else if (t === 'Ready for query') {
        exp.responses++;
        if (s.cycleTag !== undefined) exp.tags.push(s.cycleTag);
        s.cycleTag = undefined;
        s.cycleOpen = false;
      }
    }
  }
  for (const s of streams.values()) {
    if (s.batch !== null) exp.requests.push(s.batch);
    if (s.cycleOpen && !s.emitted) exp.responses++; // a cycle cut by the end of the capture, flushed at final
  }
  return exp;
}

const files = pgFiles();

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

describe('PostgreSQL corpus oracle (tshark)', () => {
  if (!haveCorpora || !haveTshark) {
    test('corpora and tshark are available', () => {
      const why = !haveCorpora ? `no corpora at ${corpora}` : 'tshark not found';
      if (ci) throw new Error(`PostgreSQL oracle cannot run in CI: ${why}`);
      console.warn(`PostgreSQL oracle skipped: ${why}`);
    });
    return;
  }
  test('the index lists PostgreSQL captures', () => {
    expect(files.length).toBeGreaterThanOrEqual(10);
  });
  test.each(files)('$file', (cf) => {
    const exp = oracle(cf);
    const { records, violations } = extractL7Messages(path.join(corpora, cf.file), parser, { ports: cf.ports });
    const pg = records.filter((r) => r.protocol === 'PostgreSQL');
    const reqs = pg.flatMap((r) => (r.request ? [r.request] : []));
    const resps = pg.flatMap((r) => (r.response ? [r.response] : []));
    console.log(`${cf.file}: ${reqs.length}/${exp.requests.length} requests, ${resps.length}/${exp.responses} responses (ours/tshark), ${pg.length} records, statuses ${JSON.stringify(countBy(pg.map((r) => r.status)))}`);
    // Requests are compared as multisets: records come out per flow, tshark lists packets in capture order.
    expect(reqs.map((m) => m.requestType ?? '').sort()).toEqual([...exp.requests].sort());
    expect(reqs.filter((m) => m.requestType === 'QUERY').map((m) => m.requestResource).sort()).toEqual([...exp.queries].sort());
    for (const m of reqs) {
      if (m.requestType === 'EXECUTE' && m.requestResource !== undefined) expect(exp.parsed.has(comparable(m.requestResource))).toBe(true);
    }
    expect(resps.length).toBe(exp.responses);
    // tshark's pgsql.tag drops the row count ("SELECT" for "SELECT 1") in some versions: compare the command word.
    expect(resps.flatMap((m) => (m.responseResult !== undefined && !m.attributes?.sqlstate && m.attributes?.tls === undefined && m.attributes?.gssenc === undefined ? [m.responseResult] : [])).map((t) => t.split(' ')[0]).sort())
      .toEqual(exp.tags.map((t) => t.split(' ')[0]).sort());
    expect(resps.flatMap((m) => (m.attributes?.sqlstate !== undefined ? [String(m.attributes.sqlstate)] : [])).sort()).toEqual([...exp.codes].sort());
    expect(violations.filter((v) => v.startsWith('l7-invalid') || v.startsWith('l7-parser-error'))).toEqual([]);
  });
});
