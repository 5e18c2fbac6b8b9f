// Test support: what tshark's RESP dissector ('resp', RESP2 only) sees per direction — top-level values, commands, errors.
import { execFileSync } from 'node:child_process';

export interface TsharkResp {
  /** Top-level values sent to the server (arrays + inline lines, which tshark shows as resp.fragment). */
  requests: number;
  /** Top-level values sent by the server. */
  replies: number;
  /** Command names (first bulk string of each client array), upper-case, in order. */
  commands: string[];
  /** Top-level error strings sent by the server. */
  errors: string[];
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function list(v: Json | undefined): Json[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

function hexText(v: Json | undefined): string {
  if (typeof v !== 'string') return '';
  if (v === '') return '';
  return Buffer.from(v.replace(/:/g, ''), 'hex').toString('latin1');
}

const TOP_KEYS = ['resp.array', 'resp.string', 'resp.error', 'resp.integer', 'resp.bulk_string', 'resp.fragment'];

export function tsharkResp(file: string, serverPorts: number[], decodeAs: string[]): TsharkResp {
  const args = ['-r', file, '-Y', 'resp', '-T', 'json', '--no-duplicate-keys'];
  for (const d of decodeAs) args.push('-d', d);
  const out = execFileSync('tshark', args, { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] }).toString('utf8');
  const packets = JSON.parse(out) as { _source: { layers: Record<string, Json> } }[];
  const res: TsharkResp = { requests: 0, replies: 0, commands: [], errors: [] };
  for (const p of packets) {
    const layers = p._source.layers;
    const tcpLayer = layers.tcp as Record<string, Json>;
    const toServer = serverPorts.includes(Number(tcpLayer['tcp.dstport']));
    for (const resp of list(layers.resp)) {
      if (resp === null || typeof resp !== 'object' || Array.isArray(resp)) continue;
      for (const k of TOP_KEYS) {
        const vals = list(resp[k]);
        if (toServer) res.requests += vals.length;
        else res.replies += vals.length;
        if (toServer && k === 'resp.array') {
          for (const a of vals) {
            if (a === null || typeof a !== 'object' || Array.isArray(a)) continue;
            const first = list(a['resp.bulk_string'])[0];
            if (first !== null && typeof first === 'object' && !Array.isArray(first)) res.commands.push(hexText(first['resp.bulk_string.value']).toUpperCase());
          }
        }
        if (!toServer && k === 'resp.error') for (const e of vals) res.errors.push(String(e));
      }
    }
  }
  return res;
}
