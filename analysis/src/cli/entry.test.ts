// The `rewind` entry script (bin/rewind.js) runs the CLI bundle only while it is newer than the last TypeScript build,
// so that a `tsc -b` alone never leaves stale bundled code running; REWIND_NO_BUNDLE=1 and a missing bundle use dist.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/rewind.js', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A stand-in package: the real entry script beside two CLIs that say which one ran.
mkdirSync(path.join(dir, 'bin'));
copyFileSync(bin, path.join(dir, 'bin', 'rewind.js'));
writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
const cli = (name: string): string => `export async function main(argv) { process.stdout.write('${name} ' + argv.join(' ')); return 0; }\n`;
mkdirSync(path.join(dir, 'dist', 'cli'), { recursive: true });
mkdirSync(path.join(dir, 'dist', 'cli-bundle'), { recursive: true });
writeFileSync(path.join(dir, 'dist', 'cli', 'main.js'), cli('dist'));
const bundle = path.join(dir, 'dist', 'cli-bundle', 'main.js');
const info = path.join(dir, 'dist', '.tsbuildinfo');
writeFileSync(info, '{}');

function run(env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'rewind.js'), 'query', 'x'], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const at = (file: string, s: number): void => utimesSync(file, s, s);

describe('rewind entry script', () => {
  test('without a bundle: dist', () => {
    expect(run()).toBe('dist query x');
  });

  test('a bundle newer than the last build runs; REWIND_NO_BUNDLE=1 runs dist', () => {
    writeFileSync(bundle, cli('bundle'));
    at(info, 1_700_000_000);
    at(bundle, 1_700_000_100);
    expect(run()).toBe('bundle query x');
    expect(run({ REWIND_NO_BUNDLE: '1' })).toBe('dist query x');
  });

  test('a bundle older than the last build (tsc ran after it) is not used', () => {
    at(bundle, 1_700_000_000);
    at(info, 1_700_000_100);
    expect(run()).toBe('dist query x');
  });
});
