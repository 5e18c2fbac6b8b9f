#!/usr/bin/env node
// Builds Rewind's libpcap binding (node-gyp over native/pcap.c, linked with libpcap) into native/build. Runs at
// `npm install`. Needs libpcap-dev (Debian). Without it the build is reported and skipped here, so that the rest of
// Rewind installs; recording from interfaces then says why it cannot run (see src/sources/pcap.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const native = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'native');
if (process.platform !== 'linux') {
  console.log('@rewind/capture-agent: the libpcap binding is built on Linux only, not on', process.platform);
  process.exit(0);
}
if (!existsSync('/usr/include/pcap/pcap.h') && !existsSync('/usr/include/pcap.h')) {
  console.log('@rewind/capture-agent: libpcap headers missing (apt-get install libpcap-dev); the libpcap binding is not built');
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? process.execPath : 'npx';
// --directory: npx runs in the package root (the nearest package.json), not in the spawn's cwd.
const args = [...(gyp ? [gyp] : ['--yes', 'node-gyp']), 'rebuild', `--directory=${native}`];
// Build against the installed Node headers when npm does not say where they are (no download needed).
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const r = spawnSync(cmd, args, { cwd: native, stdio: 'inherit' });
if (r.status !== 0) {
  console.log(`@rewind/capture-agent: building the libpcap binding failed (exit ${r.status}); recording from interfaces will report why it cannot run`);
}
process.exit(0);
