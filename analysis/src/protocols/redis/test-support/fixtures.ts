// Test support: RESP2/RESP3 fixtures shared by the unit and fuzz tests (tshark's decodes are noted in redis.test.ts).
import type { FlowDirection } from '../../../flows/types.js';
import { b } from './pcap.js';

export interface Fixture {
  name: string;
  dir: FlowDirection;
  bytes: Buffer;
}

export const fixtures: Fixture[] = [
  { name: 'set', dir: 0, bytes: b('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$12\r\nhello world!\r\n') },
  { name: 'get', dir: 0, bytes: b('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n') },
  { name: 'inline-ping', dir: 0, bytes: b('PING\r\n') },
  { name: 'inline-quoted', dir: 0, bytes: b('SET k "a b"\r\n') },
  { name: 'config-get', dir: 0, bytes: b('*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$10\r\nmaxclients\r\n') },
  { name: 'auth', dir: 0, bytes: b('*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n') },
  { name: 'subscribe', dir: 0, bytes: b('*3\r\n$9\r\nSUBSCRIBE\r\n$3\r\nfoo\r\n$3\r\nbar\r\n') },
  { name: 'simple', dir: 1, bytes: b('+OK\r\n') },
  { name: 'error', dir: 1, bytes: b("-ERR unknown command 'FOO'\r\n") },
  { name: 'integer', dir: 1, bytes: b(':5\r\n') },
  { name: 'bulk', dir: 1, bytes: b('$12\r\nhello world!\r\n') },
  { name: 'nil-bulk', dir: 1, bytes: b('$-1\r\n') },
  { name: 'array', dir: 1, bytes: b('*2\r\n$1\r\na\r\n:1\r\n') },
  { name: 'nil-array', dir: 1, bytes: b('*-1\r\n') },
  { name: 'resp3-null', dir: 1, bytes: b('_\r\n') },
  { name: 'resp3-double', dir: 1, bytes: b(',3.14\r\n') },
  { name: 'resp3-boolean', dir: 1, bytes: b('#t\r\n') },
  { name: 'resp3-big-number', dir: 1, bytes: b('(12345678901234567890\r\n') },
  { name: 'resp3-blob-error', dir: 1, bytes: b('!21\r\nSYNTAX invalid syntax\r\n') },
  { name: 'resp3-verbatim', dir: 1, bytes: b('=15\r\ntxt:Some string\r\n') },
  { name: 'resp3-map', dir: 1, bytes: b('%1\r\n+key\r\n:1\r\n') },
  { name: 'resp3-set', dir: 1, bytes: b('~2\r\n+a\r\n+b\r\n') },
  { name: 'resp3-push', dir: 1, bytes: b('>3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nbar\r\n') },
  { name: 'resp3-attribute', dir: 1, bytes: b('|1\r\n+ttl\r\n:3600\r\n$2\r\nhi\r\n') },
  { name: 'resp2-message', dir: 1, bytes: b('*3\r\n$7\r\nmessage\r\n$3\r\nfoo\r\n$3\r\nbar\r\n') },
  { name: 'nested', dir: 1, bytes: b('*2\r\n*2\r\n:1\r\n:2\r\n$3\r\nabc\r\n') },
];
