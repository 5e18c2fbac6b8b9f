// A message's bytes as text (printable ASCII, the rest as ·) or as a hex dump (offset, 16 bytes, ASCII).
import { useMemo, useState } from 'react';
import type { MessageBytes } from '../../common/api';

function decode(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

export function hexDump(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let o = 0; o < bytes.length; o += 16) {
    const row = bytes.subarray(o, o + 16);
    const hex = Array.from(row, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(row, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·')).join('');
    lines.push(`${o.toString(16).padStart(6, '0')}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join('\n');
}

export function asText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b === 0x0a || b === 0x09 ? String.fromCharCode(b) : b === 0x0d ? '' : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '·';
  return s;
}

export function Payload({ title, msg, testId }: { title: string; msg: MessageBytes | null; testId: string }) {
  const [hex, setHex] = useState(false);
  const bytes = useMemo(() => (msg ? decode(msg.base64) : new Uint8Array()), [msg]);
  if (!msg) return null;
  return (
    <div className="payload" data-testid={testId}>
      <div className="payload-head">
        <h4>{title}</h4>
        <span className="muted">
          {msg.length.toLocaleString('en-US')} bytes{msg.captured < msg.length ? `, first ${msg.captured.toLocaleString('en-US')} shown` : ''}
          {msg.missing > 0 ? `, ${msg.missing.toLocaleString('en-US')} not in the capture` : ''}
        </span>
        <button type="button" className={hex ? '' : 'on'} onClick={() => setHex(false)}>Text</button>
        <button type="button" className={hex ? 'on' : ''} onClick={() => setHex(true)} data-testid={`${testId}-hex`}>Hex</button>
      </div>
      <pre>{hex ? hexDump(bytes) : asText(bytes)}</pre>
    </div>
  );
}
