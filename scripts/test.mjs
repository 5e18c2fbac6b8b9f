#!/usr/bin/env node
// `npm test`: build, type-check the tests, lint (incl. layering rules), then the whole vitest suite; fails on any skipped test under CI=true.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function step(title, cmd, args) {
  process.stdout.write(`\n== ${title}\n`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stdout.write(`\n${title} failed (exit ${r.status ?? r.signal})\n`);
    return false;
  }
  return true;
}

if (!step('build', bin('tsc'), ['-b', 'analysis', 'ebpf', 'capture-agent', 'app', 'sample-captures/lab'])) process.exit(1);
if (!step('bundle CLI', process.execPath, ['analysis/scripts/bundle-cli.mjs'])) process.exit(1);
if (!step('build renderer', bin('vite'), ['build', '--config', 'app/vite.config.ts', '--logLevel', 'warn'])) process.exit(1);
if (!step('typecheck renderer', bin('tsc'), ['-p', 'app/src/renderer/tsconfig.json'])) process.exit(1);
if (!step('typecheck tests', bin('tsc'), ['-p', 'tsconfig.tests.json'])) process.exit(1);
if (!step('lint', bin('eslint'), ['.'])) process.exit(1);

mkdirSync(path.join(root, '.tmp'), { recursive: true });
const report = path.join(root, '.tmp', 'vitest-report.json');
const extra = process.argv.slice(2);
step('tests', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra]);

let r;
try {
  r = JSON.parse(readFileSync(report, 'utf8'));
} catch (err) {
  process.stdout.write(`cannot read the vitest report: ${err.message}\n0 passed, 1 failed\n`);
  process.exit(1);
}
const passed = r.numPassedTests ?? 0;
const failed = (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0);
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
const skippedNames = [];
for (const file of r.testResults ?? []) {
  for (const t of file.assertionResults ?? []) {
    if (t.status === 'pending' || t.status === 'skipped' || t.status === 'todo') skippedNames.push(`${path.relative(root, file.name)} › ${t.fullName}`);
  }
}
if (skippedNames.length) {
  process.stdout.write(`\nskipped tests:\n${skippedNames.map((n) => `  - ${n}`).join('\n')}\n`);
}
let ok = r.success === true && failed === 0 && passed > 0;
if (skipped > 0 && ci) {
  process.stdout.write(`\nCI=true: ${skipped} skipped test(s) count as failures here\n`);
  ok = false;
}
process.stdout.write(`\ntests: ${passed} passed, ${failed + (ci ? skipped : 0)} failed, ${skipped} skipped\n`);
process.exit(ok ? 0 : 1);
