// One object shape for every L7 message: all fields exist from the start (undefined until a parser sets them).
// Messages built by adding fields one by one get a different hidden class per combination of fields and grow a
// separate property store on the way; the row writer and the stitching code that read them then see many shapes
// (megamorphic property loads). Measured on the HTTP/1 benchmark import: 2026-12-01, see bench/RESULTS.md.
import type { L7Message, L7Record, MessageType, ResponseStatus } from '../types.js';

export function newMessage(type: MessageType, tsUs: number, tcpSeq: number, length: number, version?: string): L7Message {
  return {
    type,
    tsUs,
    endTsUs: tsUs,
    tcpSeq,
    length,
    version,
    requestType: undefined,
    requestDomain: undefined,
    requestResource: undefined,
    endpoint: undefined,
    requestId: undefined,
    responseCode: undefined,
    responseStatus: undefined,
    responseException: undefined,
    responseResult: undefined,
    traceId: undefined,
    spanId: undefined,
    xRequestId: undefined,
    httpRealClient: undefined,
    attributes: undefined,
    syscall: undefined,
  };
}

/** A record with both sides present as fields (one shape for sessions, lone requests and lone responses). */
export function newRecord(request: L7Message | undefined, response: L7Message | undefined, status: ResponseStatus): L7Record {
  return { request, response, status };
}
