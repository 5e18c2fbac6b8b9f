#!/usr/bin/env node
// Builds the N-API loader (node-gyp over loader/loader.c, linked with libbpf). Runs at `npm install`.
// Needs libbpf-dev, libelf-dev and zlib1g-dev (Debian). Without them the build is reported and skipped here, so
// that the rest of Rewind installs; the eBPF features then say why they cannot run (see src/loader.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (process.platform !== 'linux') {
  console.log('@rewind/ebpf: eBPF needs Linux; the native loader is not built on', process.platform);
  process.exit(0);
}
if (!existsSync('/usr/include/bpf/libbpf.h')) {
  console.log('@rewind/ebpf: libbpf headers missing (apt-get install libbpf-dev libelf-dev zlib1g-dev); the native loader is not built');
  process.exit(0);
}
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? process.execPath : 'npx';
const args = gyp ? [gyp, 'rebuild'] : ['--yes', 'node-gyp', 'rebuild'];
// Build against the installed Node headers when npm does not say where they are (no download needed).
if (!process.env.npm_config_nodedir && existsSync('/usr/include/node/node_api.h')) args.push('--nodedir=/usr');
const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.log(`@rewind/ebpf: building the native loader failed (exit ${r.status}); eBPF recording will report why it cannot run`);
}
process.exit(0);
