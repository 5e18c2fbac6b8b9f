// Fixtures in a pcap: tshark 4.0.17 has no Dubbo dissector, so it shows tcp/data of the same lengths; our pipeline reads them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { extractL7Messages } from '../../l7/test-support/extract.js';
import { isCI, runTshark, tsharkAvailable } from '../../test-support/corpus.js';
import { parser } from './index.js';
import { ALL } from './test-support/fixtures.js';
import { conversationPcap } from './test-support/frames.js';

const dir = mkdtempSync(path.join(tmpdir(), 'dubbo-fx-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Expected stitched records per session (request type/id → status); heartbeats are 'other' and not recorded. */
const RECORDS = ['login#7:ok', 'findItem#8:server_error log#9:ok', '', '-#11:timeout'];

describe('fixtures in tshark and through the pipeline', () => {
  if (!tsharkAvailable()) {
    test('tshark available', () => {
      if (isCI) throw new Error('tshark is not installed');
      console.log('Dubbo fixture check skipped: tshark is not installed');
    });
    return;
  }
  test.each(ALL.map((s, i) => [i, s] as const))('session %i', (i, session) => {
    const file = path.join(dir, `s${i}.pcap`);
    writeFileSync(file, conversationPcap(session));
    const out = runTshark(['-r', file, '-Y', 'data', '-T', 'fields', '-e', 'frame.protocols', '-e', 'data.len']);
    expect(out.split('\n').filter(Boolean)).toEqual(session.map((x) => `eth:ethertype:ip:tcp:data\t${x.bytes.length}`));
    const { records, violations } = extractL7Messages(file, parser);
    expect(violations).toEqual([]);
    expect(records.map((r) => `${r.request?.requestType ?? '-'}#${r.request?.requestId}:${r.status}`).join(' ')).toBe(RECORDS[i]);
  });
});
