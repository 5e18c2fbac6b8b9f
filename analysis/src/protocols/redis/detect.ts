// Detection heuristic: a client's array of bulk strings ('*N\r\n$') or an inline command starting with a known verb.
import type { FlowDirection } from '../../flows/types.js';
import { KNOWN_VERBS } from './commands.js';

export function detect(dir: FlowDirection, bytes: Buffer): boolean {
  if (dir !== 0 || bytes.length < 4) return false;
  if (bytes[0] === 0x2a /* '*' */) {
    let i = 1;
    while (i < bytes.length && i < 12 && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++;
    if (i === 1 || i + 2 >= bytes.length) return false;
    return bytes[i] === 0x0d && bytes[i + 1] === 0x0a && bytes[i + 2] === 0x24 /* '$' */;
  }
  // Inline: VERB followed by space or line end, the whole first line printable ASCII.
  const limit = Math.min(bytes.length, 1024);
  let nl = -1;
  for (let i = 0; i < limit; i++) {
    const b = bytes[i];
    if (b === 0x0a) {
      nl = i;
      break;
    }
    if ((b < 0x20 || b > 0x7e) && b !== 0x0d && b !== 0x09) return false;
  }
  if (nl < 0) return false;
  const line = bytes.toString('latin1', 0, nl).replace(/\r$/, '');
  // 'GET /x HTTP/1.1' is HTTP, not Redis's inline GET.
  if (/ HTTP\/\d/.test(line)) return false;
  const m = /^([A-Za-z]{2,16})(?:[ \t]|$)/.exec(line);
  return m !== null && KNOWN_VERBS.has(m[1].toUpperCase());
}
