// The `rewind` command line: import captures, query the store read-only, and print incident reports.
import { existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importCaptures } from '../pipeline/import.js';
import type { ImportProgress, ImportSummary } from '../pipeline/import.js';
import { runReadOnlySql } from '../query/read-only-sql.js';
import { buildReport } from '../report/report.js';
import { formatDurationUs, renderMarkdown } from '../report/render.js';
import { openReadOnly } from '../store/store.js';
import { formatCsv, formatJson, formatTable } from './format.js';
import type { DecoderOptions } from '../decode/types.js';
import { ENGINE_VERSION } from '../version.js';

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** True when stderr is a terminal (progress bar). */
  isTTY: boolean;
}

const defaultIo: CliIo = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  isTTY: Boolean(process.stderr.isTTY),
};

const USAGE = `rewind ${ENGINE_VERSION} — offline forensic analyzer for cloud-native incidents

Usage:
  rewind import <capture...> --db <file.db> [--no-l7] [--no-tags] [--vxlan-port N] [--geneve-port N]
                                                 import bundles / pcap / pcapng (.gz too) into a database
  rewind query <db> "<SQL>" [--format table|csv|json] [--limit N]
                                                 run one read-only SQL statement
  rewind report <capture|db> [--format md|json] [--top N] [--db <file.db>]
                                                 incident summary (imports a capture first)
  rewind record --out <bundle.pcapng> [--duration 30s] [--pid N] [--port N] [--payload-bytes N]
                                                 record eBPF socket data into a bundle (root; capture agent)
  rewind serve (--db <file.db> | --bundle <capture>...) [--port N] [--json]
                                                 the app's engine service on 127.0.0.1 (web mode; prints the URL)
  rewind --version | --help
`;

/** A user-facing error: printed as one line, exit code 1 (2 for usage errors). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'import':
        return await cmdImport(rest, io);
      case 'query':
        return cmdQuery(rest, io);
      case 'report':
        return await cmdReport(rest, io);
      case '--version':
      case '-v':
      case 'version':
        io.stdout(`${ENGINE_VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        io.stdout(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command '${cmd}' (try: rewind --help)`, 2);
    }
  } catch (err) {
    const code = err instanceof CliError ? err.exitCode : 1;
    const msg = err instanceof Error ? err.message : String(err);
    io.stderr(`rewind: ${msg.split('\n')[0]}\n`);
    return code;
  }
}

type ArgOptions = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

function parse(args: string[], options: ArgOptions): { values: Record<string, unknown>; positionals: string[] } {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

const DECODE_AS_OPTIONS = {
  'vxlan-port': { type: 'string', multiple: true },
  'geneve-port': { type: 'string', multiple: true },
} as const;

function ports(v: unknown, flag: string): number[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map((x) => {
    const n = Number(x);
    if (!(Number.isInteger(n) && n > 0 && n < 65536)) throw new CliError(`--${flag} needs a port number, got '${String(x)}'`, 2);
    return n;
  });
}

/** Extra tunnel ports (like tshark's decode-as) on top of the decoder's defaults. */
function decoderOptions(values: Record<string, unknown>): DecoderOptions | undefined {
  const vx = ports(values['vxlan-port'], 'vxlan-port');
  const gn = ports(values['geneve-port'], 'geneve-port');
  if (!vx && !gn) return undefined;
  return {
    ...(vx ? { vxlanPorts: [4789, 8472, ...vx] } : {}),
    ...(gn ? { genevePorts: [6081, ...gn] } : {}),
  };
}

function progressBar(io: CliIo): (p: ImportProgress) => void {
  let last = 0;
  return (p) => {
    const t = Date.now();
    if (t - last < 100 && p.bytesRead < p.totalBytes) return;
    last = t;
    const frac = p.totalBytes > 0 ? Math.min(1, p.bytesRead / p.totalBytes) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const name = path.basename(p.file);
    io.stderr(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${p.fileIndex + 1}/${p.fileCount} ${name.slice(0, 30)}  ${p.packets} pkts  ${p.flows} flows\x1b[K`);
  };
}

function summaryText(s: ImportSummary): string {
  const lines: string[] = [];
  for (const b of s.bundles) {
    let line = `${b.path}: ${b.status}, ${b.packets} packets, ${b.flows} flows, ${b.l7Records} L7 records`;
    if (b.violations) line += `, ${b.violations} violations`;
    if (b.truncatedTailBytes) line += `, truncated tail: ${b.truncatedTailBytes} bytes lost`;
    const unknown = Object.values(b.unknownBlocks).reduce((a, n) => a + n, 0);
    if (unknown) line += `, ${unknown} unknown blocks skipped`;
    if (b.error) line += ` — ${b.error}`;
    lines.push(line);
  }
  lines.push(`imported ${s.packets} packets, ${s.flows} flows, ${s.l7Records} L7 records into ${s.dbPath} in ${formatDurationUs(s.durationUs)}` +
    (s.violations ? ` (${s.violations} violations: see ingest_violations)` : ''));
  return lines.join('\n') + '\n';
}

async function cmdImport(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    db: { type: 'string' }, quiet: { type: 'boolean', short: 'q' }, 'no-l7': { type: 'boolean' }, 'no-tags': { type: 'boolean' }, ...DECODE_AS_OPTIONS,
  });
  if (positionals.length === 0) throw new CliError('import needs at least one capture file', 2);
  if (typeof values.db !== 'string') throw new CliError('import needs --db <file.db>', 2);
  for (const f of positionals) if (!existsSync(f)) throw new CliError(`cannot read ${f}: no such file`);
  const summary = await importCaptures({
    inputs: positionals,
    dbPath: values.db,
    onProgress: io.isTTY && !values.quiet ? progressBar(io) : undefined,
    decoder: decoderOptions(values),
    l7: !values['no-l7'],
    tags: !values['no-tags'],
  });
  if (io.isTTY && !values.quiet) io.stderr('\r\x1b[K'); // the summary replaces the progress bar
  if (!values.quiet) io.stdout(summaryText(summary));
  const failed = summary.bundles.filter((b) => b.status === 'failed');
  if (failed.length) {
    io.stderr(`rewind: ${failed.map((b) => `${b.path}: ${b.error}`).join('; ')}\n`);
    return 1;
  }
  return 0;
}

function openDb(file: string): ReturnType<typeof openReadOnly> {
  if (!existsSync(file)) throw new CliError(`cannot open ${file}: no such file`);
  if (!isSqlite(file)) throw new CliError(`${file} is not a Rewind database (import a capture with: rewind import <capture> --db <file.db>)`);
  return openReadOnly(file);
}

function cmdQuery(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, { format: { type: 'string', default: 'table' }, limit: { type: 'string' } });
  if (positionals.length !== 2) throw new CliError('usage: rewind query <db> "<SQL>" [--format table|csv|json]', 2);
  const fmt = values.format as string;
  if (!['table', 'csv', 'json'].includes(fmt)) throw new CliError(`unknown format '${fmt}' (table, csv or json)`, 2);
  const limit = values.limit === undefined ? undefined : Number(values.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw new CliError('--limit must be a positive integer', 2);
  const db = openDb(positionals[0]);
  try {
    const r = runReadOnlySql(db, positionals[1], { maxRows: limit });
    io.stdout(fmt === 'csv' ? formatCsv(r) : fmt === 'json' ? formatJson(r) : formatTable(r));
    if (r.truncated) io.stderr(`rewind: result truncated to ${r.rows.length} rows (use --limit)\n`);
    return 0;
  } finally {
    db.close();
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

function isSqlite(file: string): boolean {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = readSync(fd, head, 0, 16, 0);
    return n === 16 && head.equals(SQLITE_MAGIC);
  } finally {
    closeSync(fd);
  }
}

async function cmdReport(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    format: { type: 'string', default: 'md' }, top: { type: 'string', default: '10' }, db: { type: 'string' },
    ...DECODE_AS_OPTIONS,
  });
  if (positionals.length === 0) throw new CliError('usage: rewind report <capture...|db> [--format md|json]', 2);
  const fmt = values.format as string;
  if (!['md', 'markdown', 'json'].includes(fmt)) throw new CliError(`unknown format '${fmt}' (md or json)`, 2);
  const top = Number(values.top);
  if (!(Number.isInteger(top) && top > 0)) throw new CliError('--top must be a positive integer', 2);
  for (const f of positionals) if (!existsSync(f)) throw new CliError(`cannot read ${f}: no such file`);
  let dbFile = positionals[0];
  let tmpDir: string | null = null;
  try {
    if (!(positionals.length === 1 && isSqlite(dbFile))) {
      if (typeof values.db === 'string') dbFile = values.db;
      else {
        tmpDir = mkdtempSync(path.join(os.tmpdir(), 'rewind-report-'));
        dbFile = path.join(tmpDir, 'report.db');
      }
      const s = await importCaptures({
        inputs: positionals, dbPath: dbFile, onProgress: io.isTTY ? progressBar(io) : undefined, decoder: decoderOptions(values),
      });
      if (io.isTTY) io.stderr('\r\x1b[K');
      const failed = s.bundles.filter((b) => b.status === 'failed');
      if (failed.length === s.bundles.length) throw new CliError(failed.map((b) => `${b.path}: ${b.error}`).join('; '));
    }
    const db = openDb(dbFile);
    try {
      const report = buildReport(db, { top });
      io.stdout(fmt === 'json' ? JSON.stringify(report, null, 2) + '\n' : renderMarkdown(report));
    } finally {
      db.close();
    }
    return 0;
  } finally {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  }
}


