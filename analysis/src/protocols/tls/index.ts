// TLS metadata parser entry point (ClientHello / ServerHello / alerts; no decryption).
import type { ProtocolParser } from '../types.js';
import { detectTls } from './detect.js';
import { type TlsState, newState, parseTls } from './parse.js';
import { stitchTls } from './stitch.js';

export type { TlsState } from './parse.js';

export const parser: ProtocolParser<TlsState> = {
  name: 'TLS',
  transports: ['tcp'],
  defaultPorts: [443, 8443, 993, 995, 465, 636, 853, 5061, 6443],
  detect: detectTls,
  newState,
  parse: parseTls,
  stitch: stitchTls,
};
