// Running the system tools the lab is built with (ip, nft, sysctl): synchronous, arguments never through a shell,
// a failure carries the command and what it printed.
import { execFileSync, spawnSync } from 'node:child_process';

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`${command}: ${stderr.trim() || `exit ${status}`}`);
  }
}

export function run(cmd: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (err) {
    const e = err as { status?: number | null; stderr?: string | Buffer; message: string };
    throw new CommandError(`${cmd} ${args.join(' ')}`, e.status ?? null, e.stderr ? String(e.stderr) : e.message);
  }
}

/** Like run, but a failure is returned instead of thrown (teardown goes on past what is already gone). */
export function tryRun(cmd: string, args: readonly string[]): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

export const ip = (...args: string[]): string => run('ip', args);
/** `ip -n NS …`: the command runs against that network namespace. */
export const ipn = (ns: string, ...args: string[]): string => run('ip', ['-n', ns, ...args]);

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}
