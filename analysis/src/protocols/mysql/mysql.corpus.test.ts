// Corpus oracle: our MySQL records against tshark 4.0's mysql dissector on every MySQL capture of the public corpus.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { extractL7Messages, type ExtractedRecord } from '../../l7/test-support/extract.js';
import { corpusUnavailableReason, isCI, loadCorpusIndex, type CorpusEntry } from '../../test-support/corpus.js';
import { COM_NAMES } from './parse.js';
import { parser } from './index.js';

const reason = corpusUnavailableReason();
if (reason && isCI) throw new Error(`MySQL corpus oracle cannot run in CI: ${reason}`);
if (reason) console.warn(`MySQL corpus oracle skipped: ${reason}`);

const entries: CorpusEntry[] = reason ? [] : loadCorpusIndex().filter((e) => /mysql/i.test(e.file) || /\bmysql:/.test(e.protocols));

interface Tshark {
  commands: string[];
  queries: string[];
  errorCodes: number[];
}

function tshark(e: CorpusEntry): Tshark {
  const args = ['-r', e.abs, ...e.decodeAs.flatMap((d) => ['-d', d]), '-Y', 'mysql', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=|', '-e', 'mysql.command', '-e', 'mysql.query', '-e', 'mysql.error_code'];
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const t: Tshark = { commands: [], queries: [], errorCodes: [] };
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [cmd, q, err] = line.split('\t');
    for (const c of cmd ? cmd.split('|') : []) t.commands.push(COM_NAMES[Number(c)] ?? `0x${Number(c).toString(16)}`);
    for (const s of q ? q.split('|') : []) t.queries.push(s);
    for (const c of err ? err.split('|') : []) t.errorCodes.push(Number(c));
  }
  return t;
}

/**
 * tshark decodes as commands bytes that are not: caching_sha2_password's encrypted password (client packet seq 5,
 * "Unknown (202)") and the compressed-protocol header (read as COM_SLEEP). We mark the compressed connection as unparsed
 * (an 'other' message with attributes.compressed) and emit no record for it.
 */
const TSHARK_MISDECODES: Record<string, string[]> = {
  'zeek/testing/btest/Traces/mysql/caching_sha2_password.pcap': ['0xca'],
  'deepflow/agent/resources/test/flow_generator/mysql/mysql-compressed-response.pcap': ['0x0'],
};

/**
 * Record statuses checked by hand against tshark's per-stream view: mysql-statement.pcap has 3 commands whose
 * responses were not captured (tcp "previous segment not captured" streams 1, 4, 7) → timeout; auth.pcap has 9
 * access-denied logins (1045) and 3 connections refused before the greeting (1130) → server_error.
 */
const EXPECTED_STATUS: Record<string, Record<string, number>> = {
  'deepflow/agent/resources/test/flow_generator/mysql/mysql-statement.pcap': { ok: 10, timeout: 3 },
  'zeek/testing/btest/Traces/mysql/auth.pcap': { server_error: 12, ok: 3 },
  'deepflow/agent/resources/test/flow_generator/mysql/171-mysql.pcap': { ok: 390 },
  'zeek/testing/btest/Traces/mysql/caching_sha2_password.pcap': { server_error: 1, ok: 12 },
};

function countBy(xs: string[]): Record<string, number> {
  const m: Record<string, number> = {};
  for (const x of xs) m[x] = (m[x] ?? 0) + 1;
  return m;
}

function ours(e: CorpusEntry): { records: ExtractedRecord[]; violations: string[] } {
  const ports = e.decodeAs.map((d) => Number(/==(\d+),mysql/.exec(d)?.[1])).filter((p) => p > 0);
  return extractL7Messages(e.abs, parser, { ports });
}

describe.skipIf(reason !== null)('MySQL corpus oracle (tshark 4.0)', () => {
  test('the index lists MySQL captures', () => {
    expect(entries.length).toBeGreaterThanOrEqual(17);
  });

  test.each(entries.map((e) => [e.file, e] as const))('%s', (_f, e) => {
    const t = tshark(e);
    const { records, violations } = ours(e);
    const reqs = records.filter((r) => r.request).map((r) => r.request!);
    const commands = reqs.map((r) => r.requestType).filter((c) => c !== 'LOGIN');
    const errs = records.map((r) => r.response?.responseCode).filter((c): c is number => c !== undefined);
    const summary = { file: e.file, tshark: { commands: t.commands.length, errors: t.errorCodes }, ours: { commands: commands.length, errors: errs, records: records.length, statuses: records.map((r) => r.status).join(','), violations } };
    console.log(JSON.stringify(summary));
    const misdecoded = TSHARK_MISDECODES[e.file] ?? [];
    const expected = t.commands.filter((c) => !misdecoded.includes(c));
    // Flows end in a different order than tshark's frame order (lone requests are flushed at flow end): compare sorted.
    expect([...commands].sort()).toEqual([...expected].sort());
    expect([...errs].sort()).toEqual([...t.errorCodes].sort());
    const sql = reqs.filter((r) => r.requestType === 'COM_QUERY' || r.requestType === 'COM_STMT_PREPARE').map((r) => r.requestResource);
    expect(sql.sort()).toEqual(t.queries.map((q) => q.slice(0, 512)).sort());
    expect(violations).toEqual([]);
    expect(records.filter((r) => r.status === 'parse_failed')).toEqual([]);
    const exp = EXPECTED_STATUS[e.file];
    if (exp) expect(countBy(records.map((r) => r.status))).toEqual(exp);
    if (e.file.endsWith('mysql-compressed-response.pcap')) expect(records).toEqual([]);
    // Without the decode-as port, the detection heuristic must find the same conversations.
    if (e.decodeAs.length > 0) expect(extractL7Messages(e.abs, parser).records.length).toBe(records.length);
  });
});
