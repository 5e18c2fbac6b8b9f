// TCP connection lifecycle: setup / established / closed, and the close type a flow gets when it ends (DeepFlow's flow states).
import { TcpFlag } from '../decode/types.js';
import type { CloseType } from './types.js';

export const TCP_SYN_SENT = 1; // client SYN(s) seen, no SYN/ACK yet
export const TCP_SYN_RECEIVED = 2; // SYN/ACK seen, handshake ACK not yet
export const TCP_ESTABLISHED = 3; // handshake done, or joined mid-stream
export const TCP_CLOSED = 4; // FIN both ways and both acknowledged, or RST: only the linger remains

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;

/**
 * Close type decisions:
 * - RST during setup: from the server → 'server-reset-on-syn' (also after its own SYN/ACK, DeepFlow's
 *   ServerEstablishReset folded in); from the client → 'client-reset-on-setup'.
 * - RST after any FIN → 'normal' (DeepFlow TcpFinClientRst: a close that ended with a reset); otherwise by sender.
 * - FIN from both sides → 'normal'. The flow counts as closed (short linger) only once both FINs are acknowledged:
 *   until then retransmissions of data sent before the FIN are still expected, and belong to this flow.
 * - Idle past the timeout: SYN_SENT → 'client-syn-repeat' (also a single unanswered SYN, as DeepFlow),
 *   SYN_RECEIVED → 'server-synack-repeat', one FIN only → '<side that sent it>-half-close', else 'timeout'.
 * - A new SYN on the 5-tuple of a flow not yet closed → 'client-source-port-reuse'.
 * - End of input → the close type if closed, else 'forced-report'.
 * Only the first closing event decides: packets after close (the linger) change nothing.
 */
export class TcpLifecycle {
  state = TCP_ESTABLISHED;
  finFromClient = false;
  finFromServer = false;
  closeType: CloseType = 'unknown';
  /** Sequence number just after each side's FIN (what the peer's ACK must reach), and whether it was reached. */
  private finEndClient = 0;
  private finEndServer = 0;
  private finAckedClient = false;
  private finAckedServer = false;

  /** State for a flow whose first packet carries `flags`. */
  begin(flags: number): void {
    if ((flags & (SYN | RST)) === SYN) this.state = (flags & ACK) === 0 ? TCP_SYN_SENT : TCP_SYN_RECEIVED;
    else this.state = TCP_ESTABLISHED;
  }

  /** Apply one segment (`seglen` = payload length). Returns true when the idle timeout class may have changed. */
  segment(fromClient: boolean, flags: number, seq: number, ack: number, seglen: number): boolean {
    const state = this.state;
    if (state === TCP_CLOSED) return false;
    if ((flags & RST) !== 0) {
      if (state !== TCP_ESTABLISHED) this.closeType = fromClient ? 'client-reset-on-setup' : 'server-reset-on-syn';
      else if (this.finFromClient || this.finFromServer) this.closeType = 'normal';
      else this.closeType = fromClient ? 'client-reset' : 'server-reset';
      this.state = TCP_CLOSED;
      return true;
    }
    if ((flags & SYN) !== 0) {
      if ((flags & ACK) !== 0 && !fromClient && state === TCP_SYN_SENT) this.state = TCP_SYN_RECEIVED;
      return this.state !== state;
    }
    // Anything else from the server, or an ACK from the client, means the handshake is over (maybe unseen).
    if (state !== TCP_ESTABLISHED && (!fromClient || (flags & ACK) !== 0)) this.state = TCP_ESTABLISHED;
    let changed = this.state !== state;
    if ((flags & FIN) !== 0) {
      const finEnd = (seq + seglen + 1) >>> 0;
      if (fromClient && !this.finFromClient) {
        this.finFromClient = true;
        this.finEndClient = finEnd;
        changed = true;
      } else if (!fromClient && !this.finFromServer) {
        this.finFromServer = true;
        this.finEndServer = finEnd;
        changed = true;
      }
    }
    if ((flags & ACK) !== 0) {
      if (fromClient) {
        if (this.finFromServer && !this.finAckedServer && ((ack - this.finEndServer) | 0) >= 0) this.finAckedServer = true;
      } else if (this.finFromClient && !this.finAckedClient && ((ack - this.finEndClient) | 0) >= 0) {
        this.finAckedClient = true;
      }
    }
    if (this.finAckedClient && this.finAckedServer) {
      this.state = TCP_CLOSED;
      this.closeType = 'normal';
      changed = true;
    }
    return changed;
  }

  /** Idle timeout for the current state. */
  timeoutUs(establishedUs: number, shortUs: number, lingerUs: number): number {
    switch (this.state) {
      case TCP_CLOSED:
        return lingerUs;
      case TCP_ESTABLISHED:
        return this.finFromClient || this.finFromServer ? shortUs : establishedUs;
      default:
        return shortUs;
    }
  }

  closeTypeOnIdle(): CloseType {
    switch (this.state) {
      case TCP_CLOSED:
        return this.closeType;
      case TCP_SYN_SENT:
        return 'client-syn-repeat';
      case TCP_SYN_RECEIVED:
        return 'server-synack-repeat';
      default:
        if (this.finFromClient && this.finFromServer) return 'normal';
        if (this.finFromClient) return 'client-half-close';
        if (this.finFromServer) return 'server-half-close';
        return 'timeout';
    }
  }

  /** Both FINs seen (the last ACK may be missing from the capture): the connection did close normally. */
  private get finishedBothWays(): boolean {
    return this.finFromClient && this.finFromServer;
  }

  closeTypeOnFlush(): CloseType {
    if (this.state === TCP_CLOSED) return this.closeType;
    return this.finishedBothWays ? 'normal' : 'forced-report';
  }

  closeTypeOnPortReuse(): CloseType {
    if (this.state === TCP_CLOSED) return this.closeType;
    return this.finishedBothWays ? 'normal' : 'client-source-port-reuse';
  }
}
