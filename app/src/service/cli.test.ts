// `rewind serve` as users run it: the real CLI entry, a database from the sample capture, SIGTERM to stop.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCaptures } from '@rewind/analysis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseServeArgs } from './cli.js';

const rewind = fileURLToPath(new URL('../../../analysis/bin/rewind.js', import.meta.url));
const sample = fileURLToPath(new URL('../../../sample-captures/loopback-http.pcap', import.meta.url));
let dir: string;
let dbPath: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-serve-cli-'));
  dbPath = join(dir, 's.db');
  await importCaptures({ inputs: [sample], dbPath });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rewind serve', () => {
  it('parses its arguments and refuses bad ones', () => {
    expect(parseServeArgs(['--db', 'x.db', '--port', '0'])).toMatchObject({ db: 'x.db', port: 0, bundles: [] });
    expect(parseServeArgs(['--bundle', 'a.pcap', 'b.pcap'])).toMatchObject({ db: null, bundles: ['a.pcap', 'b.pcap'] });
    expect(() => parseServeArgs([])).toThrow(/--db or --bundle/);
    expect(() => parseServeArgs(['--db', 'x', '--port', '70000'])).toThrow(/--port/);
    const r = spawnSync(process.execPath, [rewind, 'serve', '--nope'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown argument --nope/);
  });

  it('serves a database on loopback, prints where, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [rewind, 'serve', '--db', dbPath, '--json'], {
      env: { ...process.env, REWIND_SERVICE_TOKEN: 'test-token-0123456789abcdef' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const info = await new Promise<{ url: string; token: string; port: number }>((ok, ko) => {
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line && out.includes('\n')) ok(JSON.parse(line) as { url: string; token: string; port: number });
      });
      child.on('exit', (code) => ko(new Error(`exited ${code}: ${err}`)));
    });
    expect(info.url).toBe(`http://127.0.0.1:${info.port}`);
    expect(info.token).toBe('test-token-0123456789abcdef');
    const r = await fetch(`${info.url}/api/service.health`, { method: 'POST', headers: { authorization: `Bearer ${info.token}` }, body: '{}' });
    const body = (await r.json()) as { ok: boolean; result: { name: string; database: string } };
    expect(body.ok).toBe(true);
    expect(body.result.database).toBe(dbPath);
    const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
