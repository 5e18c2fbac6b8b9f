// Checks the fixture comments: tshark 4.0.17 decodes the fixture sessions (written as pcaps) as the comments say.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { isCI, runTshark, tsharkAvailable } from '../../test-support/corpus.js';
import { SESSIONS } from './test-support/fixtures.js';
import { conversationPcap } from './test-support/frames.js';

const have = tsharkAvailable();

/** Per session: handshake types | SNI | cipher suites of type-2 frames | supported_versions | alert descriptions | ALPN. */
const EXPECTED: Record<string, string> = {
  SESSION_12: 'types=1,2,11 sni=example.com sh_cipher=0xc02f versions= alerts= alpn=h2,http/1.1,h2',
  SESSION_13: 'types=1,2 sni=a.test sh_cipher=0x1301 versions=0x0a0a,0x0304,0x0303,0x0304 alerts= alpn=',
  SESSION_HRR: 'types=1,2,1,2 sni=a.test,a.test sh_cipher=0x1302,0x1301 versions=0x0a0a,0x0304,0x0303,0x0304,0x0a0a,0x0304,0x0303,0x0304 alerts= alpn=',
  SESSION_ALERT: 'types=1 sni=example.com sh_cipher= versions= alerts=40 alpn=h2,http/1.1',
  SESSION_UNKNOWN_CA: 'types=1,2,11 sni=example.com sh_cipher=0xc02f versions= alerts=48 alpn=h2,http/1.1,h2',
};

describe('fixtures as tshark decodes them', () => {
  test('tshark available', () => {
    if (!have) {
      if (isCI) expect.fail('tshark missing in CI');
      console.log('tshark not installed: fixture check skipped');
    }
  });
  const dir = have ? mkdtempSync(path.join(tmpdir(), 'tls-fixtures-')) : '';
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });
  test.each(Object.keys(EXPECTED))('%s', (name) => {
    if (!have) return;
    const file = path.join(dir, `${name}.pcap`);
    writeFileSync(file, conversationPcap(SESSIONS[name]));
    const fields = ['tls.handshake.type', 'tls.handshake.extensions_server_name', 'tls.handshake.ciphersuite', 'tls.handshake.extensions.supported_version', 'tls.alert_message.desc', 'tls.handshake.extensions_alpn_str'];
    const args = ['-r', file, '-Y', 'tls', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
    for (const f of fields) args.push('-e', f);
    const cols: string[][] = fields.map(() => []);
    for (const line of runTshark(args).split('\n').filter(Boolean)) {
      const c = line.split('\t');
      const isSh = (c[0] ?? '').split(',').includes('2');
      c.forEach((v, i) => {
        if (v === '' || (i === 2 && !isSh)) return;
        cols[i].push(v);
      });
    }
    const got = `types=${cols[0].join(',')} sni=${cols[1].join(',')} sh_cipher=${cols[2].join(',')} versions=${cols[3].join(',')} alerts=${cols[4].join(',')} alpn=${cols[5].join(',')}`;
    expect(got).toBe(EXPECTED[name]);
  });
});
