// `rewind record` as a user runs it: argument errors, the error without root, SIGTERM closing the bundle cleanly,
// and kill -9 leaving a bundle that reads up to its last whole block. The recording cases need root (CI: root).
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { readCaptureFile, RecordType } from '@rewind/analysis/bundle';
import { tracerUnavailableReason } from '@rewind/ebpf';
import { parseDuration } from './record.js';

const bin = fileURLToPath(new URL('../../../analysis/bin/rewind.js', import.meta.url));
const why = tracerUnavailableReason();
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (why !== null) console.log(`rewind record tests that record cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-record-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.each([['30s', 30_000], ['2m', 120_000], ['1500ms', 1500], ['0.5', 500], ['1h', 3_600_000], ['x', NaN], ['-1s', NaN]])(
  'duration %s = %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });

test('usage errors exit 2 with the reason', () => {
  const r = spawnSync(process.execPath, [bin, 'record', '--duration', '5s'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--out is required/);
  const p = spawnSync(process.execPath, [bin, 'record', '--out', path.join(dir, 'x.pcapng'), '--port', '70000'], { encoding: 'utf8' });
  expect(p.status).toBe(2);
  expect(p.stderr).toMatch(/--port must be an integer from 1 to 65535/);
});

// An exchange to record: HTTP over loopback every 10 ms until the test kills it (at most 1,500 requests, 15 s): the
// recorder may take seconds to attach on a loaded machine, and a load that had ended by then left nothing to record.
const LOAD = `
const net = require('net');
const srv = net.createServer((c) => c.on('data', () => c.write('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok')));
srv.listen(0, '127.0.0.1', () => {
  const cl = net.connect(srv.address().port, '127.0.0.1');
  let n = 0;
  const t = setInterval(() => { cl.write('GET /n' + (n++) + ' HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'); if (n > 1500) { clearInterval(t); cl.end(); srv.close(); } }, 10);
  cl.on('data', () => {});
});
`;

async function recordWhileLoad(out: string, stopWith: 'SIGTERM' | 'SIGKILL'): Promise<number | null> {
  const load = spawn(process.execPath, ['-e', LOAD], { stdio: 'ignore' });
  const rec = spawn(process.execPath, [bin, 'record', '--out', out, '--pid', String(load.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  rec.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  // Stop once every source is open and the bundle has grown by some events since.
  const deadline = Date.now() + 20_000;
  const size = (): number => (existsSync(out) ? statSync(out).size : 0);
  while (Date.now() < deadline && !err.includes('every source is open')) await new Promise((r) => setTimeout(r, 50));
  const ready = size();
  while (Date.now() < deadline && size() < ready + 8000) await new Promise((r) => setTimeout(r, 50));
  rec.kill(stopWith);
  const [code] = (await once(rec, 'exit')) as [number | null];
  load.kill();
  if (stopWith === 'SIGTERM') expect(err).not.toMatch(/rewind record: /);
  return code;
}

describe.skipIf(why !== null && !ci)('rewind record (root, this kernel)', () => {
  test('SIGTERM ends the recording with a complete bundle (summary last)', async () => {
    const out = path.join(dir, 'term.pcapng');
    expect(await recordWhileLoad(out, 'SIGTERM')).toBe(0);
    const types: number[] = [];
    let http = 0;
    const s = await readCaptureFile(out, {
      custom(c) { types.push(c.recordType); },
      packet(p) { if (p.data.includes('GET /n')) http++; },
    });
    expect(s.truncatedTailBytes).toBe(0);
    expect(http).toBeGreaterThan(0);
    expect(types).toContain(RecordType.COVERAGE_STATS);
    expect(types[types.length - 1]).toBe(RecordType.CLOSING_SUMMARY);
  }, 30_000);

  test('kill -9 leaves a bundle that reads up to its last whole block', async () => {
    const out = path.join(dir, 'kill.pcapng');
    expect(await recordWhileLoad(out, 'SIGKILL')).toBeNull();
    const types: number[] = [];
    let packets = 0;
    const s = await readCaptureFile(out, { custom(c) { types.push(c.recordType); }, packet() { packets++; } });
    expect(packets).toBeGreaterThan(0);
    expect(types).not.toContain(RecordType.CLOSING_SUMMARY);
    expect(s.truncatedTailBytes).toBeGreaterThanOrEqual(0);
  }, 30_000);
});

describe.skipIf(!(process.getuid?.() === 0 && existsSync('/usr/sbin/runuser')))('rewind record without root', () => {
  test('says it needs root and exits 1', () => {
    const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', process.execPath, bin, 'record', '--out', '/tmp/never.pcapng', '--duration', '1s'], { encoding: 'utf8' });
    expect(r.stderr).toMatch(/needs root/);
    expect(r.status).toBe(1);
  });
});
