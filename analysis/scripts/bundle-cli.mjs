#!/usr/bin/env node
// Bundles the compiled engine CLI (dist/cli/main.js) and the store's writer thread (dist/store/bulk-writer-worker.js)
// into one file each under dist/cli-bundle, with esbuild. bin/rewind.js prefers the bundle while it is newer than the
// last TypeScript build: resolving and linking ~130 modules took ~60 ms of every command's start, one file ~25 ms
// (measured 2026-12-02). Same code, no minification; better-sqlite3 (native) and the other Rewind packages stay
// outside. Paths the code finds from import.meta.url keep working: the bundle sits two levels below analysis/ as
// dist/<dir>/<file> does, and the worker is found beside it.
import { renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'cli-bundle');
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
let build;
try {
  ({ build } = await import('esbuild'));
} catch (err) {
  // A platform without esbuild's binary: the CLI runs from dist, a little slower to start.
  console.log(`@rewind/analysis: esbuild is not available (${err instanceof Error ? err.message : String(err)}); the CLI runs from dist`);
  rmSync(out, { recursive: true, force: true });
  process.exit(0);
}
await build({
  entryPoints: [path.join(root, 'dist', 'cli', 'main.js'), path.join(root, 'dist', 'store', 'bulk-writer-worker.js')],
  outdir: tmp,
  entryNames: '[name]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', '@rewind/*'],
  sourcemap: 'linked',
  logLevel: 'warning',
});
rmSync(out, { recursive: true, force: true });
renameSync(tmp, out);
console.log(`@rewind/analysis: bundled the CLI into ${path.relative(root, out)}`);
