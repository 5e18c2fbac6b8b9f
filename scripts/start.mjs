#!/usr/bin/env node
// `npm start`: imports the bundled sample capture into .tmp/sample.db and prints its incident report
// (the desktop app replaces this once it exists).
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'analysis', 'dist', 'cli', 'main.js');
if (!existsSync(dist)) {
  process.stderr.write('rewind: the engine is not built yet: run `npm install` (it builds) or `npm run build`\n');
  process.exit(1);
}
const { main } = await import(dist);
const sample = path.join(root, 'sample-captures', 'loopback-http.pcap');
const db = path.join(root, '.tmp', 'sample.db');
mkdirSync(path.dirname(db), { recursive: true });
for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
process.stdout.write(`Importing ${path.relative(root, sample)} into ${path.relative(root, db)}\n\n`);
const code = await main(['report', sample, '--db', db]);
if (code === 0) process.stdout.write(`\nExplore it further: npx rewind query ${path.relative(root, db)} "select * from l4_flow_log limit 10"\n`);
process.exit(code);
