// eBPF socket data into the L7 stage: each exported-PDU EPB with an eBPF context is one syscall's payload of one
// socket. Sockets become flows of the observation point `c-p` (the client process) or `s-p` (the server process)
// of their host's eBPF interface, and their bytes go through the same parsers as reassembled packets, in the order
// the syscalls happened, with the TCP sequence numbers the kernel reported.
import { packetEbpfContext } from '../bundle/ebpf-context.js';
import type { EbpfContext } from '../bundle/ebpf-context.js';
import { parseExportedPdu } from '../bundle/exported-pdu.js';
import type { PacketRecord } from '../bundle/types.js';
import type { FlowDirection, FlowHandle } from '../flows/types.js';
import type { L7Stage } from '../l7/stage.js';

/** A socket seen through eBPF, as the L7 stage sees a flow. */
export interface EbpfFlow extends FlowHandle {
  readonly role: 'client' | 'server';
  readonly processId: number;
  readonly processName: string;
  /** Plaintext from the OpenSSL probes: a stream of its own (the socket's syscalls carry the ciphertext). */
  readonly tls: boolean;
}

export interface EbpfIngestHooks {
  /** A new flow id from the import's sequence. */
  allocateFlowId(): number;
  /** The observation point (database id) for one side of an eBPF interface, made on first use. */
  observationPoint(ifaceDbId: number, side: 'c-p' | 's-p'): number;
  violation(kind: string, message: string, frameNumber: number): void;
}

/** Sockets kept open at most; past it the least recently used one is ended (its records are stitched). */
const MAX_SOCKETS = 65_536;

export class EbpfIngest {
  private readonly sockets = new Map<string, EbpfFlow>();
  packets = 0;

  constructor(private readonly l7: L7Stage, private readonly hooks: EbpfIngestHooks) {}

  /** One EPB of an exported-PDU interface (capture time `tsUs`). PDUs without an eBPF context are not socket data. */
  packet(ifaceDbId: number, p: PacketRecord, tsUs: number): void {
    const ctx = packetEbpfContext(p);
    if (ctx === undefined) return;
    const pdu = parseExportedPdu(p.data);
    if (pdu === undefined || pdu.src === undefined || pdu.dst === undefined || pdu.srcPort === undefined || pdu.dstPort === undefined) {
      this.hooks.violation('ebpf-pdu-malformed', `frame ${p.frameNumber}: exported PDU without addresses and ports`, p.frameNumber);
      return;
    }
    if (ctx.direction === 'unknown') {
      this.hooks.violation('ebpf-direction-unknown', `frame ${p.frameNumber}: socket data without a direction`, p.frameNumber);
      return;
    }
    this.packets++;
    const egress = ctx.direction === 'egress';
    const local = egress ? { ip: pdu.src, port: pdu.srcPort } : { ip: pdu.dst, port: pdu.dstPort };
    const remote = egress ? { ip: pdu.dst, port: pdu.dstPort } : { ip: pdu.src, port: pdu.srcPort };
    const flow = this.flowOf(ifaceDbId, ctx, local, remote, pdu.portType === 3 ? 17 : 6);
    // Direction 0 is client → server: what the client sends and what the server receives.
    const dir: FlowDirection = (flow.role === 'client') === egress ? 0 : 1;
    const payload = p.data.subarray(pdu.payloadOffset);
    this.l7.onSyscallData(flow, dir, tsUs, flow.protocol === 6 ? ctx.tcpSeq : 0, payload, {
      tid: ctx.tid, traceId: Number(ctx.syscallTraceId), capSeq: ctx.capSeq,
    });
  }

  /** End of the bundle: every socket ends (requests still waiting become timeouts, as for packet flows). */
  endAll(): void {
    for (const f of this.sockets.values()) this.l7.onEnd(f);
    this.sockets.clear();
  }

  private flowOf(ifaceDbId: number, ctx: EbpfContext, local: { ip: string; port: number }, remote: { ip: string; port: number }, protocol: number): EbpfFlow {
    // TLS plaintext and the socket's ciphertext are two streams: each goes through the parsers on its own.
    const key = `${ifaceDbId}|${ctx.pid}|${ctx.socketId}|${ctx.socketId === 0n ? ctx.fd : ''}${ctx.tls ? '|tls' : ''}`;
    let f = this.sockets.get(key);
    if (f !== undefined) {
      // Most recently used last, for the bound below.
      this.sockets.delete(key);
      this.sockets.set(key, f);
      return f;
    }
    // The role the kernel saw (connect / accept); else the usual guess: the side with the lower, non-ephemeral port serves.
    const role = ctx.role === 'client' || ctx.role === 'server' ? ctx.role : local.port < remote.port ? 'server' : 'client';
    const client = role === 'client' ? local : remote;
    const server = role === 'client' ? remote : local;
    f = {
      flowId: this.hooks.allocateFlowId(),
      observationPointId: this.hooks.observationPoint(ifaceDbId, role === 'client' ? 'c-p' : 's-p'),
      protocol, ip0: client.ip, ip1: server.ip, clientPort: client.port, serverPort: server.port,
      sideSource: ctx.role === 'client' || ctx.role === 'server' ? 'handshake' : 'port',
      l7: undefined, role, processId: ctx.pid, processName: ctx.comm, tls: ctx.tls,
    };
    if (this.sockets.size >= MAX_SOCKETS) {
      const [oldKey, old] = this.sockets.entries().next().value as [string, EbpfFlow];
      this.sockets.delete(oldKey);
      this.l7.onEnd(old);
    }
    this.sockets.set(key, f);
    return f;
  }
}
