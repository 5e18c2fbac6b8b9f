// The engine service as a child process of the desktop app: spawned with the app's own runtime (Electron as Node,
// ELECTRON_RUN_AS_NODE), told who its parent is (it exits when the parent is gone), health-checked before the window
// loads it, and stopped on quit. No Electron import: unit-tested with plain Node.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface ServiceSpec {
  /** The runtime: process.execPath (Electron, run as Node) or node. */
  execPath: string;
  /** analysis/bin/rewind.js */
  cliPath: string;
  /** Either an existing database or captures to import (into `db` when given, else a temporary one). */
  db?: string;
  bundles?: string[];
  /** The pid the service watches (the Electron main process). */
  parentPid: number;
  env?: NodeJS.ProcessEnv;
  /** How long to wait for the service to answer its health check. */
  startTimeoutMs?: number;
}

export interface ServiceHandle {
  url: string;
  token: string;
  db: string;
  child: ChildProcess;
  /** The address the window loads (token in the fragment). */
  windowUrl: string;
  stop(): Promise<void>;
}

export function serviceArgs(spec: ServiceSpec): string[] {
  const args = [spec.cliPath, 'serve', '--json'];
  if (spec.db) args.push('--db', spec.db);
  for (const b of spec.bundles ?? []) args.push('--bundle', b);
  if (!spec.db && !(spec.bundles && spec.bundles.length)) throw new Error('a database or a bundle is needed');
  return args;
}

/** Spawns `rewind serve --json`, reads where it listens, checks its health; rejects with the service's own message. */
export async function startServiceProcess(spec: ServiceSpec): Promise<ServiceHandle> {
  const token = randomBytes(32).toString('hex');
  const child = spawn(spec.execPath, serviceArgs(spec), {
    env: { ...(spec.env ?? process.env), ELECTRON_RUN_AS_NODE: '1', REWIND_SERVICE_TOKEN: token, REWIND_PARENT_PID: String(spec.parentPid) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const info = await new Promise<{ url: string; token: string; db: string }>((ok, ko) => {
    let out = '';
    const timer = setTimeout(() => ko(new Error(`the engine service did not start within ${spec.startTimeoutMs ?? 15_000} ms${stderr ? `: ${stderr.trim()}` : ''}`)), spec.startTimeoutMs ?? 15_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      try {
        ok(JSON.parse(out.slice(0, nl)) as { url: string; token: string; db: string });
      } catch {
        ko(new Error(`unexpected output from the engine service: ${out.slice(0, 200)}`));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      ko(new Error(`the engine service exited (code ${code})${stderr ? `: ${stderr.trim()}` : ''}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      ko(err);
    });
  }).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  if (info.token !== token) {
    child.kill('SIGKILL');
    throw new Error('the engine service does not use the token it was given');
  }
  await healthCheck(info.url, token);
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  return {
    url: info.url, token, db: info.db, child, windowUrl: `${info.url}/#token=${token}`,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** POSTs service.health until it answers ok (a few tries: the socket listens before the first request is served). */
export async function healthCheck(url: string, token: string, tries = 20): Promise<void> {
  let last = '';
  for (let i = 0; i < tries; i++) {
    try {
      const r = await fetch(`${url}/api/service.health`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
      const body = (await r.json()) as { ok: boolean; result?: { name?: string } };
      if (body.ok && body.result?.name === 'rewind') return;
      last = `status ${r.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the engine service does not answer its health check: ${last}`);
}
