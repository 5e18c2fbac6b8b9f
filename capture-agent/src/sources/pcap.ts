// Packets from network interfaces through libpcap (the `cap` package), with a kernel (BPF) filter, into the
// bundle as Enhanced Packet Blocks. `cap` hands packets over without libpcap's timestamps: they are stamped when
// they reach this process (immediate mode keeps that close to the kernel's time; see docs/ebpf.md).
import { createRequire } from 'node:module';

interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  on(event: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  close(): void;
}
interface CapModule {
  Cap: new () => CapHandle;
}

/** pcap LINKTYPE_* of cap's link type names. */
const LINK_TYPES: Record<string, number> = { NULL: 0, ETHERNET: 1, RAW: 101, LINKTYPE_LINUX_SLL: 113, IEEE802_11_RADIO: 127 };

export interface PcapPacket {
  /** Wall-clock ns when the packet reached the agent. */
  tsNs: bigint;
  /** A view valid during the callback only. */
  data: Buffer;
  truncated: boolean;
}

export interface PcapSourceOptions {
  device: string;
  /** libpcap filter expression (compiled into the kernel's socket filter). */
  filter?: string;
  snapLen?: number;
}

let capModule: CapModule | null | undefined;

/** The `cap` addon, or why it cannot be loaded. */
export function loadCap(): CapModule | string {
  if (capModule === undefined) {
    try {
      capModule = createRequire(import.meta.url)('cap') as CapModule;
    } catch (err) {
      capModule = null;
      return `libpcap capture is not available (the cap package did not build: install libpcap-dev, then npm rebuild cap): ${(err as Error).message}`;
    }
  }
  return capModule ?? 'libpcap capture is not available (the cap package did not build: install libpcap-dev, then npm rebuild cap)';
}

export class PcapSource {
  readonly linkType: number;
  readonly linkTypeName: string;
  private readonly cap: CapHandle;
  private readonly buffer: Buffer;
  private closed = false;

  constructor(private readonly opts: PcapSourceOptions, onPacket: (p: PcapPacket) => void) {
    const mod = loadCap();
    if (typeof mod === 'string') throw new Error(mod);
    const snap = opts.snapLen ?? 65_535;
    this.buffer = Buffer.alloc(snap);
    this.cap = new mod.Cap();
    let name: string;
    try {
      name = this.cap.open(opts.device, opts.filter ?? '', 16 << 20, this.buffer);
    } catch (err) {
      throw new Error(`cannot capture on ${opts.device}: ${(err as Error).message}`);
    }
    const lt = LINK_TYPES[name];
    if (lt === undefined) {
      this.cap.close();
      throw new Error(`cannot capture on ${opts.device}: link type ${name} is not supported`);
    }
    this.linkType = lt;
    this.linkTypeName = name;
    // process.hrtime is CLOCK_MONOTONIC: one offset maps it to wall time for the whole recording.
    const offset = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
    const pkt: PcapPacket = { tsNs: 0n, data: this.buffer, truncated: false };
    this.cap.on('packet', (nbytes, truncated) => {
      if (this.closed) return;
      pkt.tsNs = process.hrtime.bigint() + offset;
      pkt.data = this.buffer.subarray(0, nbytes);
      pkt.truncated = truncated;
      onPacket(pkt);
    });
  }

  get device(): string {
    return this.opts.device;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cap.close();
  }
}
