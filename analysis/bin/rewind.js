#!/usr/bin/env node
// Entry of the `rewind` CLI: runs the compiled engine CLI (built by `npm install` via the root prepare script).
import { main } from '../dist/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => {
    process.stderr.write(`rewind: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
