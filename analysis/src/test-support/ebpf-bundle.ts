// Test bundles of eBPF socket data: HTTP payloads as Exported PDU blocks with their syscall context, the way the
// capture agent writes them (bundle/writer.ts).
import { writeFileSync } from 'node:fs';
import { BundleWriter } from '../bundle/writer.js';
import type { EbpfContext } from '../bundle/ebpf-context.js';
import { LINKTYPE_WIRESHARK_UPPER_PDU } from '../bundle/constants.js';

export type Endpoint = [ip: string, port: number];

/**
 * A bundle writer with one eBPF interface of `host`; `event` writes one syscall's payload (ts in ns), `save` writes
 * the closing summary and the file, and returns its path.
 */
export function ebpfBundle(host: string): {
  writer: BundleWriter;
  event: (tsNs: bigint, payload: Buffer, src: Endpoint, dst: Endpoint, ctx: Partial<EbpfContext>) => void;
  save: (file: string) => string;
} {
  const parts: Buffer[] = [];
  const writer = new BundleWriter((b) => parts.push(b), { host });
  const iface = writer.addInterface({ linkType: LINKTYPE_WIRESHARK_UPPER_PDU, name: `ebpf@${host}`, observationPoint: { kind: 'ebpf', host } });
  const base = { fd: 5, tls: false, capturedLen: 0, syscallLen: 0 } as const;
  const event = (tsNs: bigint, payload: Buffer, src: Endpoint, dst: Endpoint, ctx: Partial<EbpfContext>): void => {
    writer.writeExportedPdu(iface, tsNs, { proto: 'http', ipVersion: 4, src: src[0], srcPort: src[1], dst: dst[0], dstPort: dst[1], portType: 2 }, payload, {
      ebpf: {
        ...base, pid: 0, tid: 0, comm: '', socketId: 0n, direction: 'unknown', syscall: 'write', tcpSeq: 0, syscallTraceId: 0n, capSeq: 0,
        ...ctx, syscallLen: payload.length, capturedLen: payload.length,
      },
    });
  };
  const save = (file: string): string => {
    writer.writeSummary();
    writeFileSync(file, Buffer.concat(parts));
    return file;
  };
  return { writer, event, save };
}
