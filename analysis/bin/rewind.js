#!/usr/bin/env node
// Entry of the `rewind` CLI: runs the compiled engine CLI (built by `npm install` via the root prepare script).
// `rewind record` belongs to the capture agent (@rewind/capture-agent): the engine never imports it, this entry
// script hands the command over when the agent is installed beside it. `rewind serve` (the engine service of the app,
// web mode) belongs to @rewind/app the same way, and `rewind lab` to @rewind/lab (sample-captures/lab).
import { statSync } from 'node:fs';

/**
 * The engine CLI: the one-file bundle of dist (analysis/scripts/bundle-cli.mjs, made by `npm run build`) while it is
 * newer than the last TypeScript build, else dist itself. The bundle starts ~50 ms sooner (one module instead of
 * ~130 to resolve and link, every command); REWIND_NO_BUNDLE=1 uses dist.
 */
async function engineCli() {
  if (process.env.REWIND_NO_BUNDLE !== '1') {
    const bundle = new URL('../dist/cli-bundle/main.js', import.meta.url);
    try {
      if (statSync(bundle).mtimeMs >= statSync(new URL('../dist/.tsbuildinfo', import.meta.url)).mtimeMs) return await import(bundle.href);
    } catch {
      // no bundle (or no build): dist
    }
  }
  return import('../dist/cli/main.js');
}

const io = { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) };

async function run(argv) {
  if (argv[0] === 'serve') {
    let app;
    try {
      app = await import('@rewind/app/service');
    } catch (err) {
      process.stderr.write(`rewind serve needs the app package (@rewind/app), which is not installed or not built: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    return app.cmdServe(argv.slice(1), io);
  }
  if (argv[0] === 'lab') {
    let lab;
    try {
      lab = await import('@rewind/lab');
    } catch (err) {
      process.stderr.write(`rewind lab needs the lab package (@rewind/lab, sample-captures/lab), which is not installed or not built: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    return lab.cmdLab(argv.slice(1), io);
  }
  if (argv[0] !== 'record') return (await engineCli()).main(argv);
  let agent;
  try {
    agent = await import('@rewind/capture-agent');
  } catch (err) {
    process.stderr.write(`rewind record needs the capture agent (@rewind/capture-agent), which is not installed or not built: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
  return agent.cmdRecord(argv.slice(1), io);
}

run(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`rewind: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
