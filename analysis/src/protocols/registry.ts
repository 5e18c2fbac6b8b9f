// The one list of L7 protocol parsers the engine uses (a test checks every protocols/<p>/ folder is listed here).
import { parser as dns } from './dns/index.js';
import { parser as dubbo } from './dubbo/index.js';
import { parser as http1 } from './http1/index.js';
import { parser as http2 } from './http2/index.js';
import { parser as kafka } from './kafka/index.js';
import { parser as mqtt } from './mqtt/index.js';
import { parser as mysql } from './mysql/index.js';
import { parser as postgresql } from './postgresql/index.js';
import { parser as redis } from './redis/index.js';
import { parser as tls } from './tls/index.js';
import type { ProtocolParser } from './types.js';

/** Order matters for heuristic detection: the first parser whose detect() agrees wins. */
export const PROTOCOL_PARSERS: readonly ProtocolParser[] = [http1, tls, mysql, postgresql, redis, mqtt, kafka, dubbo, dns, http2] as readonly ProtocolParser[];

/** Folders under protocols/ that are not protocols. */
export const NON_PROTOCOL_FOLDERS = ['common'];
