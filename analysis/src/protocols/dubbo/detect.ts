// Dubbo detection: a message starts with magic 0xdabb and a sane flag byte.
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';

export function detectDubbo(_dir: FlowDirection, bytes: Buffer, _ctx: ParseContext): boolean {
  if (bytes.length < 16 || bytes[0] !== 0xda || bytes[1] !== 0xbb) return false;
  // Serialization ids in use are 2..22 (hessian2, java, compactedjava, fastjson, nativejava, kryo, fst, ...).
  const ser = bytes[2] & 0x1f;
  return ser >= 2;
}
