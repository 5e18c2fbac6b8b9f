// HTTP/1.x detection from the first payload of a direction: a request line with a known method, or a status line.
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';
import { KNOWN_METHODS } from './methods.js';


function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** 'HTTP/d.d' at p. */
function httpVersionAt(b: Buffer, p: number): boolean {
  return (
    p + 8 <= b.length && b[p] === 0x48 && b[p + 1] === 0x54 && b[p + 2] === 0x54 && b[p + 3] === 0x50 &&
    b[p + 4] === 0x2f && isDigit(b[p + 5]) && b[p + 6] === 0x2e && isDigit(b[p + 7])
  );
}

/**
 * True for 'HTTP/d.d ddd' (a status line) or 'METHOD SP target' where METHOD is known and the target looks like one
 * (origin-form '/', '*', absolute-form 'http', or an authority for CONNECT). Either direction: sides may be unknown.
 */
export function detectHttp1(_dir: FlowDirection, b: Buffer, _ctx: ParseContext): boolean {
  if (b.length < 8) return false;
  if (httpVersionAt(b, 0)) {
    return b.length >= 12 && b[8] === 0x20 && isDigit(b[9]) && isDigit(b[10]) && isDigit(b[11]);
  }
  let sp = 0;
  while (sp < b.length && sp < 16 && ((b[sp] >= 0x41 && b[sp] <= 0x5a) || b[sp] === 0x5f || b[sp] === 0x2d)) sp++;
  if (sp < 3 || sp >= b.length || b[sp] !== 0x20) return false;
  const method = b.toString('latin1', 0, sp);
  if (!KNOWN_METHODS.has(method)) return false;
  const t = sp + 1;
  if (t >= b.length) return false;
  const c = b[t];
  if (c !== 0x2f && c !== 0x2a && c !== 0x68 && !(method === 'CONNECT' && c > 0x20 && c < 0x7f)) return false;
  // When the whole line is here, it must end with the version.
  const lf = b.indexOf(10, t);
  if (lf < 0) return true;
  const e = lf > 0 && b[lf - 1] === 13 ? lf - 1 : lf;
  return e - 8 > t && b[e - 9] === 0x20 && httpVersionAt(b, e - 8);
}
