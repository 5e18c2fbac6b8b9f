// The eBPF process context of a socket-data EPB: a fixed little-endian layout inside a Rewind custom option.

import { OptionCode } from './constants.js';
import { readOptions, toCustomOption } from './options.js';
import type { ByteOrder } from './options.js';
import { REWIND_PEN } from './types.js';
import type { PacketRecord } from './types.js';

/** Kind of a Rewind EPB custom option (first u16 after the PEN). */
export const EpbCustomKind = { EBPF_CONTEXT: 1 } as const;

/** System calls (and TLS library probes) a socket-data event can come from; the index is the wire code. */
export const SYSCALLS = [
  'unknown',
  'read',
  'write',
  'readv',
  'writev',
  'recvfrom',
  'sendto',
  'recvmsg',
  'sendmsg',
  'recvmmsg',
  'sendmmsg',
  'sendfile',
  'ssl_read',
  'ssl_write',
] as const;
export type SyscallName = (typeof SYSCALLS)[number];

export interface EbpfContext {
  /** Process id (kernel tgid). */
  pid: number;
  /** Thread id (kernel pid). */
  tid: number;
  /** Process name (kernel comm, at most 15 bytes). */
  comm: string;
  /** Socket file descriptor, -1 when unknown. */
  fd: number;
  /** Kernel socket cookie: stable id of the socket for its lifetime. */
  socketId: bigint;
  /** ingress = data the process received, egress = data it sent. */
  direction: 'unknown' | 'ingress' | 'egress';
  syscall: SyscallName;
  /** TCP sequence number of the first payload byte (0 when unknown): joins this PDU to the wire packets. */
  tcpSeq: number;
  /** Id shared by the ingress and egress syscalls of one request inside a thread (0 when none). */
  syscallTraceId: bigint;
  /** Per-socket capture sequence, for ordering PDUs of one socket. */
  capSeq: number;
  /** Bytes the syscall transferred. */
  syscallLen: number;
  /** Bytes of payload captured into this PDU (≤ syscallLen). */
  capturedLen: number;
  /** Payload is plaintext taken from a TLS library probe rather than the socket. */
  tls: boolean;
  /** The process's role on the socket: client after connect(), server after accept() (absent = unknown). */
  role?: 'unknown' | 'client' | 'server';
}

/** Layout version this code writes; decoders read any version ≥ 1 whose data is long enough. */
export const EBPF_CONTEXT_VERSION = 1;
/** Bytes after the PEN. */
export const EBPF_CONTEXT_LEN = 72;
const COMM_LEN = 16;
const FLAG_TLS = 0x01;

/**
 * Encodes the context (the bytes after the PEN). Layout, little-endian:
 *  0 u16 kind = 1 · 2 u16 version = 1 · 4 u8 direction (0 unknown, 1 ingress, 2 egress) · 5 u8 syscall code ·
 *  6 u8 flags (bit 0 TLS) · 7 u8 role (0 unknown, 1 client, 2 server; 0 in writers before it) · 8 u32 pid · 12 u32 tid · 16 i32 fd · 20 u32 tcp_seq ·
 *  24 u64 socket id · 32 u64 syscall trace id · 40 u64 cap_seq · 48 u32 syscall length ·
 *  52 u32 captured length · 56 char[16] comm (NUL-padded) · 72 end.
 */
export function encodeEbpfContext(ctx: EbpfContext): Buffer {
  const b = Buffer.alloc(EBPF_CONTEXT_LEN);
  b.writeUInt16LE(EpbCustomKind.EBPF_CONTEXT, 0);
  b.writeUInt16LE(EBPF_CONTEXT_VERSION, 2);
  b.writeUInt8(ctx.direction === 'ingress' ? 1 : ctx.direction === 'egress' ? 2 : 0, 4);
  const code = SYSCALLS.indexOf(ctx.syscall);
  b.writeUInt8(code < 0 ? 0 : code, 5);
  b.writeUInt8(ctx.tls ? FLAG_TLS : 0, 6);
  b.writeUInt8(ctx.role === 'client' ? 1 : ctx.role === 'server' ? 2 : 0, 7);
  b.writeUInt32LE(ctx.pid >>> 0, 8);
  b.writeUInt32LE(ctx.tid >>> 0, 12);
  b.writeInt32LE(ctx.fd | 0, 16);
  b.writeUInt32LE(ctx.tcpSeq >>> 0, 20);
  b.writeBigUInt64LE(BigInt.asUintN(64, ctx.socketId), 24);
  b.writeBigUInt64LE(BigInt.asUintN(64, ctx.syscallTraceId), 32);
  b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(ctx.capSeq)), 40);
  b.writeUInt32LE(ctx.syscallLen >>> 0, 48);
  b.writeUInt32LE(ctx.capturedLen >>> 0, 52);
  // comm is at most 15 bytes + NUL in the kernel; cut on a byte boundary like the kernel does.
  Buffer.from(ctx.comm, 'utf8').subarray(0, COMM_LEN - 1).copy(b, 56);
  return b;
}

/** Decodes the bytes after the PEN; undefined when they are not an eBPF context (never throws). */
export function decodeEbpfContext(data: Buffer): EbpfContext | undefined {
  if (data.length < EBPF_CONTEXT_LEN) return undefined;
  if (data.readUInt16LE(0) !== EpbCustomKind.EBPF_CONTEXT || data.readUInt16LE(2) < 1) return undefined;
  const dir = data[4];
  const role = data[7] === 1 ? 'client' : data[7] === 2 ? 'server' : undefined;
  const comm = data.subarray(56, 56 + COMM_LEN);
  const nul = comm.indexOf(0);
  return {
    pid: data.readUInt32LE(8),
    tid: data.readUInt32LE(12),
    comm: comm.subarray(0, nul < 0 ? COMM_LEN : nul).toString('utf8'),
    fd: data.readInt32LE(16),
    socketId: data.readBigUInt64LE(24),
    direction: dir === 1 ? 'ingress' : dir === 2 ? 'egress' : 'unknown',
    syscall: SYSCALLS[data[5]] ?? 'unknown',
    tcpSeq: data.readUInt32LE(20),
    syscallTraceId: data.readBigUInt64LE(32),
    capSeq: Number(data.readBigUInt64LE(40)),
    syscallLen: data.readUInt32LE(48),
    capturedLen: data.readUInt32LE(52),
    tls: (data[6] & FLAG_TLS) !== 0,
    ...(role === undefined ? {} : { role }),
  };
}

/** Finds and decodes the eBPF context among raw EPB options; undefined when there is none. */
export function findEbpfContext(options: Buffer, byteOrder: ByteOrder): EbpfContext | undefined {
  if (options.length === 0) return undefined;
  for (const opt of readOptions(options, 0, options.length, byteOrder).options) {
    if (opt.code !== OptionCode.CUSTOM_BIN_COPY && opt.code !== OptionCode.CUSTOM_BIN_NOCOPY) continue;
    const custom = toCustomOption(opt, byteOrder);
    if (custom && custom.pen === REWIND_PEN) {
      const ctx = decodeEbpfContext(custom.data);
      if (ctx) return ctx;
    }
  }
  return undefined;
}

/** The eBPF context of a packet delivered by CaptureReader, if it has one. */
export function packetEbpfContext(p: PacketRecord): EbpfContext | undefined {
  return p.options ? findEbpfContext(p.options, p.byteOrder ?? 'le') : undefined;
}
