// Every protocol folder is registered, names are unique, and registered parsers honour the contract's shape.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { NON_PROTOCOL_FOLDERS, PROTOCOL_PARSERS } from './registry.js';

const here = path.dirname(fileURLToPath(import.meta.url));

test('every protocol folder is in the registry', () => {
  const folders = readdirSync(here).filter((f) => statSync(path.join(here, f)).isDirectory() && !NON_PROTOCOL_FOLDERS.includes(f));
  const source = readFileSync(path.join(here, 'registry.ts'), 'utf8');
  for (const f of folders) {
    const m = new RegExp(`import \\{ parser as (\\w+) \\} from '\\./${f}/index\\.js'`).exec(source);
    expect(m, `protocols/${f} is imported by registry.ts`).not.toBeNull();
    expect(new RegExp(`PROTOCOL_PARSERS[^=]*= \\[[^\\]]*\\b${(m as RegExpExecArray)[1]}\\b`).test(source), `protocols/${f} is in PROTOCOL_PARSERS`).toBe(true);
  }
  expect(PROTOCOL_PARSERS.length).toBe(folders.length);
});

test('parsers have unique names and the contract shape', () => {
  const names = PROTOCOL_PARSERS.map((p) => p.name);
  expect(new Set(names).size).toBe(names.length);
  for (const p of PROTOCOL_PARSERS) {
    expect(p.transports.length, p.name).toBeGreaterThan(0);
    expect(typeof p.parse, p.name).toBe('function');
    expect(typeof p.stitch, p.name).toBe('function');
    expect(typeof p.detect, p.name).toBe('function');
    expect(typeof p.newState, p.name).toBe('function');
  }
});
