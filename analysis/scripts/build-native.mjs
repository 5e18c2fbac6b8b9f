#!/usr/bin/env node
// Builds the store's SQLite extension (native/rewind_rows.c, see src/store/packed-rows.ts) into native/build with the
// system C compiler, against the sqlite3ext.h of the SQLite that better-sqlite3 bundles. Runs at `npm install`.
// Without a compiler the build is reported and skipped: the store then hands batches to its writer thread as value
// arrays, which is slower (bench/RESULTS.md) but gives the same database.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const native = path.join(root, 'native');
const say = (s) => console.log(`@rewind/analysis: ${s}`);

let include;
try {
  include = path.join(path.dirname(createRequire(path.join(root, 'package.json')).resolve('better-sqlite3/package.json')), 'deps', 'sqlite3');
} catch {
  say('better-sqlite3 is not installed; the SQLite extension is not built');
  process.exit(0);
}
if (!existsSync(path.join(include, 'sqlite3ext.h'))) {
  say(`no sqlite3ext.h in ${include}; the SQLite extension is not built`);
  process.exit(0);
}
const suffix = process.platform === 'darwin' ? 'dylib' : process.platform === 'win32' ? 'dll' : 'so';
if (process.platform === 'win32') {
  say('the SQLite extension is built on Linux and macOS only (value arrays are used on Windows)');
  process.exit(0);
}
const cc = process.env.CC || 'cc';
mkdirSync(path.join(native, 'build'), { recursive: true });
const out = path.join(native, 'build', `rewind_rows.${suffix}`);
const args = ['-O2', '-Wall', '-Wextra', '-fPIC', process.platform === 'darwin' ? '-dynamiclib' : '-shared', '-I', include, '-o', out, path.join(native, 'rewind_rows.c')];
const r = spawnSync(cc, args, { stdio: 'inherit' });
if (r.error || r.status !== 0) {
  say(`building the SQLite extension with ${cc} failed (${r.error ? r.error.message : `exit ${r.status}`}); the store will hand batches over as value arrays`);
} else {
  say(`built ${path.relative(root, out)}`);
}
process.exit(0);
