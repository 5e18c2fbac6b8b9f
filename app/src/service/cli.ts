// `rewind serve`: the engine service from the command line (web mode). The analysis CLI hands the command over here.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { startService } from './server.js';
import type { RunningService } from './server.js';

export interface Io {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
}

const USAGE = 'usage: rewind serve (--db <file.db> | --bundle <capture>... [--db <file.db>]) [--port N] [--json] [--no-renderer]\n';

export interface ServeArgs {
  db: string | null;
  bundles: string[];
  port: number;
  json: boolean;
  renderer: boolean;
}

export function parseServeArgs(argv: string[]): ServeArgs {
  const a: ServeArgs = { db: null, bundles: [], port: 0, json: false, renderer: true };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${x} needs a value`);
      return v;
    };
    if (x === '--db') a.db = value();
    else if (x === '--bundle') a.bundles.push(value());
    else if (x === '--port') {
      const p = Number(value());
      if (!Number.isInteger(p) || p < 0 || p > 65535) throw new UsageError('--port must be 0..65535');
      a.port = p;
    } else if (x === '--json') a.json = true;
    else if (x === '--no-renderer') a.renderer = false;
    else if (!x.startsWith('--') && a.bundles.length > 0) a.bundles.push(x);
    else throw new UsageError(`unknown argument ${x}`);
  }
  if (a.db === null && a.bundles.length === 0) throw new UsageError('give --db or --bundle');
  return a;
}

export class UsageError extends Error {}

/** Where `--bundle X` without `--db` imports to: a fresh database in the temporary directory. */
export function defaultDbFor(bundle: string): string {
  const dir = join(tmpdir(), 'rewind-serve');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${basename(bundle).replace(/[^A-Za-z0-9._-]+/g, '_')}-${process.pid}.db`);
}

/** Starts the service and resolves once it stops (SIGINT / SIGTERM). */
export async function cmdServe(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (err) {
    io.stderr(`rewind serve: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  for (const b of args.bundles) {
    if (!existsSync(b)) {
      io.stderr(`rewind serve: no such file ${b}\n`);
      return 1;
    }
  }
  const dbPath = resolve(args.db ?? defaultDbFor(args.bundles[0]));
  if (args.bundles.length > 0) for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
  else if (!existsSync(dbPath)) {
    io.stderr(`rewind serve: no database at ${dbPath}\n`);
    return 1;
  }
  const parentPid = process.env.REWIND_PARENT_PID ? Number(process.env.REWIND_PARENT_PID) : undefined;
  let svc: RunningService;
  try {
    svc = await startService({
      dbPath, ingest: args.bundles, port: args.port, token: process.env.REWIND_SERVICE_TOKEN || undefined,
      rendererDir: args.renderer ? undefined : null, parentPid,
    });
  } catch (err) {
    io.stderr(`rewind serve: ${(err as Error).message}\n`);
    return 1;
  }
  if (args.json) io.stdout(`${JSON.stringify({ url: svc.url, port: svc.port, token: svc.token, db: dbPath })}\n`);
  else {
    io.stdout(`Rewind is serving ${dbPath}\n`);
    if (args.bundles.length > 0) io.stdout(`Importing ${args.bundles.join(', ')} (the views fill in as it goes)\n`);
    io.stdout(`Open ${svc.openUrl}\n`);
  }
  void svc.ingestDone.then((p) => {
    if (args.bundles.length === 0) return;
    if (p.state === 'failed') io.stderr(`rewind serve: import failed: ${p.error ?? 'unknown error'}\n`);
    else if (!args.json) io.stdout(`Import done: ${p.packets} packets\n`);
  });
  await new Promise<void>((ok) => {
    const stop = (): void => ok();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  await svc.close();
  return 0;
}
