// Packets from network interfaces through libpcap (Rewind's own binding, native/pcap.c), with a kernel (BPF)
// filter, into the bundle as Enhanced Packet Blocks: stamped with the kernel's capture time (ns), with libpcap's
// drop counters (pcap_stats) for the bundle's coverage stats.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** native/build/Release from src/sources (tests) or dist/sources (built): both sit two levels under the package. */
const ADDON = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'native', 'build', 'Release', 'rewind_pcap.node');

/** Bytes before each packet in a dispatch batch: u64 tsNs, u32 caplen, u32 origlen (little-endian). */
export const PCAP_RECORD_HEADER = 16;
/** libpcap's largest snapshot length (MAXIMUM_SNAPLEN): larger requests are clamped to it. */
const MAX_SNAPLEN = 262_144;

/** libpcap's counters since the capture was opened (pcap_stats; 32-bit, they wrap). */
export interface PcapStats {
  /** Packets the kernel passed the filter (on Linux, including the ones then dropped). */
  received: number;
  /** Packets dropped because libpcap's buffer was full (the agent did not read fast enough). */
  dropped: number;
  /** Packets the interface or its driver dropped (where the platform reports it). */
  ifDropped: number;
}

/** The N-API addon (native/pcap.c). Handles are opaque. */
export interface PcapBinding {
  open(device: string, filter: string, snapLen: number, bufferBytes: number): unknown;
  /** Records into out: [packets, bytesUsed, full] (full = 1: a packet waits in the stash for the next call). */
  dispatch(handle: unknown, out: Buffer): [number, number, number];
  stats(handle: unknown): PcapStats;
  linkType(handle: unknown): number;
  linkTypeName(handle: unknown): string;
  /** 9 when libpcap's timestamps carry ns, 6 when µs (the records are in ns either way). */
  tstampPrecision(handle: unknown): number;
  fd(handle: unknown): number;
  close(handle: unknown): void;
}

export interface PcapPacket {
  /** The kernel's capture time, ns since the Unix epoch. */
  tsNs: bigint;
  /** The captured bytes: a view valid during the callback only. */
  data: Buffer;
  /** Length on the wire (more than data.length when the snapshot length cut the packet). */
  origLen: number;
  truncated: boolean;
}

export interface PcapSourceOptions {
  device: string;
  /** libpcap filter expression (compiled into the kernel's socket filter). */
  filter?: string;
  /** Bytes kept per packet (default 65535, at most 262144). */
  snapLen?: number;
  /** libpcap's (kernel) buffer, where packets wait between reads (default 16 MiB). */
  bufferBytes?: number;
  /** The batch one read fills (default 1 MiB; at least one snapLen packet's record). */
  batchBytes?: number;
  /** How often packets are read (default 5 ms). */
  intervalMs?: number;
  /** A capture that fails while running (e.g. the interface went away) stops and reports here (default: a process warning). */
  onError?: (err: Error) => void;
}

const NOT_BUILT = 'libpcap capture is not available: the rewind_pcap addon is not built (apt-get install libpcap-dev, then run npm install, or npm rebuild @rewind/capture-agent)';
let binding: PcapBinding | string | undefined;

/** The libpcap addon, or why it cannot be loaded. */
export function loadPcapBinding(): PcapBinding | string {
  if (binding === undefined) {
    try {
      binding = createRequire(import.meta.url)(ADDON) as PcapBinding;
    } catch (err) {
      binding = `${NOT_BUILT}: ${(err as Error).message}`;
    }
  }
  return binding;
}

/** Calls visit for each record of a dispatch batch, reusing pkt (its data is a view into batch). */
export function forEachPcapRecord(batch: Buffer, count: number, pkt: PcapPacket, visit: (p: PcapPacket) => void): void {
  let pos = 0;
  for (let i = 0; i < count; i++) {
    const caplen = batch.readUInt32LE(pos + 8);
    pkt.tsNs = batch.readBigUInt64LE(pos);
    pkt.origLen = batch.readUInt32LE(pos + 12);
    pkt.data = batch.subarray(pos + PCAP_RECORD_HEADER, pos + PCAP_RECORD_HEADER + caplen);
    pkt.truncated = caplen < pkt.origLen;
    pos += PCAP_RECORD_HEADER + ((caplen + 3) & ~3);
    visit(pkt);
  }
}

/**
 * A live capture on one interface. Packets are read on a short timer (unref'd: it keeps no process alive) and handed
 * to onPacket; drain() reads what is waiting now; close() drains first, so every packet captured before it is
 * delivered.
 */
export class PcapSource {
  readonly linkType: number;
  /** libpcap's name of the link type (e.g. EN10MB). */
  readonly linkTypeName: string;
  /** Whether libpcap's timestamps carry nanoseconds (else microseconds; tsNs is in ns either way). */
  readonly nanosecondTimestamps: boolean;
  private readonly pcap: PcapBinding;
  private readonly handle: unknown;
  private readonly batch: Buffer;
  private readonly pkt: PcapPacket = { tsNs: 0n, data: Buffer.alloc(0), origLen: 0, truncated: false };
  private readonly timer: NodeJS.Timeout;
  private readonly catchUpBytes: number;
  private lastStats: PcapStats = { received: 0, dropped: 0, ifDropped: 0 };
  private failure: Error | null = null;
  private closed = false;

  constructor(private readonly opts: PcapSourceOptions, private readonly onPacket: (p: PcapPacket) => void) {
    const pcap = loadPcapBinding();
    if (typeof pcap === 'string') throw new Error(pcap);
    const snapLen = opts.snapLen ?? 65_535;
    const bufferBytes = opts.bufferBytes ?? 16 << 20;
    const batchBytes = opts.batchBytes ?? 1 << 20;
    if (!Number.isInteger(snapLen) || snapLen < 1 || snapLen > MAX_SNAPLEN) throw new Error(`snapLen must be 1 to ${MAX_SNAPLEN}, not ${snapLen}`);
    if (!Number.isInteger(bufferBytes) || bufferBytes < 1 || bufferBytes > 0x7fff_ffff) throw new Error(`bufferBytes must be a positive 32-bit integer, not ${bufferBytes}`);
    // Every record must fit in an empty batch, or a packet could never be delivered.
    const maxRecord = PCAP_RECORD_HEADER + ((snapLen + 3) & ~3);
    if (!Number.isInteger(batchBytes) || batchBytes < maxRecord) throw new Error(`batchBytes must hold one whole packet record (≥ ${maxRecord} bytes for snapLen ${snapLen}), not ${batchBytes}`);
    this.pcap = pcap;
    // open throws "cannot capture on <device>: …" with libpcap's reason (no such device, permission, bad filter).
    this.handle = pcap.open(opts.device, opts.filter ?? '', snapLen, bufferBytes);
    this.linkType = pcap.linkType(this.handle);
    this.linkTypeName = pcap.linkTypeName(this.handle);
    this.nanosecondTimestamps = pcap.tstampPrecision(this.handle) === 9;
    this.batch = Buffer.allocUnsafe(batchBytes);
    // A drain ends once it has read more than libpcap's buffer can hold: everything waiting at its start is then out.
    this.catchUpBytes = 2 * bufferBytes + batchBytes;
    this.timer = setInterval(() => this.read(16 * batchBytes), opts.intervalMs ?? 5);
    this.timer.unref();
  }

  get device(): string {
    return this.opts.device;
  }

  /** The capture's failure while running (it has stopped then), or null. */
  get error(): Error | null {
    return this.failure;
  }

  /** Reads and delivers the packets waiting now; returns how many. */
  drain(): number {
    return this.read(this.catchUpBytes);
  }

  /** libpcap's counters: live while open, the last reading (taken at close) after. */
  stats(): PcapStats {
    if (!this.closed) {
      try {
        this.lastStats = this.pcap.stats(this.handle);
      } catch (err) {
        this.fail(err as Error);
      }
    }
    return { ...this.lastStats };
  }

  /** Delivers what was captured up to now, takes the final counters, and closes. Idempotent. */
  close(): void {
    if (this.closed) return;
    clearInterval(this.timer);
    try {
      this.drain();
      this.stats();
    } finally {
      this.closed = true;
      this.pcap.close(this.handle);
    }
  }

  /** Dispatches batches until libpcap's buffer is empty or about `budget` bytes were read. */
  private read(budget: number): number {
    if (this.closed || this.failure !== null) return 0;
    let packets = 0;
    let bytes = 0;
    for (;;) {
      let n: number, used: number, full: number;
      try {
        [n, used, full] = this.pcap.dispatch(this.handle, this.batch);
      } catch (err) {
        this.fail(err as Error);
        return packets;
      }
      forEachPcapRecord(this.batch, n, this.pkt, this.onPacket);
      packets += n;
      bytes += used;
      if (!full || bytes >= budget) return packets;
    }
  }

  private fail(err: Error): void {
    if (this.failure !== null) return;
    this.failure = new Error(`capture on ${this.opts.device} stopped: ${err.message}`);
    clearInterval(this.timer);
    if (this.opts.onError) this.opts.onError(this.failure);
    else process.emitWarning(this.failure.message, 'RewindPcapWarning');
  }
}
