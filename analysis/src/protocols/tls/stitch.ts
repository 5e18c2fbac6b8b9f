// TLS stitching: in order (ClientHello ↔ ServerHello/HelloRetryRequest/Alert), held until the handshake settles.
import { stitchInOrder } from '../common/stitch.js';
import type { L7Message, StitchResult } from '../types.js';
import type { TlsState } from './parse.js';

/**
 * Pairs are held until the client finishes its handshake (ChangeCipherSpec or application data) so that a fatal
 * alert arriving after the ServerHello can still mark it failed. HelloRetryRequest is a response of its own: the
 * first ClientHello pairs with it, the second ClientHello with the final ServerHello.
 */
export function stitchTls(requests: L7Message[], responses: L7Message[], state: TlsState, final: boolean): StitchResult {
  if (!final && !state.settled) return { records: [], errors: [] };
  return stitchInOrder(requests, responses, final);
}
