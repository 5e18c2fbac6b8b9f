// Types of the bundle/capture reader and writer: the contract between the format package and the engine.

/** Rewind's private enterprise number for pcapng custom blocks and options (see docs/bundle-format.md). */
export const REWIND_PEN = 32473;

/** Bundle format version this code writes; the reader refuses a greater major version. */
export const BUNDLE_FORMAT_VERSION = { major: 1, minor: 0 } as const;

export type CaptureFormat = 'pcapng' | 'pcap' | 'pcap-ns';

/** One pcapng section (or the single implicit section of a classic pcap file). */
export interface SectionInfo {
  /** 0-based index across everything this reader has read. */
  index: number;
  byteOrder: 'le' | 'be';
  /** pcapng major.minor of the section header (classic pcap: its header version). */
  pcapngVersion: string;
  hardware?: string;
  os?: string;
  userAppl?: string;
  /** Byte offset of the section header in the (decompressed) input stream (set by CaptureReader). */
  blockOffset?: number;
  /** Present when the section carries Rewind's custom SHB option. */
  rewind?: {
    formatMajor: number;
    formatMinor: number;
    host?: string;
    /** Capture configuration JSON as written by the agent. */
    config?: unknown;
  };
}

/** One interface (pcapng IDB, or the single link of a classic pcap file) = one observation point. */
export interface InterfaceInfo {
  /** Global id, unique across all sections and files fed to one reader; 0-based. */
  id: number;
  sectionIndex: number;
  /** Index of the IDB inside its section (what EPBs reference). */
  localId: number;
  linkType: number;
  snapLen: number;
  name?: string;
  description?: string;
  hardware?: string;
  os?: string;
  filter?: string;
  /** Timestamp units per second (1e6 default, 1e9 for ns). */
  tsUnitsPerSec: number;
  /** if_tsoffset in seconds. */
  tsOffsetSec: number;
  /** Rewind observation-point metadata from the IDB custom option (JSON), if any. */
  observationPoint?: Record<string, unknown>;
}

/**
 * One captured frame. `data` is a view into the reader's buffer: copy it if you keep it past the callback.
 * CaptureReader reuses one PacketRecord object for every packet, so copy the fields you keep as well.
 */
export interface PacketRecord {
  interfaceId: number;
  /** 1-based frame number across the whole input, as tshark's frame.number for a single file. */
  frameNumber: number;
  /** Microseconds since the epoch (integer, truncated). */
  tsUs: number;
  /** Sub-microsecond remainder in nanoseconds (0..999), for ordering only. */
  tsSubUsNs: number;
  capLen: number;
  origLen: number;
  data: Buffer;
  /**
   * Where `data` lies without making the view: data = buffer[dataOffset, dataOffset + capLen). Set by CaptureReader
   * (whose `data` is then made on first read); hot paths read these instead.
   */
  buffer?: Buffer;
  dataOffset?: number;
  /** EPB flags word (direction, reception type), 0 when absent. */
  flags: number;
  /** Raw EPB options region (view, may be empty); decode lazily with the helpers in bundle/options. */
  options?: Buffer;
  /** Byte offset of the block in the (decompressed) input stream. */
  blockOffset: number;
  /** Byte order of the packet's section, needed to decode `options` (set by CaptureReader). */
  byteOrder?: 'le' | 'be';
}

/** A pcapng Custom Block (or custom option at section level) carrying a Rewind or foreign PEN. */
export interface CustomRecord {
  pen: number;
  /** True when the block type says it may be copied by editors (0x00000BAD) vs not (0x40000BAD). */
  copyable: boolean;
  /** For Rewind blocks: the record type (see docs/bundle-format.md); -1 for foreign PENs. */
  recordType: number;
  /** For Rewind blocks with JSON encoding: the parsed value. */
  json?: unknown;
  /** Raw payload after the Rewind record header (or after the PEN for foreign ones). */
  payload: Buffer;
  sectionIndex: number;
  /**
   * Frame number tshark/Wireshark 4.0 give this block: they count Custom Blocks (and systemd Journal
   * Export Blocks) as frames, so the reader advances its frame counter for them too.
   */
  frameNumber?: number;
  /** Byte offset of the block in the (decompressed) input stream (set by CaptureReader). */
  blockOffset?: number;
}

export interface NameRecord {
  type: 'ipv4' | 'ipv6' | 'eui48' | 'eui64';
  address: string;
  names: string[];
}

export interface SecretsRecord {
  /** pcapng DSB secrets type, e.g. 0x544c534b (TLS key log). */
  secretsType: number;
  data: Buffer;
}

export interface InterfaceStats {
  interfaceId: number;
  tsUs: number;
  ifRecv?: number;
  ifDrop?: number;
  osDrop?: number;
  filterAccept?: number;
  usrDeliv?: number;
}

/** Something wrong in the input that the reader survived: counted, never thrown. */
export interface ReadViolation {
  kind: 'truncated-tail' | 'bad-block' | 'bad-packet' | 'unknown-interface' | 'unknown-block' | 'bad-option' | 'gzip-error';
  message: string;
  /** Offset in the (decompressed) stream where it happened. */
  offset: number;
  /** Bytes lost (skipped) because of it, when known. */
  bytesLost?: number;
}

export interface CaptureHandler {
  section?(s: SectionInfo): void;
  iface?(i: InterfaceInfo): void;
  packet(p: PacketRecord): void;
  custom?(c: CustomRecord): void;
  nameResolution?(names: NameRecord[], sectionIndex: number): void;
  secrets?(s: SecretsRecord, sectionIndex: number): void;
  stats?(s: InterfaceStats): void;
  violation?(v: ReadViolation): void;
}

export interface ReadSummary {
  format: CaptureFormat;
  gzip: boolean;
  sections: number;
  interfaces: number;
  packets: number;
  /** Bytes of the (decompressed) input consumed. */
  bytes: number;
  /** Unknown block types skipped, by block type. */
  unknownBlocks: Record<string, number>;
  /** Bytes at the end that did not form a whole block/record (0 when the file ended cleanly). */
  truncatedTailBytes: number;
  violations: number;
}

/** Thrown (and only thrown) when the input cannot be read at all: not a capture, or a newer major bundle version. */
export class CaptureFormatError extends Error {
  constructor(message: string, readonly code: 'not-a-capture' | 'newer-version' | 'io') {
    super(message);
    this.name = 'CaptureFormatError';
  }
}
