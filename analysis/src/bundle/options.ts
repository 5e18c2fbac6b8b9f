// pcapng option lists: a bounds-checked walker plus lazy decoders for EPB options and custom options.

import { EpbOption, OptionCode } from './constants.js';

export type ByteOrder = 'le' | 'be';

/** One option: `value` is a view into the block (no copy), without padding. */
export interface PcapngOption {
  code: number;
  value: Buffer;
}

/** A custom option (codes 2988, 2989, 19372, 19373): PEN first, then PEN-defined data. */
export interface CustomOption {
  code: number;
  pen: number;
  /** Codes 2988/2989 may be copied by editors, 19372/19373 must not be. */
  copyable: boolean;
  /** Codes 2989/19373 carry binary data, 2988/19372 UTF-8 text. */
  binary: boolean;
  /** The data after the PEN (view). */
  data: Buffer;
}

export interface OptionList {
  options: PcapngOption[];
  /** True when an option ran past the end of the region (the list is cut there). */
  malformed: boolean;
}

/**
 * Walks the option list in buf[start, end). Stops at opt_endofopt or at the end of the region;
 * an option whose length runs past the region marks the list malformed instead of throwing.
 */
export function readOptions(buf: Buffer, start: number, end: number, byteOrder: ByteOrder): OptionList {
  const le = byteOrder === 'le';
  const options: PcapngOption[] = [];
  let pos = start;
  while (pos + 4 <= end) {
    const code = le ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
    const len = le ? buf.readUInt16LE(pos + 2) : buf.readUInt16BE(pos + 2);
    if (code === OptionCode.END) return { options, malformed: false };
    const valueEnd = pos + 4 + len;
    if (valueEnd > end) return { options, malformed: true };
    options.push({ code, value: buf.subarray(pos + 4, valueEnd) });
    pos = pos + 4 + ((len + 3) & ~3);
  }
  // A list may end without opt_endofopt when it fills the region exactly; 1-3 stray bytes are malformed.
  return { options, malformed: pos < end };
}

/** Whether `code` is one of the four custom option codes. */
export function isCustomOptionCode(code: number): boolean {
  return (
    code === OptionCode.CUSTOM_STR_COPY ||
    code === OptionCode.CUSTOM_BIN_COPY ||
    code === OptionCode.CUSTOM_STR_NOCOPY ||
    code === OptionCode.CUSTOM_BIN_NOCOPY
  );
}

/** Decodes a custom option value (PEN + data); undefined when the value is too short to hold a PEN. */
export function toCustomOption(opt: PcapngOption, byteOrder: ByteOrder): CustomOption | undefined {
  if (!isCustomOptionCode(opt.code) || opt.value.length < 4) return undefined;
  const pen = byteOrder === 'le' ? opt.value.readUInt32LE(0) : opt.value.readUInt32BE(0);
  return {
    code: opt.code,
    pen,
    copyable: opt.code === OptionCode.CUSTOM_STR_COPY || opt.code === OptionCode.CUSTOM_BIN_COPY,
    binary: opt.code === OptionCode.CUSTOM_BIN_COPY || opt.code === OptionCode.CUSTOM_BIN_NOCOPY,
    data: opt.value.subarray(4),
  };
}

/** Decoded EPB options; absent options are absent (or empty lists). */
export interface EpbOptions {
  comments: string[];
  /** epb_flags (direction bits 0-1, reception type bits 2-4, FCS length 5-8, link-layer errors 16-31). */
  flags?: number;
  /** epb_hash values (first byte = algorithm), views. */
  hashes: Buffer[];
  dropCount?: bigint;
  packetId?: bigint;
  queue?: number;
  /** epb_verdict values (first byte = verdict type), views. */
  verdicts: Buffer[];
  custom: CustomOption[];
  /** Options the decoder does not know, in order. */
  other: PcapngOption[];
  malformed: boolean;
}

/** Decodes the raw options region of an EPB (`PacketRecord.options`); values are views into it. */
export function parseEpbOptions(view: Buffer, byteOrder: ByteOrder): EpbOptions {
  const le = byteOrder === 'le';
  const list = readOptions(view, 0, view.length, byteOrder);
  const out: EpbOptions = { comments: [], hashes: [], verdicts: [], custom: [], other: [], malformed: list.malformed };
  for (const opt of list.options) {
    const v = opt.value;
    switch (opt.code) {
      case OptionCode.COMMENT:
        out.comments.push(v.toString('utf8'));
        break;
      case EpbOption.FLAGS:
        if (v.length >= 4) out.flags = le ? v.readUInt32LE(0) : v.readUInt32BE(0);
        else out.malformed = true;
        break;
      case EpbOption.HASH:
        out.hashes.push(v);
        break;
      case EpbOption.DROPCOUNT:
        if (v.length >= 8) out.dropCount = le ? v.readBigUInt64LE(0) : v.readBigUInt64BE(0);
        else out.malformed = true;
        break;
      case EpbOption.PACKETID:
        if (v.length >= 8) out.packetId = le ? v.readBigUInt64LE(0) : v.readBigUInt64BE(0);
        else out.malformed = true;
        break;
      case EpbOption.QUEUE:
        if (v.length >= 4) out.queue = le ? v.readUInt32LE(0) : v.readUInt32BE(0);
        else out.malformed = true;
        break;
      case EpbOption.VERDICT:
        out.verdicts.push(v);
        break;
      default: {
        const custom = toCustomOption(opt, byteOrder);
        if (custom) out.custom.push(custom);
        else out.other.push(opt);
      }
    }
  }
  return out;
}

/**
 * Fast scan for epb_flags without allocating: the reader calls it for every EPB that has options,
 * so it must stay allocation-free. Returns 0 when absent or malformed.
 */
export function scanEpbFlags(buf: Buffer, start: number, end: number, le: boolean): number {
  let pos = start;
  while (pos + 4 <= end) {
    const code = le ? buf.readUInt16LE(pos) : buf.readUInt16BE(pos);
    if (code === OptionCode.END) return 0;
    const len = le ? buf.readUInt16LE(pos + 2) : buf.readUInt16BE(pos + 2);
    if (code === EpbOption.FLAGS && len >= 4 && pos + 8 <= end) {
      return le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
    }
    pos += 4 + ((len + 3) & ~3);
  }
  return 0;
}

/** Packet direction encoded in bits 0-1 of epb_flags. */
export function epbDirection(flags: number): 'unknown' | 'inbound' | 'outbound' | 'invalid' {
  switch (flags & 3) {
    case 1:
      return 'inbound';
    case 2:
      return 'outbound';
    case 3:
      return 'invalid';
    default:
      return 'unknown';
  }
}

/** Reads an unsigned 64-bit field as a number (exact below 2^53, which covers counters and timestamps). */
export function readU64(buf: Buffer, off: number, le: boolean): number {
  const hi = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off);
  const lo = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off + 4);
  return hi * 4294967296 + lo;
}

/** Reads a signed 64-bit field as a number (exact within ±2^53). */
export function readI64(buf: Buffer, off: number, le: boolean): number {
  const hi = le ? buf.readInt32LE(off + 4) : buf.readInt32BE(off);
  const lo = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off + 4);
  return hi * 4294967296 + lo;
}
