// The socket tracer from Node: loads the prebuilt CO-RE object through the N-API addon (loader/loader.c) and
// hands out decoded event batches. Clear errors when the machine cannot trace (not root, no BTF, addon not built).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { decodeBatch } from './event.js';
import type { SocketEvent } from './event.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** The package root (ebpf/), from src/ (tests) or dist/ (built). */
export const EBPF_ROOT = path.resolve(here, '..');
export const SOCKET_TRACE_OBJECT = path.join(EBPF_ROOT, 'prebuilt', 'socket_trace.bpf.o');
const ADDON = path.join(EBPF_ROOT, 'build', 'Release', 'rewind_ebpf.node');

interface Addon {
  open(objectPath: string, config: Record<string, number>): unknown;
  poll(handle: unknown, out: Buffer, timeoutMs: number): [number, number];
  counters(handle: unknown): number[];
  close(handle: unknown): void;
}

export interface SocketTracerOptions {
  /** Payload bytes captured per syscall (default 4096, at most 16384). */
  payloadBytes?: number;
  /** Trace only this process (tgid); default: every process but this one. */
  pid?: number;
  /** Trace only sockets with this local or remote port. */
  port?: number;
  /** Bytes of the batch buffer one poll fills (default 4 MiB). */
  batchBytes?: number;
}

/** Counters kept by the kernel program (summed over CPUs); indexes as RW_CNT_* in socket_trace.h. */
export interface TracerCounters {
  events: number;
  dropped: number;
  dataBytes: number;
  notSocket: number;
}

/** Why this machine cannot run the tracer, or null when it can. */
export function tracerUnavailableReason(): string | null {
  if (process.platform !== 'linux') return `eBPF needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'eBPF tracing needs root (run as root or with CAP_BPF + CAP_PERFMON)';
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE programs cannot load';
  if (!existsSync(ADDON)) return `the native loader is not built (${path.relative(process.cwd(), ADDON)}): install libbpf-dev libelf-dev zlib1g-dev, then npm rebuild`;
  if (!existsSync(SOCKET_TRACE_OBJECT)) return `the eBPF object is missing (${SOCKET_TRACE_OBJECT}): make -C ebpf`;
  return null;
}

/** Mounts tracefs at /sys/kernel/tracing when it is not there (tracepoint attachment needs it). */
export function ensureTracefs(): void {
  if (existsSync('/sys/kernel/tracing/events')) return;
  const r = spawnSync('mount', ['-t', 'tracefs', 'nodev', '/sys/kernel/tracing'], { encoding: 'utf8' });
  if (r.status !== 0 && !existsSync('/sys/kernel/tracing/events')) {
    throw new Error(`tracefs is not mounted and mounting it failed: ${(r.stderr || r.error?.message || '').trim()}`);
  }
}

export class SocketTracer {
  private handle: unknown;
  private readonly addon: Addon;
  private readonly batch: Buffer;

  constructor(opts: SocketTracerOptions = {}) {
    const why = tracerUnavailableReason();
    if (why !== null) throw new Error(`cannot start the eBPF socket tracer: ${why}`);
    ensureTracefs();
    const payload = Math.min(16384, Math.max(0, Math.floor(opts.payloadBytes ?? 4096)));
    this.addon = createRequire(import.meta.url)(ADDON) as Addon;
    this.batch = Buffer.allocUnsafe(opts.batchBytes ?? 4 << 20);
    this.handle = this.addon.open(SOCKET_TRACE_OBJECT, {
      cfg_payload_bytes: payload,
      cfg_self_tgid: opts.pid === undefined ? process.pid : 0,
      cfg_target_tgid: opts.pid ?? 0,
      cfg_port: opts.port ?? 0,
    });
  }

  /**
   * Takes what the ring buffer holds (waiting up to timeoutMs when it is empty). Payloads are views into the batch
   * buffer: copy what must outlive the next poll.
   */
  poll(timeoutMs = 0): { events: SocketEvent[]; malformed: number } {
    if (this.handle === null) throw new Error('the tracer is closed');
    const [records, used] = this.addon.poll(this.handle, this.batch, timeoutMs);
    return decodeBatch(this.batch, records, used);
  }

  counters(): TracerCounters {
    if (this.handle === null) throw new Error('the tracer is closed');
    const c = this.addon.counters(this.handle);
    return { events: c[0] ?? 0, dropped: c[1] ?? 0, dataBytes: c[2] ?? 0, notSocket: c[3] ?? 0 };
  }

  close(): void {
    if (this.handle === null) return;
    this.addon.close(this.handle);
    this.handle = null;
  }
}
