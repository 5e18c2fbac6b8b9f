// Streaming pcap/pcapng/gzip capture reader: push chunks in, get callbacks for every section, interface, packet and metadata block.

import { createReadStream } from 'node:fs';
import {
  BYTE_ORDER_MAGIC,
  BlockType,
  IdbOption,
  IsbOption,
  MAX_BLOCK_LEN,
  NrbRecord,
  PcapMagic,
  RECORD_HEADER_LEN,
  RecordEncoding,
  ShbOption,
} from './constants.js';
import { GzipInflater } from './gzip-inflater.js';
import { formatEui, formatIpv4, formatIpv6 } from './addresses.js';
import { readI64, readOptions, readU64, scanEpbFlags, toCustomOption } from './options.js';
import type { ByteOrder, PcapngOption } from './options.js';
import { splitTimestamp, tsKindOf, tsresolUnits } from './timestamps.js';
import type { SplitTs, TsKindValue } from './timestamps.js';
import {
  BUNDLE_FORMAT_VERSION,
  CaptureFormatError,
  REWIND_PEN,
} from './types.js';
import type {
  CaptureFormat,
  CaptureHandler,
  CustomRecord,
  InterfaceInfo,
  InterfaceStats,
  NameRecord,
  PacketRecord,
  ReadSummary,
  ReadViolation,
  SectionInfo,
} from './types.js';

export interface CaptureReaderOptions {
  /** Global id given to the first interface (to keep ids unique when several files feed one store). */
  firstInterfaceId?: number;
  /** Frame number of the first packet (1 by default). */
  firstFrameNumber?: number;
}

// Parser modes. DETECT reads a magic number; the others parse whole units (blocks / records).
const M_DETECT = 0;
const M_PCAPNG = 1;
const M_PCAP_HEADER = 2;
const M_PCAP = 3;
const M_STOPPED = 4;

const PCAP_HEADER_LEN = 24;
const PCAP_RECORD_HEADER_LEN = 16;
/** Smallest pcapng block: type, length, trailing length. */
const MIN_BLOCK_LEN = 12;
/** libpcap's own ceiling on a record's captured length when the snaplen is smaller. */
const PCAP_MAX_RECORD = 262144;
const CARRY_INITIAL = 64 * 1024;
/** Carry buffers grown past this for one huge block are dropped afterwards rather than kept. */
const CARRY_KEEP_MAX = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

/** Per-interface state of the current section; `info` is what the handler saw. */
interface IfaceState {
  id: number;
  tsKind: TsKindValue;
  units: bigint;
  offsetUs: number;
  snapLen: number;
  info: InterfaceInfo;
}

function isCaptureMagic(w: number): boolean {
  // The set is closed under byte swapping, so a word read in either order can be tested against it.
  return (
    w === PcapMagic.MICRO ||
    w === PcapMagic.MICRO_SWAPPED ||
    w === PcapMagic.NANO ||
    w === PcapMagic.NANO_SWAPPED ||
    w === BlockType.SHB
  );
}

function hex32(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}

/**
 * Push parser for pcapng (any byte order, many sections), classic pcap (µs/ns, any byte order) and their
 * gzip-compressed forms. Only whole blocks reach the handler; a partial block at the end of a chunk is
 * carried over (the only copy the reader makes) and completed by the next chunk.
 *
 * The PacketRecord passed to `handler.packet` is one object reused for every packet, and its `data` and
 * `options` are views into a buffer the reader reuses: copy what you keep past the callback.
 */
export class CaptureReader {
  private readonly handler: CaptureHandler;

  // Outer layer: gzip or raw, decided from the first two bytes.
  private outer: 'unknown' | 'raw' | 'gzip' = 'unknown';
  private readonly head = Buffer.alloc(2);
  private headLen = 0;
  private inflater: GzipInflater | undefined;
  private gzipError: string | undefined;

  // Inner layer: the (decompressed) capture stream.
  private mode = M_DETECT;
  private le = true;
  private carry: Buffer = Buffer.allocUnsafe(CARRY_INITIAL);
  private carryLen = 0;
  /** Stream offset of the next byte the parser has not consumed. */
  private consumed = 0;
  /** Bytes of the (decompressed) stream received so far. */
  private streamBytes = 0;
  private stop: { kind: ReadViolation['kind']; message: string; offset: number } | undefined;

  private format: CaptureFormat | undefined;
  private sectionIndex = -1;
  /** Set while inside a pcapng section whose major version we do not understand. */
  private skipSection = false;
  private ifaces: IfaceState[] = [];
  private nextIfaceId: number;
  private nextFrame: number;
  private pcapNano = false;
  private pcapIface: IfaceState | undefined;

  private packets = 0;
  private interfaces = 0;
  private violations = 0;
  private readonly unknownBlocks: Record<string, number> = {};
  private ended = false;
  /** The error that refused the input, if any. */
  private failed: unknown = undefined;
  private summary: ReadSummary | undefined;

  /** Reused for every packet (see the class comment). */
  private readonly rec: PacketRecord;
  private readonly ts: SplitTs = { us: 0, subUsNs: 0 };

  constructor(handler: CaptureHandler, opts: CaptureReaderOptions = {}) {
    this.handler = handler;
    this.nextIfaceId = opts.firstInterfaceId ?? 0;
    this.nextFrame = opts.firstFrameNumber ?? 1;
    this.rec = newPacketRecord();
  }

  /** Feeds the next chunk of the input. The chunk may be reused by the caller once this returns. */
  push(chunk: Buffer): void {
    if (this.ended) throw new Error('CaptureReader.push() after end()');
    if (this.failed !== undefined || chunk.length === 0) return;
    try {
      if (this.outer === 'raw') this.feedInner(chunk);
      else if (this.outer === 'gzip') this.feedGzip(chunk);
      else this.sniffOuter(chunk);
    } catch (err) {
      this.failed = err;
      throw err;
    }
  }

  /** Ends the input: reports a truncated tail and returns the summary. Idempotent. */
  end(): ReadSummary {
    if (this.summary) return this.summary;
    // The input was refused: end() repeats why rather than inventing a summary.
    if (this.failed !== undefined) throw this.failed;
    this.ended = true;
    if (this.outer === 'unknown') {
      if (this.headLen === 0) throw new CaptureFormatError('empty input: not a capture file', 'not-a-capture');
      this.outer = 'raw';
      this.feedInner(this.head.subarray(0, this.headLen));
    }
    if (this.inflater) {
      const error = this.inflater.finish();
      if (error) this.violate('gzip-error', error, this.streamBytes);
    }
    if (this.mode === M_DETECT && this.sectionIndex < 0) {
      const why = this.gzipError ? `${this.gzipError}, nothing readable inflated` : `input too short to be a capture (${this.streamBytes} bytes)`;
      throw new CaptureFormatError(why, 'not-a-capture');
    }
    let truncatedTailBytes = 0;
    if (this.stop) {
      const lost = this.streamBytes - this.stop.offset;
      this.violate(this.stop.kind, this.stop.message, this.stop.offset, lost);
    } else if (this.carryLen > 0) {
      truncatedTailBytes = this.carryLen;
      this.violate(
        'truncated-tail',
        `input ends inside a ${this.mode === M_PCAP ? 'record' : 'block'}: last ${this.carryLen} bytes dropped (capture cut short?)`,
        this.consumed,
        this.carryLen,
      );
    }
    this.summary = {
      format: this.format ?? 'pcapng',
      gzip: this.outer === 'gzip',
      sections: this.sectionIndex + 1,
      interfaces: this.interfaces,
      packets: this.packets,
      bytes: this.streamBytes,
      unknownBlocks: this.unknownBlocks,
      truncatedTailBytes,
      violations: this.violations,
    };
    this.carry = EMPTY;
    return this.summary;
  }

  // ---- outer layer -------------------------------------------------------------------------------

  private sniffOuter(chunk: Buffer): void {
    let off = 0;
    while (this.headLen < 2 && off < chunk.length) this.head[this.headLen++] = chunk[off++];
    if (this.headLen < 2) return;
    if (this.head[0] === 0x1f && this.head[1] === 0x8b) {
      this.outer = 'gzip';
      this.inflater = new GzipInflater((piece) => this.feedInner(piece));
      this.feedGzip(this.head);
    } else {
      this.outer = 'raw';
      this.feedInner(this.head);
    }
    if (off < chunk.length) this.push(chunk.subarray(off));
  }

  private feedGzip(chunk: Buffer): void {
    const inflater = this.inflater as GzipInflater;
    try {
      inflater.push(chunk);
    } catch (err) {
      if (err instanceof CaptureFormatError) throw err;
      // Corrupt compressed data: keep what inflated so far, report, and stop there.
      this.gzipError = `corrupt gzip data after ${inflater.compressedBytes} compressed bytes: ${(err as Error).message}`;
      this.violate('gzip-error', this.gzipError, this.streamBytes);
      inflater.close();
    }
  }

  // ---- inner layer: carry-over between chunks -----------------------------------------------------

  private feedInner(chunk: Buffer): void {
    this.streamBytes += chunk.length;
    if (this.mode === M_STOPPED) return;
    let off = 0;
    if (this.carryLen > 0 || this.mode === M_DETECT) {
      off = this.fillCarry(chunk);
      if (this.carryLen > 0 || off >= chunk.length) return;
    }
    const pos = this.parse(chunk, off, chunk.length);
    const left = chunk.length - pos;
    if (left > 0 && this.mode !== M_STOPPED) {
      this.ensureCarry(left);
      chunk.copy(this.carry, 0, pos);
      this.carryLen = left;
    }
  }

  /**
   * Completes the unit that starts in the carry buffer with bytes from `chunk`, parses it, and returns
   * how many bytes of `chunk` it used. Only the bytes of that one unit are copied.
   */
  private fillCarry(chunk: Buffer): number {
    let off = 0;
    while (true) {
      const need = this.needed();
      if (need < 0) {
        // Stopped (corrupt input): the rest of the stream is dropped and counted at end().
        this.carryLen = 0;
        return chunk.length;
      }
      if (this.carryLen < need) {
        const take = Math.min(need - this.carryLen, chunk.length - off);
        this.ensureCarry(this.carryLen + take, need);
        chunk.copy(this.carry, this.carryLen, off, off + take);
        this.carryLen += take;
        off += take;
        if (this.carryLen < need) return off;
        continue; // a complete header may reveal the full unit length
      }
      const used = this.parse(this.carry, 0, this.carryLen);
      if (used >= this.carryLen || this.mode === M_STOPPED) {
        this.carryLen = 0;
        if (this.carry.length > CARRY_KEEP_MAX) this.carry = Buffer.allocUnsafe(CARRY_INITIAL);
        return off;
      }
      if (used === 0) throw new Error('CaptureReader: carried unit did not parse (reader bug)');
      this.carry.copyWithin(0, used, this.carryLen);
      this.carryLen -= used;
    }
  }

  /**
   * Makes room for `size` bytes, growing geometrically up to `cap` (the unit's declared length): a corrupt
   * length in a short input then costs only the bytes that actually arrive, not its declared size.
   */
  private ensureCarry(size: number, cap = size): void {
    if (this.carry.length >= size) return;
    const next = Buffer.allocUnsafe(Math.max(size, Math.min(cap, this.carry.length * 2), CARRY_INITIAL));
    this.carry.copy(next, 0, 0, this.carryLen);
    this.carry = next;
  }

  /**
   * Bytes the carry buffer must hold for the next step: a header size while the header is incomplete,
   * else the whole unit. Detects formats and corrupt lengths on the way; -1 once stopped.
   */
  private needed(): number {
    const buf = this.carry;
    const have = this.carryLen;
    while (true) {
      switch (this.mode) {
        case M_DETECT:
          if (have < 4) return 4;
          this.detect(buf, 0, this.consumed);
          continue;
        case M_PCAP_HEADER:
          return PCAP_HEADER_LEN;
        case M_PCAP: {
          if (have < PCAP_RECORD_HEADER_LEN) return PCAP_RECORD_HEADER_LEN;
          if (this.startsNewCapture(buf, 0)) {
            this.mode = M_DETECT;
            continue;
          }
          const incl = this.le ? buf.readUInt32LE(8) : buf.readUInt32BE(8);
          if (!this.pcapRecordLenOk(incl, this.consumed)) return -1;
          return PCAP_RECORD_HEADER_LEN + incl;
        }
        case M_PCAPNG: {
          if (have < MIN_BLOCK_LEN) return MIN_BLOCK_LEN;
          if (this.isPcapMagicAt(buf, 0)) {
            this.mode = M_DETECT;
            continue;
          }
          const len = this.blockLength(buf, 0, this.consumed);
          return len < 0 ? -1 : len;
        }
        default:
          return -1;
      }
    }
  }

  // ---- inner layer: parsing whole units -------------------------------------------------------------

  /** Parses whole units in buf[start, end) and returns where the first incomplete one starts. */
  private parse(buf: Buffer, start: number, end: number): number {
    const base = this.consumed - start;
    let pos = start;
    while (true) {
      const mode = this.mode;
      if (mode === M_PCAPNG) pos = this.parsePcapng(buf, pos, end, base);
      else if (mode === M_PCAP) pos = this.parsePcap(buf, pos, end, base);
      else if (mode === M_PCAP_HEADER) {
        if (end - pos >= PCAP_HEADER_LEN) {
          this.pcapHeader(buf, pos, base + pos);
          pos += PCAP_HEADER_LEN;
        }
      } else if (mode === M_DETECT) {
        if (end - pos >= 4) this.detect(buf, pos, base + pos);
      } else {
        pos = end; // stopped: drop
      }
      // A sub-parser returns either for lack of bytes (mode unchanged) or because the mode changed.
      if (this.mode === mode) break;
    }
    this.consumed = base + pos;
    return pos;
  }

  /** The pcapng hot loop: EPBs inline, everything else through `block()`. */
  private parsePcapng(buf: Buffer, start: number, end: number, base: number): number {
    let pos = start;
    while (end - pos >= MIN_BLOCK_LEN) {
      const le = this.le;
      const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      if (type === BlockType.EPB) {
        const len = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
        if (len < MIN_BLOCK_LEN || (len & 3) !== 0 || len > MAX_BLOCK_LEN) {
          this.halt('bad-block', `block length ${len} of EPB is invalid`, base + pos);
          return end;
        }
        if (end - pos < len) return pos;
        if ((le ? buf.readUInt32LE(pos + len - 4) : buf.readUInt32BE(pos + len - 4)) !== len) {
          this.halt('bad-block', `EPB trailing length differs from its leading length ${len}`, base + pos);
          return end;
        }
        this.epb(buf, pos, len, base + pos, le);
        pos += len;
        continue;
      }
      if (this.isPcapMagicAt(buf, pos)) {
        this.mode = M_DETECT;
        return pos;
      }
      const len = this.blockLength(buf, pos, base + pos);
      if (len < 0) return end;
      if (end - pos < len) return pos;
      this.block(type, buf, pos, len, base + pos);
      pos += len;
      if (this.mode !== M_PCAPNG) return pos;
    }
    return pos;
  }

  /** Length of the block at pos (SHB byte order from its magic), or -1 after reporting it corrupt. */
  private blockLength(buf: Buffer, pos: number, offset: number): number {
    let le = this.le;
    const typeLe = buf.readUInt32LE(pos);
    if (typeLe === BlockType.SHB) {
      // SHB's type reads the same in both orders; its byte-order magic sets the order of the section.
      if (buf.readUInt32LE(pos + 8) === BYTE_ORDER_MAGIC) le = true;
      else if (buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC) le = false;
      else if (this.sectionIndex < 0) {
        // "\n\r\r\n" is also how some text files start: without the byte-order magic it is not pcapng.
        throw new CaptureFormatError('not a capture file: starts like a pcapng section header but has no byte-order magic', 'not-a-capture');
      } else {
        this.halt('bad-block', 'section header block with an invalid byte-order magic', offset);
        return -1;
      }
    }
    const len = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    if (len < MIN_BLOCK_LEN || (len & 3) !== 0 || len > MAX_BLOCK_LEN) {
      const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      const why = len > MAX_BLOCK_LEN ? 'absurdly large' : len < MIN_BLOCK_LEN ? 'too small' : 'not a multiple of 4';
      this.halt('bad-block', `block type ${hex32(type)} has length ${len} (${why})`, offset);
      return -1;
    }
    return len;
  }

  private epb(buf: Buffer, pos: number, len: number, offset: number, le: boolean): void {
    if (this.skipSection) return;
    const local = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    const iface = this.ifaces[local];
    if (iface === undefined) {
      this.violate('unknown-interface', `EPB references interface ${local}, section ${this.sectionIndex} has ${this.ifaces.length}`, offset, len);
      return;
    }
    const capLen = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    const dataStart = pos + 28;
    const optStart = dataStart + ((capLen + 3) & ~3);
    const optEnd = pos + len - 4;
    if (capLen > len || optStart > optEnd) {
      this.violate('bad-packet', `EPB captured length ${capLen} does not fit its block of ${len} bytes`, offset, len);
      return;
    }
    const high = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    const low = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    const rec = this.rec;
    const ts = this.ts;
    splitTimestamp(high, low, iface.tsKind, iface.units, ts);
    rec.interfaceId = iface.id;
    rec.frameNumber = this.nextFrame++;
    rec.tsUs = ts.us + iface.offsetUs;
    rec.tsSubUsNs = ts.subUsNs;
    rec.capLen = capLen;
    rec.origLen = le ? buf.readUInt32LE(pos + 24) : buf.readUInt32BE(pos + 24);
    rec.buffer = buf;
    rec.dataOffset = dataStart;
    if (optEnd > optStart) {
      rec.options = buf.subarray(optStart, optEnd);
      rec.flags = scanEpbFlags(buf, optStart, optEnd, le);
    } else {
      rec.options = EMPTY;
      rec.flags = 0;
    }
    rec.blockOffset = offset;
    rec.byteOrder = le ? 'le' : 'be';
    this.packets++;
    this.handler.packet(rec);
  }

  /** Every block type except EPB. */
  private block(type: number, buf: Buffer, pos: number, len: number, offset: number): void {
    const le = this.le;
    if ((le ? buf.readUInt32LE(pos + len - 4) : buf.readUInt32BE(pos + len - 4)) !== len && buf.readUInt32LE(pos) !== BlockType.SHB) {
      this.halt('bad-block', `block type ${hex32(type)}: trailing length differs from its leading length ${len}`, offset);
      return;
    }
    if (buf.readUInt32LE(pos) === BlockType.SHB) {
      this.shb(buf, pos, len, offset);
      return;
    }
    if (this.skipSection) return;
    switch (type) {
      case BlockType.IDB:
        this.idb(buf, pos, len, offset);
        return;
      case BlockType.SPB:
        this.spb(buf, pos, len, offset);
        return;
      case BlockType.PB:
        this.obsoletePacket(buf, pos, len, offset);
        return;
      case BlockType.NRB:
        this.nrb(buf, pos, len, offset);
        return;
      case BlockType.ISB:
        this.isb(buf, pos, len, offset);
        return;
      case BlockType.DSB:
        this.dsb(buf, pos, len, offset);
        return;
      case BlockType.CUSTOM_COPY:
      case BlockType.CUSTOM_NOCOPY:
        this.customBlock(type, buf, pos, len, offset, this.nextFrame++);
        return;
      default: {
        // tshark numbers journal export blocks as frames: keep packet frame numbers aligned with it.
        if (type === BlockType.JOURNAL) this.nextFrame++;
        const key = hex32(type);
        const seen = this.unknownBlocks[key] ?? 0;
        this.unknownBlocks[key] = seen + 1;
        // One violation per type: the per-type count lives in the summary.
        if (seen === 0) this.violate('unknown-block', `skipping blocks of unknown type ${key} (counted in the summary)`, offset, len);
      }
    }
  }

  private shb(buf: Buffer, pos: number, len: number, offset: number): void {
    const le = buf.readUInt32LE(pos + 8) === BYTE_ORDER_MAGIC;
    const trailer = le ? buf.readUInt32LE(pos + len - 4) : buf.readUInt32BE(pos + len - 4);
    if (trailer !== len || len < 28) {
      this.halt('bad-block', `section header block of length ${len} is malformed`, offset);
      return;
    }
    const major = le ? buf.readUInt16LE(pos + 12) : buf.readUInt16BE(pos + 12);
    const minor = le ? buf.readUInt16LE(pos + 14) : buf.readUInt16BE(pos + 14);
    const byteOrder: ByteOrder = le ? 'le' : 'be';
    this.le = le;
    this.ifaces = [];
    if (this.format === undefined) this.format = 'pcapng';
    if (major !== 1) {
      // A different pcapng major version is a format we cannot parse: skip the section by block lengths.
      this.sectionIndex++;
      this.skipSection = true;
      this.violate('bad-block', `pcapng section version ${major}.${minor} is not supported (only 1.x): section skipped`, offset);
      return;
    }
    this.skipSection = false;
    const info: SectionInfo = { index: this.sectionIndex + 1, byteOrder, pcapngVersion: `${major}.${minor}`, blockOffset: offset };
    for (const opt of this.options(buf, pos + 24, pos + len - 4, byteOrder, offset)) {
      if (opt.code === ShbOption.HARDWARE) info.hardware = opt.value.toString('utf8');
      else if (opt.code === ShbOption.OS) info.os = opt.value.toString('utf8');
      else if (opt.code === ShbOption.USERAPPL) info.userAppl = opt.value.toString('utf8');
      else {
        const custom = toCustomOption(opt, byteOrder);
        if (custom && custom.pen === REWIND_PEN && !custom.binary) {
          const rewind = this.rewindSectionOption(custom.data, offset);
          if (rewind) info.rewind = rewind;
        }
      }
    }
    this.sectionIndex++;
    this.handler.section?.(info);
  }

  /** Parses Rewind's SHB JSON and refuses a newer major format version (the one thing worth throwing for). */
  private rewindSectionOption(data: Buffer, offset: number): SectionInfo['rewind'] | undefined {
    let parsed: unknown;
    try {
      parsed = JSON.parse(data.toString('utf8'));
    } catch {
      this.violate('bad-option', 'Rewind section option is not valid JSON', offset);
      return undefined;
    }
    const obj = (parsed ?? {}) as { format?: unknown; host?: unknown; config?: unknown };
    const m = typeof obj.format === 'string' ? /^(\d+)\.(\d+)/.exec(obj.format) : null;
    if (!m) {
      this.violate('bad-option', 'Rewind section option has no "format" version', offset);
      return undefined;
    }
    const formatMajor = Number(m[1]);
    const formatMinor = Number(m[2]);
    const ours = `${BUNDLE_FORMAT_VERSION.major}.${BUNDLE_FORMAT_VERSION.minor}`;
    if (formatMajor > BUNDLE_FORMAT_VERSION.major) {
      throw new CaptureFormatError(
        `bundle section ${this.sectionIndex + 1} uses Rewind bundle format ${formatMajor}.${formatMinor}, ` +
          `newer than the format ${ours} this version of Rewind reads: upgrade Rewind to open it`,
        'newer-version',
      );
    }
    const out: NonNullable<SectionInfo['rewind']> = { formatMajor, formatMinor };
    if (typeof obj.host === 'string') out.host = obj.host;
    if (obj.config !== undefined) out.config = obj.config;
    return out;
  }

  private idb(buf: Buffer, pos: number, len: number, offset: number): void {
    if (len < 20) {
      this.violate('bad-block', `interface description block of length ${len} is too short`, offset, len);
      return;
    }
    const le = this.le;
    const byteOrder: ByteOrder = le ? 'le' : 'be';
    const linkType = le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
    const snapLen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    let units = 1_000_000n;
    let tsOffsetSec = 0;
    const info: InterfaceInfo = {
      id: this.nextIfaceId,
      sectionIndex: this.sectionIndex,
      localId: this.ifaces.length,
      linkType,
      snapLen,
      tsUnitsPerSec: 1e6,
      tsOffsetSec: 0,
    };
    for (const opt of this.options(buf, pos + 16, pos + len - 4, byteOrder, offset)) {
      const v = opt.value;
      switch (opt.code) {
        case IdbOption.NAME:
          info.name = v.toString('utf8');
          break;
        case IdbOption.DESCRIPTION:
          info.description = v.toString('utf8');
          break;
        case IdbOption.HARDWARE:
          info.hardware = v.toString('utf8');
          break;
        case IdbOption.OS:
          info.os = v.toString('utf8');
          break;
        case IdbOption.FILTER:
          // First byte is the filter kind (0 = libpcap expression).
          if (v.length >= 1) info.filter = v.subarray(1).toString('utf8');
          break;
        case IdbOption.TSRESOL:
          if (v.length >= 1) units = tsresolUnits(v[0]);
          break;
        case IdbOption.TSOFFSET:
          if (v.length >= 8) tsOffsetSec = readI64(v, 0, le);
          break;
        default: {
          const custom = toCustomOption(opt, byteOrder);
          if (custom && custom.pen === REWIND_PEN && !custom.binary) {
            try {
              const op: unknown = JSON.parse(custom.data.toString('utf8'));
              if (op && typeof op === 'object' && !Array.isArray(op)) info.observationPoint = op as Record<string, unknown>;
            } catch {
              this.violate('bad-option', `interface ${info.id}: Rewind observation-point option is not valid JSON`, offset);
            }
          }
        }
      }
    }
    info.tsUnitsPerSec = Number(units);
    info.tsOffsetSec = tsOffsetSec;
    const state: IfaceState = {
      id: this.nextIfaceId++,
      tsKind: tsKindOf(units),
      units,
      offsetUs: tsOffsetSec * 1e6,
      snapLen,
      info,
    };
    this.ifaces.push(state);
    this.interfaces++;
    this.handler.iface?.(info);
  }

  /** Simple Packet Block: no interface id (always the first) and no timestamp (delivered as 0). */
  private spb(buf: Buffer, pos: number, len: number, offset: number): void {
    const iface = this.ifaces[0];
    if (iface === undefined) {
      this.violate('unknown-interface', 'simple packet block in a section without interfaces', offset, len);
      return;
    }
    if (len < 16) {
      this.violate('bad-packet', `simple packet block of length ${len} is too short`, offset, len);
      return;
    }
    const le = this.le;
    const origLen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    let capLen = Math.min(origLen, len - 16);
    if (iface.snapLen > 0) capLen = Math.min(capLen, iface.snapLen);
    this.deliver(iface, 0, 0, capLen, origLen, buf, pos + 12, 0, EMPTY, offset);
  }

  /** Obsolete Packet Block (type 2): like an EPB with a 16-bit interface id and a drops count. */
  private obsoletePacket(buf: Buffer, pos: number, len: number, offset: number): void {
    const le = this.le;
    if (len < 32) {
      this.violate('bad-packet', `packet block of length ${len} is too short`, offset, len);
      return;
    }
    const local = le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
    const iface = this.ifaces[local];
    if (iface === undefined) {
      this.violate('unknown-interface', `packet block references interface ${local}, section has ${this.ifaces.length}`, offset, len);
      return;
    }
    const capLen = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    const optStart = pos + 28 + ((capLen + 3) & ~3);
    const optEnd = pos + len - 4;
    if (capLen > len || optStart > optEnd) {
      this.violate('bad-packet', `packet block captured length ${capLen} does not fit its block of ${len} bytes`, offset, len);
      return;
    }
    const high = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    const low = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    splitTimestamp(high, low, iface.tsKind, iface.units, this.ts);
    const origLen = le ? buf.readUInt32LE(pos + 24) : buf.readUInt32BE(pos + 24);
    const options = optEnd > optStart ? buf.subarray(optStart, optEnd) : EMPTY;
    // pack_flags has the same code and meaning as epb_flags.
    const flags = optEnd > optStart ? scanEpbFlags(buf, optStart, optEnd, le) : 0;
    this.deliver(iface, this.ts.us + iface.offsetUs, this.ts.subUsNs, capLen, origLen, buf, pos + 28, flags, options, offset);
  }

  private deliver(
    iface: IfaceState,
    tsUs: number,
    subUsNs: number,
    capLen: number,
    origLen: number,
    buffer: Buffer,
    dataOffset: number,
    flags: number,
    options: Buffer,
    offset: number,
  ): void {
    const rec = this.rec;
    rec.interfaceId = iface.id;
    rec.frameNumber = this.nextFrame++;
    rec.tsUs = tsUs;
    rec.tsSubUsNs = subUsNs;
    rec.capLen = capLen;
    rec.origLen = origLen;
    rec.buffer = buffer;
    rec.dataOffset = dataOffset;
    rec.flags = flags;
    rec.options = options;
    rec.blockOffset = offset;
    rec.byteOrder = this.le ? 'le' : 'be';
    this.packets++;
    this.handler.packet(rec);
  }

  private nrb(buf: Buffer, pos: number, len: number, offset: number): void {
    const le = this.le;
    const end = pos + len - 4;
    const names: NameRecord[] = [];
    let p = pos + 8;
    while (p + 4 <= end) {
      const type = le ? buf.readUInt16LE(p) : buf.readUInt16BE(p);
      const vlen = le ? buf.readUInt16LE(p + 2) : buf.readUInt16BE(p + 2);
      if (type === NrbRecord.END) break;
      const v = p + 4;
      if (v + vlen > end) {
        this.violate('bad-block', 'name resolution record runs past its block', offset);
        break;
      }
      const addrLen = type === NrbRecord.IPV4 ? 4 : type === NrbRecord.IPV6 ? 16 : type === NrbRecord.EUI48 ? 6 : type === NrbRecord.EUI64 ? 8 : -1;
      if (addrLen > 0 && vlen >= addrLen) {
        const addr = buf.subarray(v, v + addrLen);
        const list = buf
          .subarray(v + addrLen, v + vlen)
          .toString('utf8')
          .split('\0')
          .filter((s) => s.length > 0);
        const kind: NameRecord['type'] = type === NrbRecord.IPV4 ? 'ipv4' : type === NrbRecord.IPV6 ? 'ipv6' : type === NrbRecord.EUI48 ? 'eui48' : 'eui64';
        const address = kind === 'ipv4' ? formatIpv4(addr) : kind === 'ipv6' ? formatIpv6(addr) : formatEui(addr);
        names.push({ type: kind, address, names: list });
      }
      p = v + ((vlen + 3) & ~3);
    }
    this.handler.nameResolution?.(names, this.sectionIndex);
  }

  private isb(buf: Buffer, pos: number, len: number, offset: number): void {
    if (len < 24) {
      this.violate('bad-block', `interface statistics block of length ${len} is too short`, offset, len);
      return;
    }
    const le = this.le;
    const local = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    const iface = this.ifaces[local];
    if (iface === undefined) {
      this.violate('unknown-interface', `interface statistics for unknown interface ${local}`, offset, len);
      return;
    }
    const high = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    const low = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    splitTimestamp(high, low, iface.tsKind, iface.units, this.ts);
    const stats: InterfaceStats = { interfaceId: iface.id, tsUs: this.ts.us + iface.offsetUs };
    for (const opt of this.options(buf, pos + 20, pos + len - 4, le ? 'le' : 'be', offset)) {
      if (opt.value.length < 8) continue;
      const n = readU64(opt.value, 0, le);
      if (opt.code === IsbOption.IFRECV) stats.ifRecv = n;
      else if (opt.code === IsbOption.IFDROP) stats.ifDrop = n;
      else if (opt.code === IsbOption.OSDROP) stats.osDrop = n;
      else if (opt.code === IsbOption.FILTERACCEPT) stats.filterAccept = n;
      else if (opt.code === IsbOption.USRDELIV) stats.usrDeliv = n;
    }
    this.handler.stats?.(stats);
  }

  private dsb(buf: Buffer, pos: number, len: number, offset: number): void {
    const le = this.le;
    if (len < 20) {
      this.violate('bad-block', `decryption secrets block of length ${len} is too short`, offset, len);
      return;
    }
    const secretsType = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    const secretsLen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    if (16 + secretsLen + 4 > len) {
      this.violate('bad-block', `decryption secrets length ${secretsLen} exceeds its block of ${len} bytes`, offset, len);
      return;
    }
    this.handler.secrets?.({ secretsType, data: buf.subarray(pos + 16, pos + 16 + secretsLen) }, this.sectionIndex);
  }

  /** Custom Block; `frameNumber` is the frame number tshark gives it (it counts custom blocks as frames). */
  private customBlock(type: number, buf: Buffer, pos: number, len: number, offset: number, frameNumber: number): void {
    if (!this.handler.custom) return;
    const le = this.le;
    const copyable = type === BlockType.CUSTOM_COPY;
    const pen = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
    const end = pos + len - 4;
    if (pen !== REWIND_PEN) {
      // Foreign PEN: we cannot know where its data ends, so hand over everything after the PEN.
      this.handler.custom({ pen, copyable, recordType: -1, payload: buf.subarray(pos + 12, end), sectionIndex: this.sectionIndex, frameNumber, blockOffset: offset });
      return;
    }
    const h = pos + 12;
    if (h + RECORD_HEADER_LEN > end) {
      this.violate('bad-block', 'Rewind custom block too short for its record header', offset, len);
      return;
    }
    const recordType = le ? buf.readUInt16LE(h) : buf.readUInt16BE(h);
    const encoding = le ? buf.readUInt16LE(h + 2) : buf.readUInt16BE(h + 2);
    const payloadLen = le ? buf.readUInt32LE(h + 4) : buf.readUInt32BE(h + 4);
    const p = h + RECORD_HEADER_LEN;
    if (p + payloadLen > end) {
      this.violate('bad-block', `Rewind record type ${recordType}: payload length ${payloadLen} exceeds its block`, offset, len);
      return;
    }
    const payload = buf.subarray(p, p + payloadLen);
    let json: unknown;
    if (encoding === RecordEncoding.JSON) {
      try {
        json = JSON.parse(payload.toString('utf8'));
      } catch {
        this.violate('bad-block', `Rewind record type ${recordType}: JSON payload does not parse`, offset);
      }
    }
    const rec: CustomRecord = { pen, copyable, recordType, payload, sectionIndex: this.sectionIndex, frameNumber, blockOffset: offset };
    if (json !== undefined) rec.json = json;
    this.handler.custom(rec);
  }

  /** Option list of a non-packet block; a malformed list is reported, and its whole options kept. */
  private options(buf: Buffer, start: number, end: number, byteOrder: ByteOrder, offset: number): PcapngOption[] {
    if (end <= start) return [];
    const list = readOptions(buf, start, end, byteOrder);
    if (list.malformed) this.violate('bad-option', 'option list runs past the end of its block', offset);
    return list.options;
  }

  // ---- classic pcap -----------------------------------------------------------------------------------

  private pcapHeader(buf: Buffer, pos: number, offset: number): void {
    const le = this.le;
    const major = le ? buf.readUInt16LE(pos + 4) : buf.readUInt16BE(pos + 4);
    const minor = le ? buf.readUInt16LE(pos + 6) : buf.readUInt16BE(pos + 6);
    const snapLen = le ? buf.readUInt32LE(pos + 16) : buf.readUInt32BE(pos + 16);
    const network = le ? buf.readUInt32LE(pos + 20) : buf.readUInt32BE(pos + 20);
    this.sectionIndex++;
    this.ifaces = [];
    this.skipSection = false;
    this.handler.section?.({ index: this.sectionIndex, byteOrder: le ? 'le' : 'be', pcapngVersion: `${major}.${minor}`, blockOffset: offset });
    const units = this.pcapNano ? 1_000_000_000n : 1_000_000n;
    // thiszone is ignored, as libpcap and Wireshark do: writers always store UTC.
    const info: InterfaceInfo = {
      id: this.nextIfaceId,
      sectionIndex: this.sectionIndex,
      localId: 0,
      // The upper bits of the link-type field carry FCS information.
      linkType: network & 0xffff,
      snapLen,
      tsUnitsPerSec: Number(units),
      tsOffsetSec: 0,
    };
    const state: IfaceState = { id: this.nextIfaceId++, tsKind: tsKindOf(units), units, offsetUs: 0, snapLen, info };
    this.pcapIface = state;
    this.interfaces++;
    this.handler.iface?.(info);
    this.mode = M_PCAP;
  }

  private pcapRecordLenOk(incl: number, offset: number): boolean {
    const snap = this.pcapIface ? this.pcapIface.snapLen : 0;
    if (incl > Math.max(snap, PCAP_MAX_RECORD)) {
      this.halt('bad-block', `pcap record captured length ${incl} exceeds the snap length ${snap} (corrupt record header)`, offset);
      return false;
    }
    return true;
  }

  /** The classic pcap hot loop. */
  private parsePcap(buf: Buffer, start: number, end: number, base: number): number {
    let pos = start;
    const le = this.le;
    const iface = this.pcapIface as IfaceState;
    const nano = this.pcapNano;
    const rec = this.rec;
    const handler = this.handler;
    const byteOrder: ByteOrder = le ? 'le' : 'be';
    while (end - pos >= PCAP_RECORD_HEADER_LEN) {
      const sec = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
      if (isCaptureMagic(sec) && this.startsNewCapture(buf, pos)) {
        this.mode = M_DETECT;
        return pos;
      }
      const incl = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
      if (incl > PCAP_MAX_RECORD && !this.pcapRecordLenOk(incl, base + pos)) return end;
      const next = pos + PCAP_RECORD_HEADER_LEN + incl;
      if (next > end) return pos;
      const frac = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
      if (nano) {
        const q = Math.floor(frac / 1000);
        rec.tsUs = sec * 1e6 + q;
        rec.tsSubUsNs = frac - q * 1000;
      } else {
        rec.tsUs = sec * 1e6 + frac;
        rec.tsSubUsNs = 0;
      }
      rec.interfaceId = iface.id;
      rec.frameNumber = this.nextFrame++;
      rec.capLen = incl;
      rec.origLen = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
      rec.buffer = buf;
      rec.dataOffset = pos + PCAP_RECORD_HEADER_LEN;
      rec.flags = 0;
      rec.options = EMPTY;
      rec.blockOffset = base + pos;
      rec.byteOrder = byteOrder;
      this.packets++;
      handler.packet(rec);
      pos = next;
    }
    return pos;
  }

  /** Whether a pcap record position actually holds the header of a concatenated capture (checked strictly). */
  private startsNewCapture(buf: Buffer, pos: number): boolean {
    const be = buf.readUInt32BE(pos);
    if (!isCaptureMagic(be)) return false;
    if (be === BlockType.SHB) {
      const bom = buf.readUInt32LE(pos + 8);
      return bom === BYTE_ORDER_MAGIC || buf.readUInt32BE(pos + 8) === BYTE_ORDER_MAGIC;
    }
    const le = be === PcapMagic.MICRO_SWAPPED || be === PcapMagic.NANO_SWAPPED;
    return (le ? buf.readUInt16LE(pos + 4) : buf.readUInt16BE(pos + 4)) === 2;
  }

  private isPcapMagicAt(buf: Buffer, pos: number): boolean {
    const be = buf.readUInt32BE(pos);
    return be !== BlockType.SHB && isCaptureMagic(be);
  }

  // ---- detection and failures ---------------------------------------------------------------------------

  /** Reads the magic at pos and switches mode; throws when the very start of the input is not a capture. */
  private detect(buf: Buffer, pos: number, offset: number): void {
    const be = buf.readUInt32BE(pos);
    switch (be) {
      case BlockType.SHB:
        this.mode = M_PCAPNG;
        return;
      case PcapMagic.MICRO:
      case PcapMagic.NANO:
      case PcapMagic.MICRO_SWAPPED:
      case PcapMagic.NANO_SWAPPED:
        this.le = be === PcapMagic.MICRO_SWAPPED || be === PcapMagic.NANO_SWAPPED;
        this.pcapNano = be === PcapMagic.NANO || be === PcapMagic.NANO_SWAPPED;
        if (this.format === undefined) this.format = this.pcapNano ? 'pcap-ns' : 'pcap';
        this.mode = M_PCAP_HEADER;
        return;
      default:
        if (this.sectionIndex < 0) {
          const what = buf.subarray(pos, pos + 4).toString('hex');
          throw new CaptureFormatError(
            `not a capture file: starts with 0x${what}, expected a pcapng section header, a pcap magic or gzip`,
            'not-a-capture',
          );
        }
        this.halt('bad-block', `unrecognised data 0x${be.toString(16)} where a capture header was expected`, offset);
    }
  }

  /** Stops parsing for good (the bytes from `offset` on are lost); the violation is reported by end(). */
  private halt(kind: ReadViolation['kind'], message: string, offset: number): void {
    if (this.stop) return;
    this.stop = { kind, message: `${message}; reading stopped at byte ${offset}`, offset };
    this.mode = M_STOPPED;
    this.carryLen = 0;
  }

  private violate(kind: ReadViolation['kind'], message: string, offset: number, bytesLost?: number): void {
    this.violations++;
    if (!this.handler.violation) return;
    const v: ReadViolation = { kind, message, offset };
    if (bytesLost !== undefined) v.bytesLost = bytesLost;
    this.handler.violation(v);
  }
}

/** Reads a whole in-memory capture (plain or gzip). */
export function readCaptureBuffer(buf: Buffer, handler: CaptureHandler, opts?: CaptureReaderOptions): ReadSummary {
  const reader = new CaptureReader(handler, opts);
  reader.push(buf);
  return reader.end();
}

/**
 * Reads a capture file through a read stream with a large highWaterMark (4 MiB): the stream reads ahead
 * while a chunk is parsed, which measured as fast as parsing from memory (docs/bundle-format.md).
 * I/O errors become CaptureFormatError('io').
 */
export async function readCaptureFile(
  path: string,
  handler: CaptureHandler,
  opts?: CaptureReaderOptions & { chunkSize?: number },
): Promise<ReadSummary> {
  const reader = new CaptureReader(handler, opts);
  const stream = createReadStream(path, { highWaterMark: opts?.chunkSize ?? 4 * 1024 * 1024 });
  try {
    for await (const chunk of stream) reader.push(chunk as Buffer);
  } catch (err) {
    if (err instanceof CaptureFormatError || !(err as NodeJS.ErrnoException).syscall) throw err;
    throw new CaptureFormatError(`cannot read ${path}: ${(err as Error).message}`, 'io');
  }
  return reader.end();
}

/**
 * The record CaptureReader reuses for every packet: `data` is made from buffer/dataOffset/capLen when read (one view
 * per packet saved on paths that decode from the offsets), and stays an own enumerable property so that copies
 * (`{ ...rec }`) carry it.
 */
function newPacketRecord(): PacketRecord {
  const rec = {
    interfaceId: 0, frameNumber: 0, tsUs: 0, tsSubUsNs: 0, capLen: 0, origLen: 0, buffer: EMPTY, dataOffset: 0, flags: 0,
    options: EMPTY, blockOffset: 0, byteOrder: 'le',
  } as Omit<PacketRecord, 'data'> & { buffer: Buffer; dataOffset: number };
  Object.defineProperty(rec, 'data', {
    enumerable: true,
    get(this: typeof rec): Buffer {
      return this.buffer.subarray(this.dataOffset, this.dataOffset + this.capLen);
    },
    set(this: typeof rec, v: Buffer) {
      this.buffer = v;
      this.dataOffset = 0;
      this.capLen = v.length;
    },
  });
  return rec as PacketRecord;
}
