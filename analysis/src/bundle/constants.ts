// Numeric constants of pcap, pcapng (draft-ietf-opsawg-pcapng) and the Rewind bundle profile.

/** pcapng block types. */
export const BlockType = {
  SHB: 0x0a0d0d0a,
  IDB: 0x00000001,
  /** Obsolete Packet Block (pcapng 1.0); still read, never written. */
  PB: 0x00000002,
  SPB: 0x00000003,
  NRB: 0x00000004,
  ISB: 0x00000005,
  EPB: 0x00000006,
  /** systemd Journal Export Block: skipped and counted as unknown. */
  JOURNAL: 0x00000009,
  DSB: 0x0000000a,
  /** Custom Block that editors may copy. */
  CUSTOM_COPY: 0x00000bad,
  /** Custom Block that editors must not copy. */
  CUSTOM_NOCOPY: 0x40000bad,
} as const;

/** Byte-order magic of a Section Header Block. */
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Classic pcap magics as read big-endian from the first 4 bytes. */
export const PcapMagic = {
  MICRO: 0xa1b2c3d4,
  NANO: 0xa1b23c4d,
  MICRO_SWAPPED: 0xd4c3b2a1,
  NANO_SWAPPED: 0x4d3cb2a1,
} as const;

/** Option codes valid in every block. */
export const OptionCode = {
  END: 0,
  COMMENT: 1,
  /** Custom option, UTF-8 string, may be copied. */
  CUSTOM_STR_COPY: 2988,
  /** Custom option, binary, may be copied. */
  CUSTOM_BIN_COPY: 2989,
  /** Custom option, UTF-8 string, must not be copied. */
  CUSTOM_STR_NOCOPY: 19372,
  /** Custom option, binary, must not be copied. */
  CUSTOM_BIN_NOCOPY: 19373,
} as const;

export const ShbOption = { HARDWARE: 2, OS: 3, USERAPPL: 4 } as const;

export const IdbOption = {
  NAME: 2,
  DESCRIPTION: 3,
  IPV4ADDR: 4,
  IPV6ADDR: 5,
  MACADDR: 6,
  EUIADDR: 7,
  SPEED: 8,
  TSRESOL: 9,
  TZONE: 10,
  FILTER: 11,
  OS: 12,
  FCSLEN: 13,
  TSOFFSET: 14,
  HARDWARE: 15,
} as const;

export const EpbOption = { FLAGS: 2, HASH: 3, DROPCOUNT: 4, PACKETID: 5, QUEUE: 6, VERDICT: 7 } as const;

export const IsbOption = { STARTTIME: 2, ENDTIME: 3, IFRECV: 4, IFDROP: 5, FILTERACCEPT: 6, OSDROP: 7, USRDELIV: 8 } as const;

export const NrbRecord = { END: 0, IPV4: 1, IPV6: 2, EUI48: 3, EUI64: 4 } as const;

/** Decryption Secrets Block secrets types. */
export const SecretsType = {
  TLS_KEY_LOG: 0x544c534b,
  SSH_KEY_LOG: 0x5353484b,
  WIREGUARD_KEY_LOG: 0x57474b4c,
} as const;

/**
 * Rewind custom-block record types (payload after the Rewind record header), see docs/bundle-format.md.
 * Numbers are part of the format: never reuse or renumber one.
 */
export const RecordType = {
  CAPTURE_CONFIG: 1,
  PROCESS_TABLE: 2,
  K8S_SNAPSHOT: 3,
  K8S_WATCH_DELTA: 4,
  CLOUD_METADATA: 5,
  TCP_LIFECYCLE: 6,
  OTEL_SPANS: 7,
  PROMETHEUS_SAMPLES: 8,
  COVERAGE_STATS: 9,
  CLOSING_SUMMARY: 10,
} as const;
export type RecordTypeName = keyof typeof RecordType;

/** Encoding of a Rewind record payload. */
export const RecordEncoding = { JSON: 1, BINARY: 2 } as const;

/** Size of the Rewind record header that follows the PEN in a Custom Block: u16 type, u16 encoding, u32 length. */
export const RECORD_HEADER_LEN = 8;

/** Blocks longer than this are treated as corrupt rather than buffered (guards against absurd allocations). */
export const MAX_BLOCK_LEN = 256 * 1024 * 1024;

/** Wireshark's exported-PDU link type: payload preceded by tags that name the dissector. */
export const LINKTYPE_WIRESHARK_UPPER_PDU = 252;
