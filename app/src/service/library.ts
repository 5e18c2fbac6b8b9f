// What the Home view offers besides the open database: the sample incidents shipped in sample-captures/ (described
// by its README's sections) and the files opened recently (web mode keeps its own list; the desktop app its own).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Sample {
  name: string;
  path: string;
  description: string;
  bytes: number;
}

/** sample-captures/ of this checkout (app/dist/service → ../../../sample-captures). */
export function samplesDir(): string {
  return fileURLToPath(new URL('../../../sample-captures/', import.meta.url));
}

/** The samples the README describes (`## \`file\`` then a paragraph), that exist. */
export function listSamples(dir = samplesDir()): Sample[] {
  const readme = join(dir, 'README.md');
  if (!existsSync(readme)) return [];
  const text = readFileSync(readme, 'utf8');
  const out: Sample[] = [];
  for (const m of text.matchAll(/^## `([^`]+)`\n([\s\S]*?)(?=^## |(?![\s\S]))/gm)) {
    const path = join(dir, m[1]);
    if (!existsSync(path)) continue;
    const para = m[2].trim().split(/\n\s*\n/)[0].replace(/\s+/g, ' ').replace(/`/g, '');
    out.push({ name: m[1], path, description: para.length > 300 ? `${para.slice(0, 297)}…` : para, bytes: statSync(path).size });
  }
  return out;
}

/** Where web mode keeps its recent files: $XDG_CONFIG_HOME/rewind/recent.json (or ~/.config). */
export function webRecentFile(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'rewind', 'recent.json');
}
