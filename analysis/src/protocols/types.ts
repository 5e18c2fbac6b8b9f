// The L7 protocol contract: every parser in protocols/<name>/ implements ProtocolParser (see docs/protocols.md).
import type { FlowDirection } from '../flows/types.js';

/** DeepFlow's response_status values. */
export type ResponseStatus = 'ok' | 'client_error' | 'server_error' | 'timeout' | 'unknown' | 'parse_failed';

/** What a parsed message is. 'push' = sent by the server without a request (pub/sub, server push). */
export type MessageType = 'request' | 'response' | 'push' | 'other';

/**
 * One parsed L7 message (a "frame" in the conventions' words). Fields follow DeepFlow's l7_flow_log mapping;
 * leave a field undefined when the protocol has no such thing.
 */
export interface L7Message {
  type: MessageType;
  /** Capture time (µs) of the message's first byte; set by the L7 stage from ParseContext, parsers copy ctx.tsUs. */
  tsUs: number;
  /** Capture time (µs) of the last byte seen so far (the stage updates it while the body arrives). */
  endTsUs: number;
  /** TCP sequence number of the first byte (0 for UDP / unknown): DeepFlow's req_tcp_seq / resp_tcp_seq. */
  tcpSeq: number;
  /** Message length in bytes (header + body as announced). DeepFlow request_length / response_length. */
  length: number;
  /** Protocol version text, e.g. '1.1', '2', 'RESP3', '3.1.1'. */
  version?: string;
  /** e.g. HTTP method, SQL command (COM_QUERY), Redis command, Kafka api name, DNS query type. */
  requestType?: string;
  /** e.g. HTTP Host, DNS query name, database name, Kafka topic. */
  requestDomain?: string;
  /** e.g. HTTP path, SQL statement, Redis key/args, MQTT topic. */
  requestResource?: string;
  /** Aggregation key for RED metrics: e.g. HTTP path without query, gRPC service/method, Kafka topic. */
  endpoint?: string;
  /** Matching id: HTTP/2 stream id, DNS id, Kafka correlation id, MQTT packet id... */
  requestId?: number;
  /** Numeric result: HTTP status, SQL error code, DNS rcode, Kafka error code, gRPC status. */
  responseCode?: number;
  /** Set on responses (and on requests that fail by themselves); the stage fills 'unknown' when absent. */
  responseStatus?: ResponseStatus;
  /** Error text: HTTP reason of errors, SQL error message, Redis error string. */
  responseException?: string;
  /** Summary of the result: DNS answers, row counts, Redis reply summary. */
  responseResult?: string;
  traceId?: string;
  spanId?: string;
  /** X-Request-ID (or equivalent) carried by this message. */
  xRequestId?: string;
  /** First address of X-Forwarded-For. */
  httpRealClient?: string;
  /** Further protocol fields worth keeping (headers of interest, user, db, SNI...): small, flat. */
  attributes?: Record<string, string | number>;
  /** Set by the L7 stage on messages that came from eBPF syscall events (the first event of the message). */
  syscall?: SyscallInfo;
}

/** Syscall context of a message seen by eBPF. */
export interface SyscallInfo {
  tid: number;
  /** DeepFlow's per-thread syscall trace id (0 when none). */
  traceId: number;
  /** Per-socket capture sequence of the event. */
  capSeq: number;
}

export type ParseStatus = 'ok' | 'needs-more' | 'invalid' | 'ignored';

export interface ParseResult {
  status: ParseStatus;
  /** The message, with status 'ok'. */
  message?: L7Message;
  /**
   * Bytes of `bytes` used. 'ok' and 'ignored' consume > 0 (a parser may consume a message's header and keep
   * skipping its body on later calls through its state); 'needs-more' consumes 0 and the stage calls again with
   * more bytes appended; 'invalid' consumes what the parser could not make sense of (≥ 1, or all).
   */
  consumed: number;
  /** Short reason with 'invalid' (recorded as an l7 violation). */
  error?: string;
}

export interface ParseContext {
  /** Capture time of bytes[0]. */
  tsUs: number;
  /** TCP sequence number of bytes[0] (0 for UDP). */
  tcpSeq: number;
  /** Transport of the flow. */
  transport: 'tcp' | 'udp';
  serverPort: number;
  /** Syscall context of bytes[0] when the payload comes from eBPF events (the stage copies it onto messages). */
  syscall?: SyscallInfo;
}

/** A stitched request/response pair (or a lone one): one l7_flow_log row. */
export interface L7Record {
  request?: L7Message;
  response?: L7Message;
  /** Final status: the response's, or 'timeout' / 'unknown' for a request without response. */
  status: ResponseStatus;
}

export interface StitchResult {
  records: L7Record[];
  /** Problems found while matching (e.g. a response with no request), recorded as l7 violations. */
  errors: string[];
}

/**
 * A protocol parser. One instance per protocol, stateless itself: per-connection state lives in the object
 * newState() returns. Nothing here throws on bad input; check bounds before every read.
 */
export interface ProtocolParser<S = unknown> {
  /** Protocol name as stored in l7_flow_log.l7_protocol, e.g. 'HTTP', 'DNS', 'MySQL', 'Redis'. */
  readonly name: string;
  readonly transports: readonly ('tcp' | 'udp')[];
  /** Server ports that select this parser before any heuristic. */
  readonly defaultPorts: readonly number[];
  /**
   * Heuristic: could `bytes` (the first payload seen in direction `dir` of a flow) be this protocol?
   * Never throws; cheap; false when unsure. Called only when no port matched or the port's parser refused.
   */
  detect(dir: FlowDirection, bytes: Buffer, ctx: ParseContext): boolean;
  newState(): S;
  /** Parses one message from the start of `bytes` (which begins at a message boundary). */
  parse(dir: FlowDirection, bytes: Buffer, state: S, ctx: ParseContext): ParseResult;
  /**
   * Matches requests with responses. Removes what it matched from both arrays (in place) and returns the pairs.
   * `final` is true when the flow ended: everything left must then be returned (lone requests with status
   * 'timeout' if the flow was cut while waiting, lone responses with their own status).
   */
  stitch(requests: L7Message[], responses: L7Message[], state: S, final: boolean): StitchResult;
  /**
   * Upgrade tokens (HTTP `Upgrade:` values, e.g. 'h2c') after which this parser takes the connection over.
   * When a response of another parser carries attributes.upgrade equal to one of them, the stage hands the
   * rest of the flow to this parser, starting from newState() prepared by startAfterUpgrade().
   */
  readonly upgradeTokens?: readonly string[];
  startAfterUpgrade?(state: S): void;
}
