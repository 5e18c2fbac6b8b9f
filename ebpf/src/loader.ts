// The socket tracer from Node: loads the prebuilt CO-RE object through the N-API addon (loader/loader.c) and
// hands out decoded event batches. Clear errors when the machine cannot trace (not root, no BTF, addon not built).
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
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
  countersPerCpu(handle: unknown, key: number): number[];
  close(handle: unknown): void;
  configureBlocks(handle: unknown, ifaceId: number, offsetNs: bigint, knownPids: Uint32Array): void;
  pollBlocks(handle: unknown, out: Buffer, side: Buffer, timeoutMs: number): number[];
  attachUprobe(handle: unknown, program: string, binary: string, fn: string, retprobe: boolean, pid: number): void;
  blocksFromRecords(records: Buffer, count: number, out: Buffer, side: Buffer, ifaceId: number, offsetNs: bigint): number[];
}

/** What one pollBlocks call produced. */
export interface BlockBatch {
  /** Whole pcapng EPBs (one per socket-data event): a view into the tracer's buffer, valid until the next poll. */
  blocks: Buffer;
  epbs: number;
  /** First and last EPB timestamps (µs since the epoch), -1 when there are none. */
  firstUs: number;
  lastUs: number;
  /** Every other event (closes, TCP, exec/exit) and one header-only record for each process first seen. */
  side: SocketEvent[];
  malformed: number;
}

export interface SocketTracerOptions {
  /** Payload bytes captured per syscall (default 4096, at most 16384). */
  payloadBytes?: number;
  /** Trace only this process (tgid); default: every process but this one. */
  pid?: number;
  /** Trace only sockets with this local or remote port. */
  port?: number;
  /** Trace only processes with this name (the kernel's comm, at most 15 bytes). */
  comm?: string;
  /**
   * Trace only processes in this cgroup (v2) or below it: its directory, e.g. /sys/fs/cgroup/system.slice/nginx.service,
   * or a slice such as /sys/fs/cgroup/kubepods.slice for every pod of a node.
   */
  cgroup?: string;
  /** Bytes of the batch buffer one poll fills (default 4 MiB). */
  batchBytes?: number;
}

/** The cgroup v2 id of a cgroup directory (its inode number), as bpf_get_current_cgroup_id() reports it. */
export function cgroupId(dir: string): number {
  const st = statSync(dir);
  if (!st.isDirectory() || !existsSync(path.join(dir, 'cgroup.procs'))) throw new Error(`${dir} is not a cgroup v2 directory`);
  return st.ino;
}

/** Depth of a cgroup v2 directory below the root of its cgroup2 mount (the root is 0). */
export function cgroupLevel(dir: string, mounts = readFileSync('/proc/mounts', 'utf8')): number {
  const abs = path.resolve(dir);
  let best: string | null = null;
  for (const line of mounts.split('\n')) {
    const f = line.split(' ');
    if (f[2] !== 'cgroup2' || f[1] === undefined) continue;
    if ((abs === f[1] || abs.startsWith(`${f[1]}/`)) && (best === null || f[1].length > best.length)) best = f[1];
  }
  if (best === null) throw new Error(`${dir} is not under a cgroup2 mount`);
  return path.relative(best, abs).split('/').filter((s) => s.length > 0).length;
}

/** The comm filter as the kernel program takes it: four LE words and masks covering the name and its NUL. */
export function commFilter(comm: string): Record<string, number> {
  const bytes = Buffer.from(comm, 'utf8');
  if (bytes.length === 0 || bytes.length > 15) throw new Error(`--comm takes a process name of 1 to 15 bytes (the kernel's comm), not "${comm}"`);
  const name = Buffer.alloc(16);
  bytes.copy(name);
  const mask = Buffer.alloc(16);
  mask.fill(0xff, 0, Math.min(16, bytes.length + 1));
  const out: Record<string, number> = {};
  for (let i = 0; i < 4; i++) {
    out[`cfg_comm${i}`] = name.readUInt32LE(4 * i);
    out[`cfg_comm_mask${i}`] = mask.readUInt32LE(4 * i);
  }
  return out;
}

/** OpenSSL's shared libraries: those mapped by running processes, and the usual install paths. */
export function findLibssl(): string[] {
  const found = new Set<string>();
  for (const p of ['/lib/x86_64-linux-gnu/libssl.so.3', '/usr/lib/x86_64-linux-gnu/libssl.so.3', '/lib/x86_64-linux-gnu/libssl.so.1.1',
    '/usr/lib64/libssl.so.3', '/usr/lib/libssl.so.3']) {
    if (existsSync(p)) found.add(realpath(p));
  }
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch { /* no /proc */ }
  for (const pid of pids) {
    let maps = '';
    try {
      maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    } catch {
      continue; // gone, or not ours to read
    }
    for (const m of maps.matchAll(/\s(\/\S*libssl\.so[.\d]*)$/gm)) {
      const file = m[1];
      if (existsSync(file)) found.add(realpath(file));
    }
  }
  return [...found];
}

function realpath(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Counters kept by the kernel program (summed over CPUs); indexes as RW_CNT_* in socket_trace.h. */
export interface TracerCounters {
  events: number;
  dropped: number;
  dataBytes: number;
  notSocket: number;
  /** Messages of sendmmsg/recvmmsg past the first 8 of a call: not captured. */
  mmsgSkipped: number;
  /** Plaintext events from the OpenSSL probes (included in events). */
  tlsEvents: number;
  /** TLS plaintext whose socket was unknown (no 5-tuple). */
  tlsNoFd: number;
}

/** Why this machine cannot run the tracer, or null when it can. */
export function tracerUnavailableReason(where: { btf?: string; addon?: string; object?: string } = {}): string | null {
  const btf = where.btf ?? '/sys/kernel/btf/vmlinux';
  const addon = where.addon ?? ADDON;
  const object = where.object ?? SOCKET_TRACE_OBJECT;
  if (process.platform !== 'linux') return `eBPF needs Linux (this is ${process.platform})`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'eBPF tracing needs root (run as root or with CAP_BPF + CAP_PERFMON)';
  if (!existsSync(btf)) return `the kernel has no BTF (${btf} is missing; CONFIG_DEBUG_INFO_BTF=y is needed): CO-RE programs cannot load`;
  if (!existsSync(addon)) return `the native loader is not built (${path.relative(process.cwd(), addon)}): install libbpf-dev libelf-dev zlib1g-dev, then npm rebuild`;
  if (!existsSync(object)) return `the eBPF object is missing (${object}): make -C ebpf`;
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
  private side: Buffer | null = null;
  /** The libssl files the OpenSSL probes are attached to. */
  readonly tlsLibraries: string[] = [];

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
      cfg_cgroup_id: opts.cgroup === undefined ? 0 : cgroupId(opts.cgroup),
      cfg_cgroup_level: opts.cgroup === undefined ? 0 : cgroupLevel(opts.cgroup),
      ...(opts.comm === undefined ? {} : commFilter(opts.comm)),
    });
  }

  /**
   * Attaches the OpenSSL probes (SSL_write/SSL_read and their _ex forms, entry and return) to each library, for
   * every process that maps it, now or later. Returns the libraries attached; a library without the symbols is
   * skipped with its reason in `skipped`.
   */
  attachTls(libraries: string[] = findLibssl()): { attached: string[]; skipped: string[] } {
    if (this.handle === null) throw new Error('the tracer is closed');
    const attached: string[] = [];
    const skipped: string[] = [];
    const probes: Array<[string, string, boolean]> = [
      ['rw_ssl_write', 'SSL_write', false], ['rw_ssl_write_ret', 'SSL_write', true],
      ['rw_ssl_read', 'SSL_read', false], ['rw_ssl_read_ret', 'SSL_read', true],
      ['rw_ssl_write_ex', 'SSL_write_ex', false], ['rw_ssl_write_ret', 'SSL_write_ex', true],
      ['rw_ssl_read_ex', 'SSL_read_ex', false], ['rw_ssl_read_ret', 'SSL_read_ex', true],
    ];
    for (const lib of libraries) {
      try {
        for (const [prog, fn, ret] of probes) this.addon.attachUprobe(this.handle, prog, lib, fn, ret, -1);
        attached.push(lib);
        this.tlsLibraries.push(lib);
      } catch (err) {
        skipped.push(`${lib}: ${(err as Error).message}`);
      }
    }
    return { attached, skipped };
  }

  /**
   * Switches to pcapng output: from now on pollBlocks() returns socket-data events as whole EPBs of interface
   * `ifaceId` (timestamps + offsetNs), and announces each process once (known ones excepted).
   */
  configureBlocks(ifaceId: number, offsetNs: bigint, knownPids: Iterable<number>): void {
    if (this.handle === null) throw new Error('the tracer is closed');
    this.addon.configureBlocks(this.handle, ifaceId, offsetNs, Uint32Array.from(knownPids));
    this.side ??= Buffer.allocUnsafe(1 << 20);
  }

  pollBlocks(timeoutMs = 0): BlockBatch {
    if (this.handle === null) throw new Error('the tracer is closed');
    if (this.side === null) throw new Error('pollBlocks before configureBlocks');
    const [epbs, used, sideRecords, sideUsed, firstUs, lastUs] = this.addon.pollBlocks(this.handle, this.batch, this.side, timeoutMs);
    const side = decodeBatch(this.side, sideRecords, sideUsed);
    return { blocks: this.batch.subarray(0, used), epbs, firstUs, lastUs, side: side.events, malformed: side.malformed };
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
    return {
      events: c[0] ?? 0, dropped: c[1] ?? 0, dataBytes: c[2] ?? 0, notSocket: c[3] ?? 0, mmsgSkipped: c[4] ?? 0, tlsEvents: c[5] ?? 0,
      tlsNoFd: c[6] ?? 0,
    };
  }

  /** Events written and events dropped, as each CPU counted them (index = CPU). */
  countersPerCpu(): { events: number[]; dropped: number[] } {
    if (this.handle === null) throw new Error('the tracer is closed');
    return { events: this.addon.countersPerCpu(this.handle, 0), dropped: this.addon.countersPerCpu(this.handle, 1) };
  }

  close(): void {
    if (this.handle === null) return;
    this.addon.close(this.handle);
    this.handle = null;
  }
}

/** The EPB writer of the loader over records laid out as poll() writes them (no kernel needed; for tests). */
export function blocksFromRecords(records: Buffer, count: number, ifaceId: number, offsetNs: bigint): { blocks: Buffer; epbs: number; side: SocketEvent[]; firstUs: number; lastUs: number } {
  const addon = createRequire(import.meta.url)(ADDON) as Addon;
  const out = Buffer.alloc(Math.max(1 << 17, records.length * 2 + 4096));
  const side = Buffer.alloc(Math.max(1 << 16, records.length * 2));
  const [epbs, used, sideRecords, sideUsed, firstUs, lastUs] = addon.blocksFromRecords(records, count, out, side, ifaceId, offsetNs);
  return { blocks: out.subarray(0, used), epbs, side: decodeBatch(side, sideRecords, sideUsed).events, firstUs, lastUs };
}

/** Whether the native loader is built (blocksFromRecords needs no root, only the addon). */
export function addonBuilt(): boolean {
  return existsSync(ADDON);
}
