// MQTT detection: the first client packet is a CONNECT naming 'MQTT' (level 4/5) or 'MQIsdp' (level 3).
import type { FlowDirection } from '../../flows/types.js';
import type { ParseContext } from '../types.js';
import { readVarint } from './parse.js';

export function detectMqtt(dir: FlowDirection, bytes: Buffer, _ctx: ParseContext): boolean {
  if (dir !== 0 || bytes.length < 2 || bytes[0] !== 0x10) return false;
  const vi = readVarint(bytes, 1);
  if (typeof vi === 'string' || vi.value < 10) return false;
  const p = 1 + vi.size;
  if (p + 2 > bytes.length) return false;
  const nameLen = bytes.readUInt16BE(p);
  if (p + 2 + nameLen + 1 > bytes.length) return false;
  const name = bytes.toString('latin1', p + 2, p + 2 + nameLen);
  const level = bytes[p + 2 + nameLen] & 0x7f;
  return (name === 'MQTT' && (level === 4 || level === 5)) || (name === 'MQIsdp' && level === 3);
}
