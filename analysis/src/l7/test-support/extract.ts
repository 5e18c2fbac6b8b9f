// Test helper: runs one protocol parser over a capture through the real reader, decoder, flow table (TCP
// reassembly) and L7 stage, and returns the stitched records — what the import pipeline would store.
import { readFileSync } from 'node:fs';
import { CaptureReader } from '../../bundle/reader.js';
import { PacketDecoder, newDecodedPacket } from '../../decode/index.js';
import type { DecoderOptions } from '../../decode/types.js';
import { FlowTable } from '../../flows/index.js';
import type { FlowHandle } from '../../flows/types.js';
import type { L7Record, ProtocolParser } from '../../protocols/types.js';
import { L7Stage } from '../stage.js';

export interface ExtractOptions {
  /** Extra server ports for this parser (tshark's decode-as). */
  ports?: number[];
  decoder?: DecoderOptions;
}

export interface ExtractedRecord extends L7Record {
  protocol: string;
  flow: { ip0: string; ip1: string; clientPort: number; serverPort: number; protocol: number };
}

export function extractL7Messages(file: string, parser: ProtocolParser, opts: ExtractOptions = {}): { records: ExtractedRecord[]; violations: string[] } {
  const records: ExtractedRecord[] = [];
  const violations: string[] = [];
  const stage = new L7Stage([parser], {
    record(flow: FlowHandle, protocol: string, rec: L7Record) {
      records.push({ ...rec, protocol, flow: { ip0: flow.ip0, ip1: flow.ip1, clientPort: flow.clientPort, serverPort: flow.serverPort, protocol: flow.protocol } });
    },
    violation(_flow, kind, message) {
      violations.push(`${kind}: ${message}`);
    },
  }, { extraPorts: opts.ports ? { [parser.name]: opts.ports } : undefined });
  const table = new FlowTable({ flow() {}, metrics() {}, stream: stage }, { tcpEstablishedTimeoutUs: 86_400e6, shortTimeoutUs: 86_400e6, closedLingerUs: 86_400e6 });
  const decoder = new PacketDecoder(opts.decoder);
  const pkt = newDecodedPacket();
  const links: number[] = [];
  const reader = new CaptureReader({
    iface(i) {
      links[i.id] = i.linkType;
    },
    packet(rec) {
      const lt = links[rec.interfaceId];
      if (lt === undefined || lt === 252) return;
      if (decoder.decode(lt, rec.data, rec.tsUs, pkt) === 'ok') table.ingest(0, pkt, rec.tsUs, rec.origLen, rec.frameNumber);
    },
  });
  reader.push(readFileSync(file));
  reader.end();
  table.flush();
  return { records, violations };
}
