// @rewind/ebpf: the socket tracer's event format and its loader.
export * from './event.js';
export { SocketTracer, tracerUnavailableReason, ensureTracefs, SOCKET_TRACE_OBJECT } from './loader.js';
export type { SocketTracerOptions, TracerCounters } from './loader.js';
