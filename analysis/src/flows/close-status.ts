// Maps a flow's close type to its status and to the anomaly counters of the per-second metrics, following DeepFlow.
import type { CloseType } from './types.js';

export type FlowStatus = 'ok' | 'client-error' | 'server-error' | 'timeout';

/**
 * DeepFlow blames the side that failed to do its part: a SYN nobody answered is the server's fault (its
 * ServerSynMiss, formerly ClientSynRepeat), a SYN/ACK nobody acknowledged is the client's (ClientAckMiss), and a half
 * close is blamed on the side that never sent its FIN. Our 'client-half-close' means "the client closed, the server
 * never did" (DeepFlow's ServerHalfClose), hence server-error. DeepFlow files a plain idle timeout under server
 * errors; the contract has a status of its own for it.
 */
export function statusOf(closeType: CloseType): FlowStatus {
  switch (closeType) {
    case 'client-reset':
    case 'client-reset-on-setup':
    case 'server-synack-repeat':
    case 'server-half-close':
    case 'client-source-port-reuse':
      return 'client-error';
    case 'server-reset':
    case 'server-reset-on-syn':
    case 'client-syn-repeat':
    case 'client-half-close':
      return 'server-error';
    case 'timeout':
      return 'timeout';
    case 'normal':
    case 'forced-report':
    case 'unknown':
      return 'ok';
  }
}

export function isSetupFailure(closeType: CloseType): boolean {
  return (
    closeType === 'client-syn-repeat' ||
    closeType === 'server-synack-repeat' ||
    closeType === 'server-reset-on-syn' ||
    closeType === 'client-reset-on-setup'
  );
}

/** Resets after establishment; resets during the handshake count as setup failures instead. */
export function isReset(closeType: CloseType): boolean {
  return closeType === 'client-reset' || closeType === 'server-reset';
}
