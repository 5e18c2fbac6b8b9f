// Test-only access to the external oracles: the shared capture corpus and tshark, with the CI rule that they must exist.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The checkout root (…/main); the corpus lives beside it in ../shared/corpora. */
export const repoRoot = path.resolve(here, '../../../..');
export const corpusDir = path.resolve(repoRoot, '../shared/corpora');
export const TSHARK = process.env.TSHARK ?? '/usr/bin/tshark';

export const inCi = process.env.CI === 'true' || process.env.CI === '1';

/** Why an oracle cannot be used, or null when it can. */
export function corpusUnavailable(): string | null {
  return existsSync(path.join(corpusDir, 'INDEX.tsv')) ? null : `corpus not found at ${corpusDir} (INDEX.tsv missing)`;
}

export function tsharkUnavailable(): string | null {
  try {
    execFileSync(TSHARK, ['--version'], { stdio: 'pipe' });
    return null;
  } catch (e) {
    return `tshark not runnable at ${TSHARK}: ${(e as Error).message.split('\n')[0]}`;
  }
}

/**
 * Runs tshark over a file and returns, per frame, the requested fields; each field is the list of all its
 * occurrences (tshark prints nested layers' values comma-separated, outermost first).
 */
export function tsharkFields(file: string, fields: string[], extraArgs: string[] = []): string[][][] {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...extraArgs];
  for (const f of fields) args.push('-e', f);
  const text = execFileSync(TSHARK, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => line.split('\t').map((v) => (v === '' ? [] : v.split(','))));
}
