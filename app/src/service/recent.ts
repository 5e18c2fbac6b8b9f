// Recently opened bundles, newest first, kept in the app's user-data directory as JSON.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const MAX_RECENT = 10;

export class RecentFiles {
  constructor(private readonly file: string) {}

  list(): string[] {
    try {
      const v = JSON.parse(readFileSync(this.file, 'utf8')) as unknown;
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Adds `path` on top (once), keeps MAX_RECENT, drops files that are gone. */
  add(path: string): string[] {
    const list = [path, ...this.list().filter((p) => p !== path)].filter((p) => existsSync(p)).slice(0, MAX_RECENT);
    this.save(list);
    return list;
  }

  clear(): void {
    this.save([]);
  }

  private save(list: string[]): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify(list, null, 2)}\n`);
  }
}

/** Files the app opens as a bundle or capture (by extension, like the file dialog's filter). */
export function isCapturePath(p: string): boolean {
  return /\.(pcapng|pcap|cap|ntar)(\.gz)?$/i.test(p);
}
