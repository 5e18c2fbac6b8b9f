// Integer codes of the l7_flow_log enumerations: the fact table stores small integers, the view shows the names
// (as DeepFlow stores l7_protocol, type, response_status and signal_source as integers).

/** Known L7 protocols with DeepFlow's numeric ids; names not listed get ids ≥ 1000 in _l7_protocols at import. */
export const L7_PROTOCOL_IDS: Readonly<Record<string, number>> = {
  HTTP: 20, HTTP2: 21, Dubbo: 40, gRPC: 41, MySQL: 60, PostgreSQL: 61, Redis: 80, Kafka: 100, MQTT: 101, DNS: 120, TLS: 121,
};
/** First id handed to a protocol name that is not in L7_PROTOCOL_IDS. */
export const FIRST_CUSTOM_PROTOCOL_ID = 1000;

/** l7_flow_log.type. */
export const L7_TYPES = ['session', 'request', 'response'] as const;
/** l7_flow_log.response_status (DeepFlow's values). */
export const RESPONSE_STATUSES = ['ok', 'client_error', 'server_error', 'timeout', 'unknown', 'parse_failed'] as const;
/** signal_source as DeepFlow numbers it: 0 packet, 3 eBPF, 4 OpenTelemetry. */
export const SIGNAL_SOURCES: Readonly<Record<string, number>> = { packet: 0, ebpf: 3, otel: 4 };

export const TYPE_CODE: Readonly<Record<string, number>> = Object.fromEntries(L7_TYPES.map((t, i) => [t, i]));
export const STATUS_CODE: Readonly<Record<string, number>> = Object.fromEntries(RESPONSE_STATUSES.map((t, i) => [t, i]));

/** `CASE expr WHEN code THEN 'name' … END`: the view's decoding of one enumeration. */
export function caseOf(expr: string, codes: Readonly<Record<string, number>> | readonly string[]): string {
  const pairs = Array.isArray(codes) ? codes.map((n, i) => [n, i] as const) : Object.entries(codes);
  return `CASE ${expr} ${pairs.map(([n, i]) => `WHEN ${i} THEN '${n}'`).join(' ')} END`;
}
