// TCP performance analysis of one connection: handshake RTTs, retransmission / out-of-order / zero-window marks (tshark rules), srt, art and cit.
import { TcpFlag } from '../decode/types.js';

const SYN = TcpFlag.SYN;
const ACK = TcpFlag.ACK;
const FIN = TcpFlag.FIN;
const RST = TcpFlag.RST;

/** Bits returned by `TcpMetrics.segment`: what the segment is (tshark's tcp.analysis.* names) and what it measured. */
export const A_RETRANSMISSION = 1 << 0; // tcp.analysis.retransmission
export const A_FAST_RETRANSMISSION = 1 << 1; // tcp.analysis.fast_retransmission
export const A_SPURIOUS_RETRANSMISSION = 1 << 2; // tcp.analysis.spurious_retransmission
export const A_OUT_OF_ORDER = 1 << 3; // tcp.analysis.out_of_order
export const A_ZERO_WINDOW = 1 << 4; // tcp.analysis.zero_window
export const A_KEEP_ALIVE = 1 << 5; // tcp.analysis.keep_alive
export const A_ZERO_WINDOW_PROBE = 1 << 6; // tcp.analysis.zero_window_probe
export const A_DUPLICATE_ACK = 1 << 7; // tcp.analysis.duplicate_ack
export const A_SYN_RETRANSMISSION = 1 << 8; // same SYN (same ISN) again
export const A_SYNACK_RETRANSMISSION = 1 << 9;
export const M_RTT = 1 << 12; // the handshake completed with this segment: `rtt` (maybe -1), `rttClient`, `rttServer` set
export const M_SRT = 1 << 13; // `lastSrt` holds a new srt sample
export const M_ART = 1 << 14; // `lastArt` holds a new art sample
export const M_CIT = 1 << 15; // `lastCit` holds a new cit sample
export const A_ANY_RETRANSMISSION = A_RETRANSMISSION | A_FAST_RETRANSMISSION | A_SPURIOUS_RETRANSMISSION;

/** DeepFlow drops samples above these (perf/tcp.rs RTT_MAX, SRT_MAX; perf/mod.rs ART_MAX): they are not round trips. */
export const RTT_MAX_US = 30_000_000;
export const SRT_MAX_US = 10_000_000;
export const ART_MAX_US = 30_000_000;
/** tshark: a fast retransmission follows the 2nd+ duplicate ACK within 20 ms. */
const FAST_RETRANSMISSION_WINDOW_US = 20_000;
/** tshark: out-of-order only within the initial RTT of the segment that raised nextseq; 3 ms when no RTT is known. */
const DEFAULT_OOO_THRESHOLD_US = 3_000;

/** Sequence state of one direction, named after tshark's tcp_analyze_seq_flow_info_t. Sequence numbers are uint32. */
export class TcpPeer {
  /** Highest seq + len (+1 for SYN/FIN) seen: the next new byte. */
  nextSeq = 0;
  hasNextSeq = false;
  /** Capture time when nextSeq last advanced. */
  nextSeqTs = 0;
  /** Ack field, window and time of this direction's last segment. */
  lastAck = 0;
  lastAckHadFlag = false;
  lastAckTs = 0;
  window = -1;
  dupAcks = 0;
  lastWasKeepAlive = false;
  /** ISN of this side: from its SYN (synSeen), or, before that, ack − 1 of the peer's SYN/ACK (isnFromPeer). */
  synSeen = false;
  isnFromPeer = false;
  isn = 0;
  retransmissions = 0;
  outOfOrder = 0;
  zeroWindows = 0;
  /** srt: end seq (incl. FIN) and time of this side's last new data segment not yet acknowledged. */
  srtPending = false;
  srtEnd = 0;
  srtTs = 0;
}

/**
 * Everything measured on one TCP connection from its segments. Directions are client (fromClient) and server.
 *
 * Handshake: rtt = client's handshake ACK − last SYN before it (tshark's tcp.analysis.initial_rtt, which uses the
 * most recent SYN, ts_mru_syn); rtt_server = SYN/ACK − the SYN it answers (the first SYN/ACK after the last SYN);
 * rtt_client = handshake ACK − last SYN/ACK. DeepFlow measures from the first SYN instead, which adds the client's
 * retransmission timeout (≈1 s) to rtt after a lost SYN: we keep that delay visible as synRetrans, not as RTT.
 *
 * srt (client → server only, like DeepFlow's srt): from the client's last new data (or FIN) segment to the server's
 * pure ACK whose ack covers it. A data segment from the server that acks it ends the wait without a sample (that is
 * a response, measured by art); a client retransmission cancels the wait (Karn: the ACK is ambiguous).
 *
 * art: from the client's last new data segment to the server's first new data segment after it. cit: from the
 * server's last data segment (> 1 byte, so heartbeats do not count) — or the handshake ACK if the server has not
 * spoken — to the client's next data segment (> 1 byte), only when the server spoke last.
 * Retransmissions, keep-alives and zero-window probes are not "new data" for srt / art / cit.
 */
export class TcpMetrics {
  readonly client = new TcpPeer();
  readonly server = new TcpPeer();
  synCount = 0;
  synackCount = 0;
  synRetrans = 0;
  synackRetrans = 0;
  rtt = -1;
  rttClient = -1;
  rttServer = -1;
  handshakeDone = false;
  lastSrt = 0;
  lastArt = 0;
  lastCit = 0;
  private lastSynTs = -1;
  private synAnswered = true;
  private lastSynAckTs = -1;
  private artArmed = false;
  private lastClientDataTs = 0;
  private citArmed = false;
  private citFromTs = 0;

  /** Analyse one segment. `seglen` is the TCP payload length the headers announce. Returns A_* / M_* bits. */
  segment(fromClient: boolean, flags: number, seq: number, ack: number, window: number, seglen: number, ts: number): number {
    const fwd = fromClient ? this.client : this.server;
    const rev = fromClient ? this.server : this.client;
    let a = 0;

    // Handshake.
    if ((flags & SYN) !== 0) {
      if ((flags & ACK) === 0) {
        this.synCount++;
        if (!fwd.synSeen) {
          fwd.synSeen = true;
          fwd.isn = seq;
        } else if (seq === fwd.isn) {
          this.synRetrans++;
          a |= A_SYN_RETRANSMISSION;
        }
        if (fromClient && !this.handshakeDone) {
          this.lastSynTs = ts;
          this.synAnswered = false;
        }
      } else {
        this.synackCount++;
        if (!rev.synSeen && !rev.isnFromPeer) {
          rev.isnFromPeer = true;
          rev.isn = (ack - 1) >>> 0;
        }
        if (!fwd.synSeen) {
          fwd.synSeen = true;
          fwd.isn = seq;
        } else if (seq === fwd.isn) {
          this.synackRetrans++;
          a |= A_SYNACK_RETRANSMISSION;
        }
        if (!fromClient && !this.handshakeDone) {
          this.lastSynAckTs = ts;
          if (!this.synAnswered) {
            this.synAnswered = true;
            this.rttServer = capped(ts - this.lastSynTs, RTT_MAX_US);
          }
        }
      }
    } else if (fromClient && (flags & (ACK | RST)) === ACK && !this.handshakeDone && this.lastSynAckTs >= 0) {
      this.handshakeDone = true;
      this.rttClient = capped(ts - this.lastSynAckTs, RTT_MAX_US);
      if (this.lastSynTs >= 0) this.rtt = capped(ts - this.lastSynTs, RTT_MAX_US);
      a |= M_RTT;
      this.citArmed = true;
      this.citFromTs = ts;
    }

    // Sequence analysis, in the order of tshark's tcp_analyze_sequence_number().
    let zeroWindowProbe = false;
    if (seglen === 1 && fwd.hasNextSeq && seq === fwd.nextSeq && rev.window === 0) {
      a |= A_ZERO_WINDOW_PROBE;
      zeroWindowProbe = true;
    } else {
      const control = (flags & (SYN | FIN | RST)) !== 0;
      if (window === 0 && !control) {
        a |= A_ZERO_WINDOW;
        fwd.zeroWindows++;
      }
      if (!control && seglen <= 1 && fwd.hasNextSeq && seq === ((fwd.nextSeq - 1) >>> 0)) a |= A_KEEP_ALIVE;
      if (
        !control && seglen === 0 && window !== 0 && window === fwd.window &&
        fwd.hasNextSeq && seq === fwd.nextSeq && ack === fwd.lastAck && !rev.lastWasKeepAlive
      ) {
        fwd.dupAcks++;
        a |= A_DUPLICATE_ACK;
      }
    }
    if (ack !== fwd.lastAck) fwd.dupAcks = 0;

    const synOrFin = (flags & (SYN | FIN)) !== 0;
    let end = (seq + seglen) >>> 0;
    if (synOrFin) end = (end + 1) >>> 0;
    if ((seglen > 0 || synOrFin) && (a & A_KEEP_ALIVE) === 0) {
      let notAdvanced = fwd.hasNextSeq && ((seq - fwd.nextSeq) | 0) < 0;
      // One byte below nextseq plus new data: the byte was a zero-window probe, the rest is new (tshark does the same).
      if (seglen > 1 && fwd.hasNextSeq && seq === ((fwd.nextSeq - 1) >>> 0)) notAdvanced = false;
      const ooo = this.rtt > 0 ? this.rtt : DEFAULT_OOO_THRESHOLD_US;
      if (notAdvanced && rev.dupAcks >= 2 && rev.lastAck === seq && ts - rev.lastAckTs < FAST_RETRANSMISSION_WINDOW_US) {
        a |= A_FAST_RETRANSMISSION;
      } else if (notAdvanced && ts - fwd.nextSeqTs < ooo && fwd.nextSeq !== end) {
        a |= A_OUT_OF_ORDER;
      } else if (seglen > 0 && rev.lastAckHadFlag && ((((seq + seglen) >>> 0) - rev.lastAck) | 0) <= 0) {
        a |= A_SPURIOUS_RETRANSMISSION;
      } else if (notAdvanced) {
        a |= A_RETRANSMISSION;
      }
      if ((a & A_ANY_RETRANSMISSION) !== 0) fwd.retransmissions++;
      else if ((a & A_OUT_OF_ORDER) !== 0) fwd.outOfOrder++;
    }

    if (!zeroWindowProbe && (!fwd.hasNextSeq || ((end - fwd.nextSeq) | 0) > 0)) {
      fwd.nextSeq = end;
      fwd.hasNextSeq = true;
      fwd.nextSeqTs = ts;
    }
    fwd.window = window;
    fwd.lastAck = ack;
    fwd.lastAckHadFlag = (flags & ACK) !== 0;
    fwd.lastAckTs = ts;
    fwd.lastWasKeepAlive = (a & A_KEEP_ALIVE) !== 0;

    if ((flags & (SYN | RST)) === 0) a |= this.timing(fromClient, flags, ack, seglen, end, ts, a);
    return a;
  }

  private timing(fromClient: boolean, flags: number, ack: number, seglen: number, end: number, ts: number, a: number): number {
    const retransmitted = (a & A_ANY_RETRANSMISSION) !== 0;
    const newData = seglen > 0 && !retransmitted && (a & (A_KEEP_ALIVE | A_ZERO_WINDOW_PROBE)) === 0;
    const fin = (flags & FIN) !== 0;
    let m = 0;
    if (fromClient) {
      const c = this.client;
      if (retransmitted) {
        c.srtPending = false;
      } else if (newData || fin) {
        c.srtPending = true;
        c.srtEnd = end;
        c.srtTs = ts;
      }
      if (newData) {
        if (seglen > 1 && this.citArmed) {
          this.citArmed = false;
          const cit = ts - this.citFromTs;
          if (cit >= 0) {
            this.lastCit = cit;
            m |= M_CIT;
          }
        }
        this.artArmed = true;
        this.lastClientDataTs = ts;
      }
      return m;
    }
    const c = this.client;
    if (c.srtPending && (flags & ACK) !== 0 && ((ack - c.srtEnd) | 0) >= 0) {
      c.srtPending = false;
      if (seglen === 0 && !fin) {
        const srt = ts - c.srtTs;
        if (srt >= 0 && srt <= SRT_MAX_US) {
          this.lastSrt = srt;
          m |= M_SRT;
        }
      }
    }
    if (newData) {
      if (this.artArmed) {
        this.artArmed = false;
        const art = ts - this.lastClientDataTs;
        if (art >= 0 && art <= ART_MAX_US) {
          this.lastArt = art;
          m |= M_ART;
        }
      }
      if (seglen > 1) {
        this.citArmed = true;
        this.citFromTs = ts;
      }
    }
    return m;
  }
}

function capped(d: number, max: number): number {
  return d >= 0 && d <= max ? d : -1;
}
