// @rewind/capture-agent: records eBPF socket data (and, next, packets and tags) into bundles.
export { recordEbpf, dissectorFor } from './recorder/ebpf-recorder.js';
export type { EbpfRecordOptions, EbpfRecordSummary } from './recorder/ebpf-recorder.js';
export { cmdRecord, parseDuration } from './cli/record.js';
export type { RecordIo } from './cli/record.js';
