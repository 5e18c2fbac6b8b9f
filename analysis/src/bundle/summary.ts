// Checks the closing-summary digests of a bundle: each section's SHA-256 over its bytes before the summary.

import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { RecordType } from './constants.js';
import { CaptureReader } from './reader.js';
import { REWIND_PEN } from './types.js';

export interface DigestCheck {
  sectionIndex: number;
  /** Byte range [start, end) of the (decompressed) bundle the digest covers. */
  start: number;
  end: number;
  /** Whether the range length matches the summary's `bytes` and the hash its `sha256`. */
  ok: boolean;
  expected: string | null;
  actual: string;
}

/**
 * Verifies every closing summary of an in-memory bundle (plain or gzip). Sections without a summary
 * (cut short) are simply absent from the result. Never throws for damaged input beyond what the reader
 * throws (not a capture, newer major version).
 */
export function verifyBundleDigests(bundle: Buffer): DigestCheck[] {
  const bytes = bundle.length >= 2 && bundle[0] === 0x1f && bundle[1] === 0x8b ? zlib.gunzipSync(bundle, { finishFlush: zlib.constants.Z_SYNC_FLUSH }) : bundle;
  const sectionStart = new Map<number, number>();
  const found: Array<{ sectionIndex: number; start: number; end: number; expectedBytes: unknown; expected: unknown }> = [];
  const reader = new CaptureReader({
    packet: () => undefined,
    section: (s) => sectionStart.set(s.index, s.blockOffset ?? 0),
    custom: (c) => {
      if (c.pen !== REWIND_PEN || c.recordType !== RecordType.CLOSING_SUMMARY || c.blockOffset === undefined) return;
      const json = (c.json ?? {}) as { bytes?: unknown; sha256?: unknown };
      const start = sectionStart.get(c.sectionIndex) ?? 0;
      found.push({ sectionIndex: c.sectionIndex, start, end: c.blockOffset, expectedBytes: json.bytes, expected: json.sha256 });
    },
  });
  reader.push(bytes);
  reader.end();
  return found.map((f) => {
    const actual = createHash('sha256').update(bytes.subarray(f.start, f.end)).digest('hex');
    const expected = typeof f.expected === 'string' ? f.expected : null;
    return { sectionIndex: f.sectionIndex, start: f.start, end: f.end, ok: expected === actual && f.expectedBytes === f.end - f.start, expected, actual };
  });
}
