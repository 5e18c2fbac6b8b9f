// Decoder of the socket tracer's ring-buffer records (struct rw_event in socket_trace.h + payload).
// Offsets mirror the C header; event.test.ts compiles the header and compares them.

export const EVENT_HEADER_BYTES = 120;

/** Byte offsets of struct rw_event's fields. */
export const EVENT_OFFSETS = {
  ts_ns: 0, socket_id: 8, syscall_trace_id: 16, cap_seq: 24, pid: 32, tid: 36, fd: 40, tcp_seq: 44, syscall_len: 48,
  cap_len: 52, kind: 56, direction: 57, role: 58, syscall: 59, flags: 60, protocol: 61, family: 62, sport: 64, dport: 66,
  saddr: 68, daddr: 84, comm: 100, aux: 116,
} as const;

export const EVENT_KIND = {
  data: 1, sockOpen: 2, sockClose: 3, tcpState: 4, tcpRetransmit: 5, exec: 6, exit: 7,
  /** Loader-made (pollBlocks' side records): the first event of a process not announced before, header only. */
  firstOfPid: 100,
} as const;
export const DIRECTION = { egress: 0, ingress: 1 } as const;
export const ROLE_NAMES = ['unknown', 'client', 'server'] as const;
export const SYSCALL_NAMES: Record<number, string> = {
  1: 'write', 2: 'read', 3: 'sendto', 4: 'recvfrom', 5: 'connect', 6: 'accept4', 7: 'close', 8: 'accept', 9: 'writev',
  10: 'readv', 11: 'sendmsg', 12: 'recvmsg', 13: 'sendmmsg', 14: 'recvmmsg', 15: 'ssl_write', 16: 'ssl_read',
};
/** Linux TCP states (include/net/tcp_states.h), for TCP state events. */
export const TCP_STATE_NAMES = ['', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT',
  'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV'] as const;
export const FLAG_TLS = 1;
export const FLAG_TRUNCATED = 2;
/** Ciphertext of a syscall made inside SSL_read / SSL_write (its plaintext comes as a TLS event). */
export const FLAG_IN_TLS = 4;

export interface SocketEvent {
  /** CLOCK_MONOTONIC ns at syscall exit. */
  tsNs: bigint;
  socketId: bigint;
  syscallTraceId: bigint;
  capSeq: bigint;
  pid: number;
  tid: number;
  fd: number;
  tcpSeq: number;
  syscallLen: number;
  kind: number;
  /** 0 egress (the process sent), 1 ingress (it received). */
  direction: number;
  role: (typeof ROLE_NAMES)[number];
  syscall: string;
  flags: number;
  /** IPPROTO_TCP (6) or IPPROTO_UDP (17). */
  protocol: number;
  family: 4 | 6;
  localAddr: string;
  localPort: number;
  remoteAddr: string;
  remotePort: number;
  comm: string;
  /** Per kind: TCP state events old state << 8 | new state; retransmissions the socket's state; else 0. */
  aux: number;
  /** The captured payload: a view into the batch buffer, valid until the next poll. */
  payload: Buffer;
}

const AF_INET = 2;

function addr(b: Buffer, off: number, family: number): string {
  if (family === AF_INET) return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(off + i).toString(16));
  return parts.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

/** Decodes one record (header + payload) starting at `off`; null when it is shorter than its header says. */
export function decodeEvent(b: Buffer, off: number, len: number): SocketEvent | null {
  if (len < EVENT_HEADER_BYTES || off + len > b.length) return null;
  const O = EVENT_OFFSETS;
  const capLen = b.readUInt32LE(off + O.cap_len);
  if (EVENT_HEADER_BYTES + capLen > len) return null;
  const family = b.readUInt16LE(off + O.family);
  let commEnd = off + O.comm;
  while (commEnd < off + O.comm + 16 && b[commEnd] !== 0) commEnd++;
  return {
    tsNs: b.readBigUInt64LE(off + O.ts_ns),
    socketId: b.readBigUInt64LE(off + O.socket_id),
    syscallTraceId: b.readBigUInt64LE(off + O.syscall_trace_id),
    capSeq: b.readBigUInt64LE(off + O.cap_seq),
    pid: b.readUInt32LE(off + O.pid),
    tid: b.readUInt32LE(off + O.tid),
    fd: b.readInt32LE(off + O.fd),
    tcpSeq: b.readUInt32LE(off + O.tcp_seq),
    syscallLen: b.readUInt32LE(off + O.syscall_len),
    kind: b[off + O.kind],
    direction: b[off + O.direction],
    role: ROLE_NAMES[b[off + O.role]] ?? 'unknown',
    syscall: SYSCALL_NAMES[b[off + O.syscall]] ?? `syscall-${b[off + O.syscall]}`,
    flags: b[off + O.flags],
    protocol: b[off + O.protocol],
    family: family === AF_INET ? 4 : 6,
    localAddr: addr(b, off + O.saddr, family),
    localPort: b.readUInt16LE(off + O.sport),
    remoteAddr: addr(b, off + O.daddr, family),
    remotePort: b.readUInt16LE(off + O.dport),
    comm: b.toString('latin1', off + O.comm, commEnd),
    aux: b.readUInt32LE(off + O.aux),
    payload: b.subarray(off + EVENT_HEADER_BYTES, off + EVENT_HEADER_BYTES + capLen),
  };
}

/**
 * Decodes a batch as the loader writes it: `records` records of (u32 length, event bytes) in `b[0, used)`.
 * Records that do not decode are counted in `malformed`.
 */
export function decodeBatch(b: Buffer, records: number, used: number): { events: SocketEvent[]; malformed: number } {
  const events: SocketEvent[] = [];
  let malformed = 0;
  let off = 0;
  for (let i = 0; i < records && off + 4 <= used; i++) {
    const len = b.readUInt32LE(off);
    off += 4;
    const ev = off + len <= used ? decodeEvent(b, off, len) : null;
    if (ev === null) malformed++;
    else events.push(ev);
    off += len;
  }
  return { events, malformed };
}
