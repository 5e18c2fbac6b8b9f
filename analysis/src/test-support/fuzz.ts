// Capture fuzzing: seed captures (every decoder fixture, TCP conversations, all bundle record kinds, pcap variants,
// small corpus files) mutated deterministically and pushed through the real ingest path into SQLite.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { BundleWriter } from '../bundle/writer.js';
import { fixtures } from '../decode/test-support/fixtures.js';
import { eth, ipv4, tcp, udp } from '../decode/test-support/frames.js';
import { writePcap } from '../decode/test-support/capture-file.js';
import { ingestCapture } from '../pipeline/import.js';
import { openStore } from '../store/store.js';
import type { Store } from '../store/store.js';
import { corpusDir } from './corpus.js';
import { prng } from './prng.js';


function conversation(): Buffer[] {
  const c = '10.1.0.1';
  const s = '10.1.0.2';
  const req = Buffer.from('GET /x HTTP/1.1\r\nHost: s\r\n\r\n');
  const resp = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  const seg = (src: string, dst: string, sp: number, dp: number, seq: number, ack: number, flags: number, data?: Buffer): Buffer =>
    eth(0x0800, ipv4({ src, dst, proto: 6 }, tcp({ sp, dp, seq, ack, flags }, data)));
  return [
    seg(c, s, 40000, 80, 100, 0, 0x02),
    seg(s, c, 80, 40000, 900, 101, 0x12),
    seg(c, s, 40000, 80, 101, 901, 0x10),
    seg(c, s, 40000, 80, 101, 901, 0x18, req),
    seg(s, c, 80, 40000, 901, 101 + req.length, 0x18, resp),
    seg(c, s, 40000, 80, 101 + req.length, 901 + resp.length, 0x11),
    seg(s, c, 80, 40000, 901 + resp.length, 102 + req.length, 0x11),
    seg(c, s, 40000, 80, 102 + req.length, 902 + resp.length, 0x10),
    eth(0x0800, ipv4({ src: c, dst: s, proto: 17 }, udp(5353, 53, Buffer.from('query')))),
    eth(0x0800, ipv4({ src: c, dst: s, proto: 6, frag: 0x2000, id: 7 }, tcp({ sp: 1, dp: 2 }, Buffer.alloc(16, 1)))),
    eth(0x0800, ipv4({ src: c, dst: s, proto: 6, frag: 0x0005, id: 7 }, Buffer.alloc(8, 2))),
  ];
}

function bundleSeed(byteOrder: 'le' | 'be'): Buffer {
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), { byteOrder, host: 'fuzz-host', userAppl: 'rewind-fuzz', config: { duration: 1 } });
  const byLink = new Map<number, number>();
  let t = 1_700_000_000_000_000;
  const ethIf = w.addInterface({ linkType: 1, name: 'eth0', observationPoint: { tapSide: 'c-nd', host: 'fuzz-host' } });
  byLink.set(1, ethIf);
  for (const f of conversation()) w.writePacket(ethIf, (t += 1000), f);
  for (const fx of fixtures) {
    let id = byLink.get(fx.linkType);
    if (id === undefined) {
      id = w.addInterface({ linkType: fx.linkType, name: `link${fx.linkType}`, tsResol: 6 });
      byLink.set(fx.linkType, id);
    }
    w.writePacket(id, (t += 1000), fx.frame);
  }
  const pdu = w.addInterface({ linkType: 252, name: 'ebpf' });
  w.writeExportedPdu(pdu, (t += 1000), { proto: 'http', ipVersion: 4, src: '10.1.0.1', dst: '10.1.0.2', srcPort: 40000, dstPort: 80, portType: 2 }, Buffer.from('GET / HTTP/1.1\r\n\r\n'));
  w.writeNameResolution([{ type: 'ipv4', address: '10.1.0.2', names: ['server'] }]);
  w.writeInterfaceStats(ethIf, t, { ifRecv: 10, ifDrop: 1 });
  w.writeTlsKeyLog('CLIENT_RANDOM 00 11\n');
  w.writeRecord(2, { processes: [{ pid: 1, comm: 'init' }] });
  w.writeSummary();
  return Buffer.concat(parts);
}

/** Seed captures, each a whole valid file. */
export function seedCaptures(): { name: string; bytes: Buffer }[] {
  const le = bundleSeed('le');
  const be = bundleSeed('be');
  const conv = conversation();
  const pcap = writePcap(1, conv);
  const seeds = [
    { name: 'bundle-le', bytes: le },
    { name: 'bundle-be', bytes: be },
    { name: 'bundle-le+be', bytes: Buffer.concat([le, be]) },
    { name: 'bundle-gz', bytes: gzipSync(le) },
    { name: 'pcap-us-le', bytes: pcap },
    { name: 'pcap-gz', bytes: gzipSync(pcap) },
    { name: 'pcap-raw', bytes: writePcap(101, conv.map((f) => f.subarray(14))) },
  ];
  // A handful of small real captures, when the corpus is there (link types and oddities we did not think of).
  for (const f of ['zeek/testing/btest/Traces/tunnels/gre-erspan3-dot1q.pcap', 'zeek/testing/btest/Traces/linux_dlt_sll2.pcap',
    'zeek/testing/btest/Traces/redis/set.pcap', 'zeek/testing/btest/Traces/pcapng-multi-interface.pcapng',
    'zeek/testing/btest/Traces/ipv6-fragmented-dns.pcap', 'deepflow/agent/resources/test/flow_generator/kafka/01-fetch-v12-unknown.pcap']) {
    const p = path.join(corpusDir, f);
    if (existsSync(p)) seeds.push({ name: path.basename(f), bytes: readFileSync(p) });
  }
  return seeds;
}

const INTERESTING32 = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x0a0d0d0a, 0x1a2b3c4d, 12, 28, 0xfffffff0, 65535, 65536];

/** Applies 1–3 random mutations. */
export function mutate(input: Buffer, rnd: () => number, other: Buffer): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(rnd() * 3);
  const at = (len: number): number => Math.floor(rnd() * Math.max(1, len));
  for (let i = 0; i < n; i++) {
    switch (Math.floor(rnd() * 10)) {
      case 0: { // bit flips
        const k = 1 + Math.floor(rnd() * 8);
        for (let j = 0; j < k && b.length; j++) b[at(b.length)] ^= 1 << Math.floor(rnd() * 8);
        break;
      }
      case 1: // byte set
        if (b.length) b[at(b.length)] = [0, 0xff, 0x7f, 0x80][Math.floor(rnd() * 4)];
        break;
      case 2: // truncate
        b = b.subarray(0, at(b.length));
        break;
      case 3: { // insert random bytes
        const p = at(b.length);
        const ins = Buffer.alloc(1 + Math.floor(rnd() * 32));
        for (let j = 0; j < ins.length; j++) ins[j] = Math.floor(rnd() * 256);
        b = Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
        break;
      }
      case 4: { // delete a range
        const p = at(b.length);
        b = Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + Math.floor(rnd() * 64))]);
        break;
      }
      case 5: { // duplicate a range
        const p = at(b.length);
        const q = Math.min(b.length, p + 1 + Math.floor(rnd() * 256));
        b = Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)]);
        break;
      }
      case 6: // interesting 32-bit value at an aligned offset (block lengths, option lengths, counts)
        if (b.length >= 4) {
          const p = at(b.length >> 2) << 2;
          if (p + 4 <= b.length) b.writeUInt32LE(INTERESTING32[Math.floor(rnd() * INTERESTING32.length)], p);
        }
        break;
      case 7: // interesting 16-bit value anywhere (IP lengths, ports, header lengths)
        if (b.length >= 2) b.writeUInt16BE([0, 1, 0xffff, 20, 40, 5, 0x45, 0x8100][Math.floor(rnd() * 8)], at(b.length - 1));
        break;
      case 8: { // splice with another seed
        b = Buffer.concat([b.subarray(0, at(b.length)), other.subarray(at(other.length))]);
        break;
      }
      default: { // random garbage after a plausible magic
        const g = Buffer.alloc(Math.floor(rnd() * 512));
        for (let j = 0; j < g.length; j++) g[j] = Math.floor(rnd() * 256);
        b = rnd() < 0.5 ? Buffer.concat([b.subarray(0, 4 + at(64)), g]) : g;
      }
    }
  }
  return b;
}

export interface FuzzReport {
  cases: number;
  statuses: Record<string, number>;
  packets: number;
  flows: number;
  violations: number;
  slowestMs: number;
  failures: string[];
}

/**
 * A hang inside one synchronous ingest cannot be interrupted by the test runner's timeout, so a watchdog thread
 * watches a heartbeat and, when a case makes no progress for `stallMs`, prints the case and kills the process
 * (the runner then fails the run instead of waiting for CI's time limit).
 */
function startWatchdog(stallMs: number): { beat: (caseNo: number, seed: number) => void; stop: () => void } {
  const shared = new Int32Array(new SharedArrayBuffer(12));
  const code = `
    const { workerData } = require('node:worker_threads');
    const s = new Int32Array(workerData.buf);
    let last = -1, since = Date.now();
    const t = setInterval(() => {
      if (Atomics.load(s, 2) === 1) { clearInterval(t); return; }
      const c = Atomics.load(s, 0);
      if (c !== last) { last = c; since = Date.now(); return; }
      if (Date.now() - since > workerData.stallMs) {
        process.stderr.write('fuzz watchdog: case ' + c + ' (seed ' + Atomics.load(s, 1) + ') made no progress for ' +
          workerData.stallMs + ' ms: hang; reproduce with REWIND_FUZZ_DUMP=' + c + '\\n');
        process.kill(process.pid, 'SIGKILL');
      }
    }, 500);`;
  const w = new Worker(code, { eval: true, workerData: { buf: shared.buffer, stallMs } });
  w.unref();
  return {
    beat: (caseNo, seed) => {
      Atomics.store(shared, 0, caseNo);
      Atomics.store(shared, 1, seed);
    },
    stop: () => {
      Atomics.store(shared, 2, 1);
      void w.terminate();
    },
  };
}

/** Ingests `cases` mutated captures; returns what happened. Every case must end as ok/partial/failed with exact accounting. */
export async function runFuzz(seed: number, cases: number): Promise<FuzzReport> {
  const rnd = prng(seed);
  const seeds = seedCaptures();
  const report: FuzzReport = { cases, statuses: {}, packets: 0, flows: 0, violations: 0, slowestMs: 0, failures: [] };
  let store: Store = openStore(':memory:');
  const watchdog = startWatchdog(20_000);
  for (let i = 0; i < cases; i++) {
    watchdog.beat(i, seed);
    if (i > 0 && i % 5000 === 0) {
      store.close();
      store = openStore(':memory:');
    }
    const base = seeds[Math.floor(rnd() * seeds.length)].bytes;
    const other = seeds[Math.floor(rnd() * seeds.length)].bytes;
    const bytes = mutate(base, rnd, other);
    // Split into 1–4 chunks at random points: chunk boundaries must not matter.
    const chunks: Buffer[] = [];
    let rest = bytes;
    const pieces = 1 + Math.floor(rnd() * 4);
    for (let k = 1; k < pieces && rest.length > 1; k++) {
      const cut = 1 + Math.floor(rnd() * (rest.length - 1));
      chunks.push(rest.subarray(0, cut));
      rest = rest.subarray(cut);
    }
    chunks.push(rest);
    if (process.env.REWIND_FUZZ_DUMP && Number(process.env.REWIND_FUZZ_DUMP) === i) writeFileSync(`/tmp/fuzz-case-${seed}-${i}.bin`, bytes);
    const t0 = performance.now();
    try {
      const r = await ingestCapture(store, { path: `fuzz-${seed}-${i}`, name: `fuzz-${i}`, size: bytes.length, chunks });
      const ms = performance.now() - t0;
      if (ms > report.slowestMs) report.slowestMs = ms;
      report.statuses[r.status] = (report.statuses[r.status] ?? 0) + 1;
      report.packets += r.packets;
      report.flows += r.flows;
      report.violations += r.violations;
      const recorded = store.db.prepare('SELECT coalesce(sum(count), 0) AS n, coalesce(sum(CASE WHEN kind = ? THEN bytes_lost END), 0) AS lost FROM ingest_violations WHERE bundle_id = ?')
        .get('truncated-tail', r.bundleId) as { n: number; lost: number };
      if (recorded.n !== r.violations) report.failures.push(`case ${i}: ${r.violations} violations counted, ${recorded.n} recorded`);
      if (r.truncatedTailBytes > 0 && recorded.lost !== r.truncatedTailBytes) {
        report.failures.push(`case ${i}: truncated tail of ${r.truncatedTailBytes} bytes recorded as ${recorded.lost}`);
      }
      if (r.status === 'failed' && !r.error) report.failures.push(`case ${i}: failed without a reason`);
      if (r.status === 'ok' && r.violations > 0) report.failures.push(`case ${i}: ok despite ${r.violations} violations`);
      if (ms > 2000) report.failures.push(`case ${i}: took ${ms.toFixed(0)} ms (hang?)`);
    } catch (err) {
      report.failures.push(`case ${i} (seed ${seed}, ${bytes.length} bytes, hex head ${bytes.subarray(0, 32).toString('hex')}): threw ${err instanceof Error ? err.stack : String(err)}`);
    }
    if (report.failures.length > 20) break;
  }
  watchdog.stop();
  store.close();
  return report;
}
