#!/usr/bin/env node
// `npm start`: opens the bundled sample incident. In the Electron window when Electron is installed (an optional
// dependency), otherwise in web mode: the engine service imports the sample and prints the address to open.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const sample = path.join(root, 'sample-captures', 'bookinfo-latency.pcapng');
const mainJs = path.join(root, 'app', 'dist', 'main', 'index.js');
const service = path.join(root, 'app', 'dist', 'service', 'index.js');
if (!existsSync(service) || !existsSync(path.join(root, 'analysis', 'dist', 'cli', 'main.js'))) {
  process.stderr.write('rewind: the app is not built yet: run `npm install` (it builds) or `npm run build`\n');
  process.exit(1);
}

let electron = null;
try {
  // The electron package exports the path of its binary; it throws when the binary was not downloaded.
  electron = require('electron');
  if (typeof electron !== 'string' || !existsSync(electron)) electron = null;
} catch {
  electron = null;
}

if (electron && process.env.REWIND_WEB !== '1') {
  process.stdout.write(`Opening ${path.relative(root, sample)} in the Rewind desktop app\n`);
  const child = spawn(electron, [mainJs, sample], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  if (!electron) process.stdout.write('Electron is not installed here: starting the web mode (open the address below in a browser).\n');
  const { cmdServe } = await import(service);
  const code = await cmdServe(['--bundle', sample, ...process.argv.slice(2)], {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
  process.exit(code);
}
