// Writes a Rewind bundle section as pcapng blocks to a sink: header, interfaces, packets, metadata records, summary.

import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { parseEui, parseIpv4, parseIpv6 } from './addresses.js';
import {
  BYTE_ORDER_MAGIC,
  BlockType,
  EpbOption,
  IdbOption,
  IsbOption,
  NrbRecord,
  OptionCode,
  RecordEncoding,
  RecordType,
  SecretsType,
  ShbOption,
} from './constants.js';
import { encodeEbpfContext } from './ebpf-context.js';
import type { EbpfContext } from './ebpf-context.js';
import { exportedPduPayload } from './exported-pdu.js';
import type { ExportedPduMeta } from './exported-pdu.js';
import { toTimestampWords, tsresolUnits } from './timestamps.js';
import { BUNDLE_FORMAT_VERSION, REWIND_PEN } from './types.js';
import type { NameRecord } from './types.js';

export type BlockSink = (buf: Buffer) => void;

export interface SectionOptions {
  /** Little-endian unless a test asks for big-endian. */
  byteOrder?: 'le' | 'be';
  hardware?: string;
  os?: string;
  userAppl?: string;
  comment?: string;
  /** Host this section was captured on (goes into Rewind's section option). */
  host?: string;
  /** Capture configuration; moved to a capture-config record when it does not fit in an option. */
  config?: unknown;
  /** Bundle format version to declare; defaults to BUNDLE_FORMAT_VERSION (tests use it to fake newer bundles). */
  formatVersion?: string;
  /** Keep a running SHA-256 for the closing summary (default true). */
  digest?: boolean;
}

export interface InterfaceOptions {
  /** pcap LINKTYPE_* (1 Ethernet, 252 exported PDU, ...). */
  linkType: number;
  snapLen?: number;
  name?: string;
  description?: string;
  hardware?: string;
  os?: string;
  /** libpcap filter expression. */
  filter?: string;
  /** Raw if_tsresol byte: 9 = ns (default), 6 = µs, 0x80|n = 2^-n. */
  tsResol?: number;
  /** if_tsoffset in seconds. */
  tsOffsetSec?: number;
  /** Observation point metadata (netns, host, node, pod...), written as Rewind JSON option. */
  observationPoint?: Record<string, unknown>;
  comment?: string;
}

/** A custom option to attach to a block: PEN first, then text (2988/19372) or binary (2989/19373). */
export interface CustomOptionInput {
  /** Defaults to 2988 for text and 2989 for a Buffer. */
  code?: number;
  /** Defaults to REWIND_PEN. */
  pen?: number;
  data: Buffer | string;
}

export interface PacketOptions {
  /** Original length on the wire; defaults to the captured length. */
  origLen?: number;
  /** epb_flags word (direction bits 0-1: 1 inbound, 2 outbound). */
  flags?: number;
  comment?: string;
  /** Process context of an eBPF socket-data PDU. */
  ebpf?: EbpfContext;
  custom?: CustomOptionInput[];
}

export interface InterfaceStatsInput {
  ifRecv?: number | bigint;
  ifDrop?: number | bigint;
  osDrop?: number | bigint;
  filterAccept?: number | bigint;
  usrDeliv?: number | bigint;
  /** isb_starttime / isb_endtime (same units as packet timestamps). */
  startTime?: bigint | number;
  endTime?: bigint | number;
}

/** JSON payload of the closing-summary record (record type 10). */
export interface ClosingSummary {
  packets: number;
  /** Packets per local interface id. */
  packetsPerInterface: number[];
  interfaces: number;
  /** Records written, by record type number. */
  records: Record<string, number>;
  nameResolutionBlocks: number;
  secretsBlocks: number;
  statisticsBlocks: number;
  /** Earliest and latest packet timestamps, µs since the epoch (null when no packets). */
  firstTsUs: number | null;
  lastTsUs: number | null;
  /** Bytes of the section before the summary block. */
  bytes: number;
  /** Lower-case hex SHA-256 of those bytes (from the section header on), or null when digest was off. */
  sha256: string | null;
  [extra: string]: unknown;
}

interface WriterIface {
  units: bigint;
}

const MAX_OPTION_VALUE = 0xffff;
const ZERO4 = Buffer.alloc(4);

function pad4(n: number): number {
  return (n + 3) & ~3;
}

interface EncodedOption {
  code: number;
  value: Buffer;
}

/**
 * One writer = one pcapng section. The section header is written by the constructor; concatenate
 * sections (several hosts) by creating another writer on the same sink. Every buffer handed to the
 * sink is freshly allocated and owned by the sink.
 */
export class BundleWriter {
  readonly byteOrder: 'le' | 'be';
  private readonly le: boolean;
  private readonly ifaces: WriterIface[] = [];
  private readonly hash: Hash | undefined;
  private written = 0;
  private packets = 0;
  private readonly packetsPerInterface: number[] = [];
  private readonly records: Record<string, number> = {};
  private nrbs = 0;
  private dsbs = 0;
  private isbs = 0;
  private firstTsUs: number | null = null;
  private lastTsUs: number | null = null;
  private closed = false;

  constructor(
    private readonly sink: BlockSink,
    opts: SectionOptions = {},
  ) {
    this.byteOrder = opts.byteOrder ?? 'le';
    this.le = this.byteOrder === 'le';
    this.hash = opts.digest === false ? undefined : createHash('sha256');
    this.writeSectionHeader(opts);
  }

  /** Bytes emitted so far by this writer. */
  get bytesWritten(): number {
    return this.written;
  }

  private writeSectionHeader(opts: SectionOptions): void {
    const options: EncodedOption[] = [];
    if (opts.comment !== undefined) options.push(this.textOption(OptionCode.COMMENT, opts.comment));
    if (opts.hardware !== undefined) options.push(this.textOption(ShbOption.HARDWARE, opts.hardware));
    if (opts.os !== undefined) options.push(this.textOption(ShbOption.OS, opts.os));
    if (opts.userAppl !== undefined) options.push(this.textOption(ShbOption.USERAPPL, opts.userAppl));
    const format = opts.formatVersion ?? `${BUNDLE_FORMAT_VERSION.major}.${BUNDLE_FORMAT_VERSION.minor}`;
    const rewind: Record<string, unknown> = { format };
    if (opts.host !== undefined) rewind.host = opts.host;
    let configAsRecord = false;
    if (opts.config !== undefined) {
      rewind.config = opts.config;
      // An option value is limited to 64 KiB: a bigger config travels in a capture-config record instead.
      if (Buffer.byteLength(JSON.stringify(rewind)) + 4 > MAX_OPTION_VALUE) {
        delete rewind.config;
        rewind.configRecord = true;
        configAsRecord = true;
      }
    }
    options.push(this.customOption({ data: JSON.stringify(rewind) }));
    const opt = this.encodeOptions(options);
    const len = 24 + opt.length + 4;
    const b = Buffer.allocUnsafe(len);
    this.u32(b, BlockType.SHB, 0);
    this.u32(b, len, 4);
    this.u32(b, BYTE_ORDER_MAGIC, 8);
    this.u16(b, 1, 12);
    this.u16(b, 0, 14);
    // Section length unknown (-1): we stream.
    b.writeInt32LE(-1, 16);
    b.writeInt32LE(-1, 20);
    opt.copy(b, 24);
    this.u32(b, len, len - 4);
    this.emit(b);
    if (configAsRecord) this.writeRecord(RecordType.CAPTURE_CONFIG, opts.config);
  }

  /** Adds an Interface Description Block and returns its local id (what packets reference). */
  addInterface(opts: InterfaceOptions): number {
    const tsResol = opts.tsResol ?? 9;
    const options: EncodedOption[] = [];
    if (opts.comment !== undefined) options.push(this.textOption(OptionCode.COMMENT, opts.comment));
    if (opts.name !== undefined) options.push(this.textOption(IdbOption.NAME, opts.name));
    if (opts.description !== undefined) options.push(this.textOption(IdbOption.DESCRIPTION, opts.description));
    // if_tsresol 6 (µs) is the default and need not be written; anything else must be.
    if (tsResol !== 6) options.push({ code: IdbOption.TSRESOL, value: Buffer.from([tsResol]) });
    if (opts.filter !== undefined) options.push({ code: IdbOption.FILTER, value: Buffer.concat([Buffer.from([0]), Buffer.from(opts.filter, 'utf8')]) });
    if (opts.os !== undefined) options.push(this.textOption(IdbOption.OS, opts.os));
    if (opts.tsOffsetSec !== undefined && opts.tsOffsetSec !== 0) {
      const v = Buffer.alloc(8);
      if (this.le) v.writeBigInt64LE(BigInt(opts.tsOffsetSec));
      else v.writeBigInt64BE(BigInt(opts.tsOffsetSec));
      options.push({ code: IdbOption.TSOFFSET, value: v });
    }
    if (opts.hardware !== undefined) options.push(this.textOption(IdbOption.HARDWARE, opts.hardware));
    if (opts.observationPoint !== undefined) options.push(this.customOption({ data: JSON.stringify(opts.observationPoint) }));
    const opt = this.encodeOptions(options);
    const len = 16 + opt.length + 4;
    const b = Buffer.allocUnsafe(len);
    this.u32(b, BlockType.IDB, 0);
    this.u32(b, len, 4);
    this.u16(b, opts.linkType, 8);
    this.u16(b, 0, 10);
    this.u32(b, opts.snapLen ?? 262144, 12);
    opt.copy(b, 16);
    this.u32(b, len, len - 4);
    this.emit(b);
    this.ifaces.push({ units: tsresolUnits(tsResol) });
    this.packetsPerInterface.push(0);
    return this.ifaces.length - 1;
  }

  /**
   * Writes an Enhanced Packet Block. `ts` is bigint nanoseconds or number microseconds since the epoch,
   * converted to the interface's resolution.
   */
  writePacket(ifaceId: number, ts: bigint | number, data: Buffer, opts?: PacketOptions): void {
    const iface = this.ifaces[ifaceId];
    if (iface === undefined) throw new Error(`BundleWriter: interface ${ifaceId} was not added`);
    const [high, low] = toTimestampWords(ts, iface.units);
    let opt: Buffer | undefined;
    if (opts && (opts.flags !== undefined || opts.comment !== undefined || opts.ebpf || opts.custom)) {
      const options: EncodedOption[] = [];
      if (opts.comment !== undefined) options.push(this.textOption(OptionCode.COMMENT, opts.comment));
      if (opts.flags !== undefined) {
        const v = Buffer.allocUnsafe(4);
        this.u32(v, opts.flags, 0);
        options.push({ code: EpbOption.FLAGS, value: v });
      }
      if (opts.ebpf) options.push(this.customOption({ data: encodeEbpfContext(opts.ebpf) }));
      for (const c of opts.custom ?? []) options.push(this.customOption(c));
      opt = this.encodeOptions(options);
    }
    const capLen = data.length;
    const padded = pad4(capLen);
    const optLen = opt ? opt.length : 0;
    const len = 28 + padded + optLen + 4;
    const b = Buffer.allocUnsafe(len);
    const le = this.le;
    if (le) {
      b.writeUInt32LE(BlockType.EPB, 0);
      b.writeUInt32LE(len, 4);
      b.writeUInt32LE(ifaceId, 8);
      b.writeUInt32LE(high, 12);
      b.writeUInt32LE(low, 16);
      b.writeUInt32LE(capLen, 20);
      b.writeUInt32LE(opts?.origLen ?? capLen, 24);
    } else {
      b.writeUInt32BE(BlockType.EPB, 0);
      b.writeUInt32BE(len, 4);
      b.writeUInt32BE(ifaceId, 8);
      b.writeUInt32BE(high, 12);
      b.writeUInt32BE(low, 16);
      b.writeUInt32BE(capLen, 20);
      b.writeUInt32BE(opts?.origLen ?? capLen, 24);
    }
    data.copy(b, 28);
    if (padded > capLen) b.fill(0, 28 + capLen, 28 + padded);
    if (opt) opt.copy(b, 28 + padded);
    this.u32(b, len, len - 4);
    this.emit(b);
    this.packets++;
    this.packetsPerInterface[ifaceId]++;
    const us = typeof ts === 'bigint' ? Number(ts / 1000n) : Math.floor(ts);
    if (this.firstTsUs === null || us < this.firstTsUs) this.firstTsUs = us;
    if (this.lastTsUs === null || us > this.lastTsUs) this.lastTsUs = us;
  }

  /**
   * Emits whole EPBs that were built elsewhere (the eBPF loader writes socket-data EPBs in C) and counts them:
   * `count` blocks of interface `ifaceId`, timestamps from `firstUs` to `lastUs`. The bytes must be complete blocks
   * in this section's byte order.
   */
  writeRawPackets(ifaceId: number, blocks: Buffer, count: number, firstUs: number, lastUs: number): void {
    if (this.ifaces[ifaceId] === undefined) throw new Error(`BundleWriter: interface ${ifaceId} was not added`);
    if (count === 0) return;
    this.emit(blocks);
    this.packets += count;
    this.packetsPerInterface[ifaceId] += count;
    if (this.firstTsUs === null || firstUs < this.firstTsUs) this.firstTsUs = firstUs;
    if (this.lastTsUs === null || lastUs > this.lastTsUs) this.lastTsUs = lastUs;
  }

  /** Writes socket data on an exported-PDU interface: tags naming the dissector, then the payload. */
  writeExportedPdu(ifaceId: number, ts: bigint | number, meta: ExportedPduMeta, payload: Buffer, opts?: PacketOptions): void {
    const data = exportedPduPayload(meta, payload);
    this.writePacket(ifaceId, ts, data, opts);
  }

  /** Name Resolution Block: addresses to names (pod, service), which Wireshark shows as well. */
  writeNameResolution(records: NameRecord[]): void {
    const parts: Buffer[] = [];
    for (const r of records) {
      const addr =
        r.type === 'ipv4' ? parseIpv4(r.address) : r.type === 'ipv6' ? parseIpv6(r.address) : parseEui(r.address);
      const type = r.type === 'ipv4' ? NrbRecord.IPV4 : r.type === 'ipv6' ? NrbRecord.IPV6 : r.type === 'eui48' ? NrbRecord.EUI48 : NrbRecord.EUI64;
      const names = Buffer.concat(r.names.map((n) => Buffer.concat([Buffer.from(n, 'utf8'), Buffer.from([0])])));
      const vlen = addr.length + names.length;
      if (vlen > MAX_OPTION_VALUE) throw new Error(`BundleWriter: name record for ${r.address} is too long`);
      const rec = Buffer.alloc(4 + pad4(vlen));
      this.u16(rec, type, 0);
      this.u16(rec, vlen, 2);
      addr.copy(rec, 4);
      names.copy(rec, 4 + addr.length);
      parts.push(rec);
    }
    parts.push(ZERO4); // nrb_record_end
    this.writeRawBlock(BlockType.NRB, Buffer.concat(parts));
    this.nrbs++;
  }

  /** Interface Statistics Block (drops and counts of a capture source). */
  writeInterfaceStats(ifaceId: number, ts: bigint | number, stats: InterfaceStatsInput): void {
    const iface = this.ifaces[ifaceId];
    if (iface === undefined) throw new Error(`BundleWriter: interface ${ifaceId} was not added`);
    const options: EncodedOption[] = [];
    const tsOpt = (code: number, t: bigint | number): void => {
      const [h, l] = toTimestampWords(t, iface.units);
      const v = Buffer.allocUnsafe(8);
      this.u32(v, h, 0);
      this.u32(v, l, 4);
      options.push({ code, value: v });
    };
    const u64 = (code: number, n: number | bigint | undefined): void => {
      if (n === undefined) return;
      const v = Buffer.allocUnsafe(8);
      if (this.le) v.writeBigUInt64LE(BigInt(n));
      else v.writeBigUInt64BE(BigInt(n));
      options.push({ code, value: v });
    };
    if (stats.startTime !== undefined) tsOpt(IsbOption.STARTTIME, stats.startTime);
    if (stats.endTime !== undefined) tsOpt(IsbOption.ENDTIME, stats.endTime);
    u64(IsbOption.IFRECV, stats.ifRecv);
    u64(IsbOption.IFDROP, stats.ifDrop);
    u64(IsbOption.FILTERACCEPT, stats.filterAccept);
    u64(IsbOption.OSDROP, stats.osDrop);
    u64(IsbOption.USRDELIV, stats.usrDeliv);
    const [high, low] = toTimestampWords(ts, iface.units);
    const head = Buffer.allocUnsafe(12);
    this.u32(head, ifaceId, 0);
    this.u32(head, high, 4);
    this.u32(head, low, 8);
    this.writeRawBlock(BlockType.ISB, Buffer.concat([head, this.encodeOptions(options)]));
    this.isbs++;
  }

  /** Decryption Secrets Block, e.g. a TLS key log (type 0x544c534b) so Wireshark and Rewind can decrypt. */
  writeSecrets(secretsType: number, data: Buffer): void {
    const head = Buffer.allocUnsafe(8);
    this.u32(head, secretsType, 0);
    this.u32(head, data.length, 4);
    this.writeRawBlock(BlockType.DSB, Buffer.concat([head, data]));
    this.dsbs++;
  }

  /** Convenience for the NSS key log format. */
  writeTlsKeyLog(keyLog: string | Buffer): void {
    this.writeSecrets(SecretsType.TLS_KEY_LOG, typeof keyLog === 'string' ? Buffer.from(keyLog, 'utf8') : keyLog);
  }

  /** Rewind record with a JSON payload in a Custom Block (see RecordType). */
  writeRecord(recordType: number, value: unknown, opts?: { copyable?: boolean }): void {
    this.writeCustomRecord(recordType, RecordEncoding.JSON, Buffer.from(JSON.stringify(value) ?? 'null', 'utf8'), opts);
  }

  /** Rewind record with a binary payload in a Custom Block. */
  writeBinaryRecord(recordType: number, payload: Buffer, opts?: { copyable?: boolean }): void {
    this.writeCustomRecord(recordType, RecordEncoding.BINARY, payload, opts);
  }

  private writeCustomRecord(recordType: number, encoding: number, payload: Buffer, opts?: { copyable?: boolean }): void {
    const head = Buffer.allocUnsafe(12);
    this.u32(head, REWIND_PEN, 0);
    this.u16(head, recordType, 4);
    this.u16(head, encoding, 6);
    this.u32(head, payload.length, 8);
    const type = opts?.copyable === false ? BlockType.CUSTOM_NOCOPY : BlockType.CUSTOM_COPY;
    this.writeRawBlock(type, Buffer.concat([head, payload]));
    const key = String(recordType);
    this.records[key] = (this.records[key] ?? 0) + 1;
  }

  /**
   * Writes the closing summary (record type 10) with counts, time range and the SHA-256 of every byte this
   * writer emitted before the summary block. Call it last; later writes are refused.
   */
  writeSummary(extra?: Record<string, unknown>): ClosingSummary {
    const summary: ClosingSummary = {
      ...extra,
      packets: this.packets,
      packetsPerInterface: [...this.packetsPerInterface],
      interfaces: this.ifaces.length,
      records: { ...this.records },
      nameResolutionBlocks: this.nrbs,
      secretsBlocks: this.dsbs,
      statisticsBlocks: this.isbs,
      firstTsUs: this.firstTsUs,
      lastTsUs: this.lastTsUs,
      bytes: this.written,
      sha256: this.hash ? this.hash.copy().digest('hex') : null,
    };
    this.writeRecord(RecordType.CLOSING_SUMMARY, summary);
    this.closed = true;
    return summary;
  }

  /**
   * Writes any block: `body` is everything between the length and the trailing length; it is padded to 4
   * bytes here. An escape hatch for block kinds without a dedicated method (and for tests).
   */
  writeRawBlock(type: number, body: Buffer): void {
    const padded = pad4(body.length);
    const len = 8 + padded + 4;
    const b = Buffer.allocUnsafe(len);
    this.u32(b, type, 0);
    this.u32(b, len, 4);
    body.copy(b, 8);
    if (padded > body.length) b.fill(0, 8 + body.length, 8 + padded);
    this.u32(b, len, len - 4);
    this.emit(b);
  }

  private emit(b: Buffer): void {
    if (this.closed) throw new Error('BundleWriter: write after the closing summary');
    this.hash?.update(b);
    this.written += b.length;
    this.sink(b);
  }

  private textOption(code: number, text: string): EncodedOption {
    return { code, value: Buffer.from(text, 'utf8') };
  }

  private customOption(c: CustomOptionInput): EncodedOption {
    const binary = typeof c.data !== 'string';
    const code = c.code ?? (binary ? OptionCode.CUSTOM_BIN_COPY : OptionCode.CUSTOM_STR_COPY);
    const data = typeof c.data === 'string' ? Buffer.from(c.data, 'utf8') : c.data;
    const value = Buffer.allocUnsafe(4 + data.length);
    this.u32(value, c.pen ?? REWIND_PEN, 0);
    data.copy(value, 4);
    return { code, value };
  }

  /** Option list with opt_endofopt; empty when there are no options (the end marker is then omitted). */
  private encodeOptions(options: EncodedOption[]): Buffer {
    if (options.length === 0) return Buffer.alloc(0);
    let size = 4;
    for (const o of options) {
      if (o.value.length > MAX_OPTION_VALUE) throw new Error(`BundleWriter: option ${o.code} value of ${o.value.length} bytes exceeds 65535`);
      size += 4 + pad4(o.value.length);
    }
    const b = Buffer.alloc(size);
    let pos = 0;
    for (const o of options) {
      this.u16(b, o.code, pos);
      this.u16(b, o.value.length, pos + 2);
      o.value.copy(b, pos + 4);
      pos += 4 + pad4(o.value.length);
    }
    return b; // the last 4 bytes stay zero: opt_endofopt
  }

  private u32(b: Buffer, v: number, off: number): void {
    if (this.le) b.writeUInt32LE(v >>> 0, off);
    else b.writeUInt32BE(v >>> 0, off);
  }

  private u16(b: Buffer, v: number, off: number): void {
    if (this.le) b.writeUInt16LE(v, off);
    else b.writeUInt16BE(v, off);
  }
}
