// @rewind/ebpf: the socket tracer's event format and its loader.
export * from './event.js';
export { SocketTracer, tracerUnavailableReason, ensureTracefs, SOCKET_TRACE_OBJECT, blocksFromRecords, addonBuilt, findLibssl, commFilter, cgroupId } from './loader.js';
export type { SocketTracerOptions, TracerCounters, BlockBatch } from './loader.js';
