// Oracle tests on the shared public corpus: frame counts and timestamps must match tshark's for real captures.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { readCaptureFile } from './reader.js';
import { findTool } from './test-support/capture-builder.js';
import type { ReadSummary } from './types.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const corpora = resolve(repoRoot, '../shared/corpora');
const tshark = findTool('tshark');

/** The corpus (and tshark for the timestamp oracle) must exist under CI; elsewhere say why we cannot run. */
function unavailable(needTshark: boolean): boolean {
  const missing = !existsSync(join(corpora, 'INDEX.tsv')) ? `corpus not found at ${corpora}` : needTshark && !tshark ? 'tshark is not installed' : '';
  if (!missing) return false;
  if (process.env.CI) throw new Error(`${missing}: the corpus oracle tests cannot run`);
  console.warn(`[bundle/corpus.test] ${missing}: corpus oracle test not run`);
  return true;
}

/** Epoch time as tshark prints frame.time_epoch (9 decimals). */
function epoch(tsUs: number, subNs: number): string {
  const sec = Math.floor(tsUs / 1e6);
  return `${sec}.${String(tsUs - sec * 1e6).padStart(6, '0')}${String(subNs).padStart(3, '0')}`;
}

async function readAll(path: string): Promise<{ frames: string[]; times: string[]; summary: ReadSummary }> {
  const frames: string[] = [];
  const times: string[] = [];
  const summary = await readCaptureFile(path, {
    packet(p) {
      frames.push(String(p.frameNumber));
      times.push(epoch(p.tsUs, p.tsSubUsNs));
    },
  });
  return { frames, times, summary };
}

function tsharkTimes(path: string): string[] {
  const out = execFileSync(tshark as string, ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  return out.split('\n').filter((l) => l !== '');
}

describe('corpus vs tshark', () => {
  test.each([
    ['zeek/testing/btest/Traces/pcapng-multi-interface.pcapng', 'pcapng', false, 6],
    ['zeek/testing/btest/Traces/http/1000-requests-one-dropped-response.pcap.gz', 'pcap', true, 4102],
    ['deepflow/agent/resources/test/flow_generator/kafka/01-fetch-v12-unknown.pcap', 'pcap-ns', false, 2],
    ['zeek/testing/btest/Traces/tcp/retransmit-timeout.pcapng', 'pcapng', false, 3],
  ])('%s: every frame time equals tshark frame.time_epoch', async (rel, format, gzip, count) => {
    if (unavailable(true)) return;
    const path = join(corpora, rel);
    const ours = await readAll(path);
    const theirs = tsharkTimes(path);
    expect(ours.summary).toMatchObject({ format, gzip, packets: count, truncatedTailBytes: 0, violations: 0 });
    expect(theirs).toHaveLength(count);
    expect(ours.times).toEqual(theirs);
    expect(ours.frames).toEqual(theirs.map((_, i) => String(i + 1)));
  });

  test('every capture in INDEX.tsv reads without throwing and yields tshark’s frame count', async () => {
    if (unavailable(false)) return;
    const rows = readFileSync(join(corpora, 'INDEX.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const captures = rows.filter((r) => ['pcap', 'pcapng', 'nsecpcap'].includes(r[9]));
    expect(captures.length).toBeGreaterThan(250);
    const mismatches: string[] = [];
    for (const r of captures) {
      const { summary } = await readAll(join(corpora, r[0]));
      if (summary.packets !== Number(r[5])) mismatches.push(`${r[0]}: ${summary.packets} packets, tshark ${r[5]} (violations ${summary.violations})`);
    }
    expect(mismatches).toEqual([]);
  });

  test('every pcapng capture: per-frame times equal tshark’s', async () => {
    if (unavailable(true)) return;
    const rows = readFileSync(join(corpora, 'INDEX.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t'));
    const pcapng = rows.filter((r) => r[9] === 'pcapng').map((r) => r[0]);
    expect(pcapng.length).toBeGreaterThanOrEqual(10);
    for (const rel of pcapng) {
      const path = join(corpora, rel);
      expect({ rel, times: (await readAll(path)).times }).toEqual({ rel, times: tsharkTimes(path) });
    }
  });
});
