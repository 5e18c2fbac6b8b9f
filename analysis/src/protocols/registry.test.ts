// Every protocol folder is registered, names are unique, and registered parsers honour the contract's shape.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { NON_PROTOCOL_FOLDERS, PROTOCOL_PARSERS } from './registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('every protocol folder is in the registry', async () => {
  const folders = readdirSync(here).filter((f) => statSync(path.join(here, f)).isDirectory() && !NON_PROTOCOL_FOLDERS.includes(f));
  for (const f of folders) {
    const mod = (await import(`./${f}/index.js`)) as { parser?: unknown };
    expect(mod.parser, `protocols/${f}/index.ts exports parser`).toBeDefined();
    expect(PROTOCOL_PARSERS, `protocols/${f} is registered`).toContain(mod.parser);
  }
  expect(PROTOCOL_PARSERS.length).toBe(folders.length);
});

test('parser names are unique', () => {
  const names = PROTOCOL_PARSERS.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
});
