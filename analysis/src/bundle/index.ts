// Public API of the bundle format package: types, the capture reader, the bundle writer and format helpers.

export * from './types.js';
export {
  BlockType,
  BYTE_ORDER_MAGIC,
  EpbOption,
  IdbOption,
  IsbOption,
  LINKTYPE_WIRESHARK_UPPER_PDU,
  MAX_BLOCK_LEN,
  NrbRecord,
  OptionCode,
  PcapMagic,
  RECORD_HEADER_LEN,
  RecordEncoding,
  RecordType,
  SecretsType,
  ShbOption,
} from './constants.js';
export type { RecordTypeName } from './constants.js';
export { CaptureReader, readCaptureBuffer, readCaptureFile } from './reader.js';
export type { CaptureReaderOptions } from './reader.js';
export { BundleWriter } from './writer.js';
export type {
  BlockSink,
  ClosingSummary,
  CustomOptionInput,
  InterfaceOptions,
  InterfaceStatsInput,
  PacketOptions,
  SectionOptions,
} from './writer.js';
export { epbDirection, isCustomOptionCode, parseEpbOptions, readOptions, toCustomOption } from './options.js';
export type { ByteOrder, CustomOption, EpbOptions, OptionList, PcapngOption } from './options.js';
export {
  EBPF_CONTEXT_LEN,
  EBPF_CONTEXT_VERSION,
  EpbCustomKind,
  SYSCALLS,
  decodeEbpfContext,
  encodeEbpfContext,
  findEbpfContext,
  packetEbpfContext,
} from './ebpf-context.js';
export type { EbpfContext, SyscallName } from './ebpf-context.js';
export { ExportedPduTag, PortType, exportedPduPayload, parseExportedPdu } from './exported-pdu.js';
export type { ExportedPduMeta, ParsedExportedPdu } from './exported-pdu.js';
export { tsresolUnits } from './timestamps.js';
export { verifyBundleDigests } from './summary.js';
export type { DigestCheck } from './summary.js';
export { formatEui, formatIpv4, formatIpv6, parseEui, parseIpv4, parseIpv6 } from './addresses.js';
