// Test helpers for the public capture corpus (../shared/corpora) and tshark: locate, index, and fail loudly in CI.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const corpusDir = process.env.REWIND_CORPUS ?? path.resolve(repoRoot, '../shared/corpora');
export const isCI = process.env.CI === 'true' || process.env.CI === '1';

export interface CorpusEntry {
  file: string;
  abs: string;
  bytes: number;
  frames: number;
  protocols: string;
  notes: string;
  fileFormat: string;
  linkType: string;
  /** `-d` decode-as arguments from the notes, e.g. ['tcp.port==2375,http']. */
  decodeAs: string[];
}

export function corpusAvailable(): boolean {
  return existsSync(path.join(corpusDir, 'INDEX.tsv'));
}

/** Why a corpus/tshark test cannot run, or null when it can. Under CI the caller must fail instead of skipping. */
export function corpusUnavailableReason(): string | null {
  if (!corpusAvailable()) return `public capture corpus not found at ${corpusDir}`;
  if (!tsharkAvailable()) return 'tshark is not installed (apt-get install tshark)';
  return null;
}

let tshark: boolean | null = null;
export function tsharkAvailable(): boolean {
  if (tshark === null) tshark = spawnSync('tshark', ['--version'], { stdio: 'ignore' }).status === 0;
  return tshark;
}

export function loadCorpusIndex(): CorpusEntry[] {
  const lines = readFileSync(path.join(corpusDir, 'INDEX.tsv'), 'utf8').split('\n').filter(Boolean);
  const header = lines[0].split('\t');
  const col = (name: string): number => header.indexOf(name);
  return lines.slice(1).map((l) => {
    const c = l.split('\t');
    const notes = c[col('notes')] ?? '';
    return {
      file: c[col('file')],
      abs: path.join(corpusDir, c[col('file')]),
      bytes: Number(c[col('bytes')]),
      frames: Number(c[col('frames')]),
      protocols: c[col('protocols')] ?? '',
      notes,
      fileFormat: c[col('file_format')] ?? '',
      linkType: c[col('link_type')] ?? '',
      decodeAs: [...notes.matchAll(/-d ([a-z0-9.]+==\d+,[a-z0-9_]+)/g)].map((m) => m[1]),
    };
  });
}

/** Captures of the corpus (not key logs or other text). */
export function corpusCaptures(): CorpusEntry[] {
  return loadCorpusIndex().filter((e) => ['pcap', 'pcapng', 'nsecpcap'].includes(e.fileFormat) && existsSync(e.abs));
}

/** Runs tshark and returns stdout (stderr ignored); large buffer for big files. */
export function runTshark(args: string[]): string {
  return execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
}
