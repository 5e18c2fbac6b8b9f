#!/usr/bin/env node
// Import benchmark: `rewind import` against `tshark -q -z conv,tcp` on the same synthetic HTTP/1.1 capture.
//
//   node bench/import-bench.mjs [--quick] [--no-bar] [--tshark-only] [--packets N] [--format pcap|pcapng] [--no-results]
//
// 1. Generates bench/out/http-<N>.<fmt> and a half-size one with gen-http-capture.mjs (reused while the
//    generator and the arguments are unchanged).
// 2. For each file, in this order and in the same run: times `tshark -q -z conv,tcp -r FILE`, then
//    `node analysis/bin/rewind.js import FILE --db DB` (wall time and peak RSS via /usr/bin/time, or by
//    polling /proc/PID/status VmHWM when /usr/bin/time is missing).
// 3. Cross-checks: tshark's TCP conversation count and total frames against the generator's numbers, and
//    the imported l4_flow_log (count(*), sum(packet_tx+packet_rx)) against tshark's table.
// 4. Prints a table and the ratio tshark_time / rewind_time; the bar (full run): ratio ≥ 5, rewind peak RSS
//    < 400 MB on both files, and RSS independent of file size (full ≤ 1.25 × half); then the full import with L7
//    (flows + L7 + rollups) against `tshark -Y http.response -T fields …`, best of 3 alternating pairs: ratio ≥ 10
//    (issue 3), and the same number of HTTP responses. Exit 1 when the bar or
//    a cross-check fails (the bar is skipped with --no-bar; --quick only reports the ratio, since process
//    start-up dominates at 100k packets), exit 2 when the rewind CLI is not built.
// 5. Full runs rewrite the "latest" section of bench/RESULTS.md and add a row to its history.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const OUT_DIR = join(BENCH_DIR, 'out');
const GENERATOR = join(BENCH_DIR, 'gen-http-capture.mjs');
// REWIND_BENCH_CLI replaces the CLI (a stand-in script, to exercise this harness); the dist check is skipped then.
const REWIND_BIN = process.env.REWIND_BENCH_CLI || join(ROOT, 'analysis', 'bin', 'rewind.js');
const REWIND_DIST = join(ROOT, 'analysis', 'dist', 'cli', 'main.js');
const RESULTS = join(BENCH_DIR, 'RESULTS.md');
const GNU_TIME = '/usr/bin/time';

const BAR_RATIO = 5;
/** A ratio with two decimals, rounded down: 9.9967 must not print as the bar it misses (10.00). */
const ratioText = (x) => (Math.floor(x * 100) / 100).toFixed(2);
const BAR_RSS_MB = 400;
const BAR_RSS_GROWTH = 1.25; // full-size peak RSS ≤ this × half-size peak RSS
const BAR_L7_RATIO = 10; // issue 3: full ingest with L7 vs tshark -Y http.response, best of 3 each
const FULL_PACKETS = 1_050_000;
const QUICK_PACKETS = 100_000;

const rel = (p) => relative(process.cwd(), p) || '.';
const mb = (bytes) => bytes / 1e6;
const log = (s = '') => process.stdout.write(`${s}\n`);

function parseArgs(argv) {
  const a = { quick: false, bar: true, tsharkOnly: false, packets: 0, format: 'pcap', results: true };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--quick') a.quick = true;
    else if (x === '--no-bar') a.bar = false;
    else if (x === '--tshark-only') a.tsharkOnly = true;
    else if (x === '--no-results') a.results = false;
    else if (x === '--packets') a.packets = Number(String(argv[++i]).replace(/_/g, ''));
    else if (x === '--format') a.format = argv[++i];
    else if (x === '-h' || x === '--help') {
      log('usage: node bench/import-bench.mjs [--quick] [--no-bar] [--tshark-only] [--packets N] [--format pcap|pcapng] [--no-results]');
      process.exit(0);
    } else {
      process.stderr.write(`import-bench: unknown argument ${x}\n`);
      process.exit(2);
    }
  }
  if (!a.packets) a.packets = a.quick ? QUICK_PACKETS : FULL_PACKETS;
  if (!Number.isInteger(a.packets) || a.packets < 1000) throw new Error('--packets must be an integer ≥ 1000');
  if (a.format !== 'pcap' && a.format !== 'pcapng') throw new Error('--format must be pcap or pcapng');
  return a;
}

// ---------------------------------------------------------------- processes

/**
 * Runs cmd args; resolves { code, wallS, rssMB, stdout, stderr, how }. Peak RSS via GNU time's %M,
 * else by polling VmHWM (which can miss growth in the last poll interval).
 */
function measure(cmd, args, { cwd = ROOT } = {}) {
  const useTime = existsSync(GNU_TIME);
  const timeOut = join(tmpdir(), `rewind-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const argv = useTime ? [GNU_TIME, '-o', timeOut, '-f', '%M %e', cmd, ...args] : [cmd, ...args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [], err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    let hwmKB = 0;
    let poll = null;
    if (!useTime) {
      const read = () => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) hwmKB = Math.max(hwmKB, Number(m[1]));
        } catch { /* exited */ }
      };
      read();
      poll = setInterval(read, 10);
    }
    child.on('error', (e) => { if (poll) clearInterval(poll); reject(e); });
    child.on('close', (code) => {
      const wallS = (performance.now() - t0) / 1000;
      if (poll) clearInterval(poll);
      let rssKB = hwmKB;
      let how = 'VmHWM polling';
      if (useTime) {
        how = '/usr/bin/time %M';
        try {
          // GNU time prints "Command exited with non-zero status N" before the format line on failure
          const lines = readFileSync(timeOut, 'utf8').trim().split('\n');
          rssKB = Number(lines[lines.length - 1].split(' ')[0]);
          rmSync(timeOut, { force: true });
        } catch { rssKB = NaN; }
      }
      resolve({ code, wallS, rssMB: (rssKB * 1024) / 1e6, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), how });
    });
  });
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'n/a';
  return (r.stdout || r.stderr).split('\n')[0].trim();
}

// ---------------------------------------------------------------- captures

function sha256File(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Generates (or reuses) the capture; returns the generator's stats. */
function ensureCapture(packets, format) {
  const file = join(OUT_DIR, `http-${packets}.${format}`);
  const metaFile = `${file}.json`;
  const generatorHash = sha256File(GENERATOR);
  if (existsSync(file) && existsSync(metaFile)) {
    try {
      const meta = JSON.parse(readFileSync(metaFile, 'utf8'));
      if (meta.generatorHash === generatorHash && meta.stats.targetPackets === packets && meta.stats.format === format
        && statSync(file).size === meta.stats.bytes) {
        log(`capture ${rel(file)}: up to date (${meta.stats.packets} packets, ${mb(meta.stats.bytes).toFixed(1)} MB, sha256 ${meta.stats.sha256})`);
        return { file, ...meta.stats, generated: false };
      }
    } catch { /* regenerate */ }
  }
  log(`capture ${rel(file)}: generating ${packets} packets ...`);
  const r = spawnSync(process.execPath, [GENERATOR, '--out', file, '--packets', String(packets), '--format', format, '--json'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`generator failed: ${r.stderr || r.error}`);
  const stats = JSON.parse(r.stdout.trim().split('\n').pop());
  writeFileSync(metaFile, `${JSON.stringify({ generatorHash, stats }, null, 2)}\n`);
  log(`  ${stats.packets} packets, ${mb(stats.bytes).toFixed(1)} MB, ${stats.connections} connections, ${stats.requests} requests, in ${stats.seconds} s, sha256 ${stats.sha256}`);
  return { file, ...stats, generated: true };
}

/** Reads the file once so that neither contender pays for the cold page cache. */
function warm(file) {
  return new Promise((resolve, reject) => {
    const s = createReadStream(file, { highWaterMark: 8 << 20 });
    s.on('data', () => {});
    s.on('end', resolve);
    s.on('error', reject);
  });
}

// ---------------------------------------------------------------- tshark conv,tcp

/** Parses `tshark -q -z conv,tcp`: { conversations, frames }. */
export function parseConvTcp(text) {
  let conversations = 0, frames = 0;
  let inTable = false;
  for (const line of text.split('\n')) {
    if (!inTable) {
      if (/^TCP Conversations/.test(line)) inTable = true;
      continue;
    }
    const i = line.indexOf('<->');
    if (i < 0) continue;
    // peer, frames, bytes value, unit (B → A), frames, bytes, unit (A → B), total frames, bytes, unit, start, duration
    const t = line.slice(i + 3).trim().split(/\s+/);
    if (t.length < 10) throw new Error(`unexpected conv,tcp line: ${line}`);
    const fBA = Number(t[1]), fAB = Number(t[4]), total = Number(t[7]);
    if (!Number.isInteger(total) || total !== fBA + fAB) throw new Error(`unexpected conv,tcp line: ${line}`);
    conversations++;
    frames += total;
  }
  if (!inTable) throw new Error('no "TCP Conversations" table in the tshark output');
  return { conversations, frames };
}

// ---------------------------------------------------------------- rewind

class RewindNotBuilt extends Error {}

function rewindAvailable() {
  return existsSync(REWIND_BIN) && (!!process.env.REWIND_BENCH_CLI || existsSync(REWIND_DIST));
}

/** Finds { n, p } in the JSON printed by `rewind query --format json`, whatever its envelope. */
export function extractCounts(json) {
  const seen = [];
  const walk = (v, cols) => {
    if (Array.isArray(v)) {
      if (cols && v.length === cols.length && v.every((x) => typeof x === 'number' || x === null || (typeof x === 'string' && x !== '' && !Number.isNaN(Number(x))))) {
        const n = v[cols.indexOf('n')], p = v[cols.indexOf('p')];
        if (n !== undefined && p !== undefined) seen.push({ n, p });
        return;
      }
      for (const x of v) walk(x, cols);
    } else if (v && typeof v === 'object') {
      if ('n' in v && 'p' in v) { seen.push({ n: v.n, p: v.p }); return; }
      const columns = Array.isArray(v.columns) ? v.columns.map((c) => (typeof c === 'string' ? c : c?.name)) : cols;
      for (const [k, x] of Object.entries(v)) if (k !== 'columns') walk(x, columns);
    }
  };
  walk(json, null);
  if (seen.length === 0) throw new Error(`no n/p row in: ${JSON.stringify(json).slice(0, 300)}`);
  return { n: Number(seen[0].n), p: Number(seen[0].p ?? 0) };
}

async function runRewind(capture, db) {
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  // Issue 2's bar is about the flow pipeline (what conv,tcp computes): L7 parsing is off here and is measured
  // against tshark's HTTP dissection by its own bar (issue 3).
  const r = await measure(process.execPath, [REWIND_BIN, 'import', capture.file, '--db', db, '--no-l7']);
  if (r.code !== 0) {
    if (/ERR_MODULE_NOT_FOUND/.test(r.stderr) && r.stderr.includes(join('analysis', 'dist'))) {
      throw new RewindNotBuilt(`the rewind CLI is only partly built: ${(/Cannot find module '([^']+)'/.exec(r.stderr) ?? [])[1] ?? 'a module of analysis/dist'} is missing`);
    }
    throw new Error(`rewind import exited with ${r.code}:\n${(r.stderr || r.stdout).split('\n').slice(-15).join('\n')}`);
  }
  const sql = 'select count(*) as n, sum(packet_tx+packet_rx) as p from l4_flow_log';
  const q = spawnSync(process.execPath, [REWIND_BIN, 'query', db, sql, '--format', 'json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (q.status !== 0) throw new Error(`rewind query exited with ${q.status}: ${q.stderr}`);
  const counts = extractCounts(JSON.parse(q.stdout));
  return { ...r, flows: counts.n, packets: counts.p };
}

/**
 * Issue 3's bar, reported (not enforced yet): the full ingest with L7 parsing against tshark's HTTP dissection,
 * `tshark -Y http.response -T fields ...`, and the number of HTTP responses each finds. `runs` pairs, alternating
 * tshark and rewind so that both see the same load on a shared machine; the best wall time of each is compared.
 */
async function runL7(capture, db, runs) {
  const fields = ['-e', 'frame.time_epoch', '-e', 'http.response.code', '-e', 'http.time', '-e', 'http.request.uri'];
  const tsharkRuns = [];
  const rewindRuns = [];
  let tsharkResponses = -1;
  let rewindResponses = -1;
  for (let i = 0; i < runs; i++) {
    const ts = await measure('tshark', ['-r', capture.file, '-Y', 'http.response', '-T', 'fields', ...fields]);
    if (ts.code !== 0) throw new Error(`tshark exited with ${ts.code}: ${ts.stderr}`);
    tsharkResponses = ts.stdout.split('\n').filter(Boolean).length;
    ts.stdout = '';
    tsharkRuns.push(ts);
    for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
    const rw = await measure(process.execPath, [REWIND_BIN, 'import', capture.file, '--db', db]);
    if (rw.code !== 0) throw new Error(`rewind import exited with ${rw.code}: ${rw.stderr}`);
    rewindRuns.push(rw);
    const sql = "select count(*) as n, 0 as p from l7_flow_log where l7_protocol = 'HTTP' and response_code is not null";
    const q = spawnSync(process.execPath, [REWIND_BIN, 'query', db, sql, '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
    if (q.status !== 0) throw new Error(`rewind query exited with ${q.status}: ${q.stderr}`);
    rewindResponses = extractCounts(JSON.parse(q.stdout)).n;
    log(`  run ${i + 1}/${runs}: tshark ${ts.wallS.toFixed(2)} s, rewind ${rw.wallS.toFixed(2)} s`);
  }
  const best = (rs) => rs.reduce((a, b) => (b.wallS < a.wallS ? b : a));
  return { tshark: best(tsharkRuns), rewind: best(rewindRuns), tsharkRuns, rewindRuns, tsharkResponses, rewindResponses };
}

// ---------------------------------------------------------------- results

function machineInfo() {
  const cpuModel = (/^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? cpus()[0]?.model ?? 'unknown';
  const memKB = Number((/^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8')) ?? [])[1] ?? totalmem() / 1024);
  return {
    date: firstLine('date', ['-u']),
    nproc: firstLine('nproc', []),
    cpu: cpuModel.trim(),
    memGiB: (memKB / 1024 / 1024).toFixed(1),
    node: process.version,
    tshark: firstLine('tshark', ['--version']),
  };
}

function writeResults(m, runs, verdict, notes) {
  const full = runs[0], half = runs[1];
  const row = (r) => `| ${r.label} | \`${rel(r.capture.file)}\` | ${r.capture.packets} | ${mb(r.capture.bytes).toFixed(1)} | ${r.capture.connections} `
    + `| ${r.tshark.wallS.toFixed(2)} | ${r.tshark.rssMB.toFixed(0)} | ${r.rewind.wallS.toFixed(2)} | ${r.rewind.rssMB.toFixed(0)} `
    + `| ${ratioText(r.tshark.wallS / r.rewind.wallS)}× |`;
  const latest = [
    '<!-- latest:start -->',
    `## Latest run: ${m.date}`,
    '',
    `- Machine: ${m.nproc} cores, ${m.cpu}, ${m.memGiB} GiB RAM; Node ${m.node}; ${m.tshark}`,
    `- Capture: synthetic HTTP/1.1 keep-alive (\`bench/gen-http-capture.mjs\`), ${full.capture.format}, sha256 \`${full.capture.sha256}\``,
    `- Peak RSS measured with ${full.rewind.how}; wall time measured around the process`,
    '',
    '| capture | file | packets | MB | TCP conversations | tshark conv,tcp s | tshark peak RSS MB | rewind import s | rewind peak RSS MB | tshark / rewind |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row(full),
    row(half),
    '',
    `Bar: ratio ≥ ${BAR_RATIO}× on the full capture, rewind peak RSS < ${BAR_RSS_MB} MB and full ≤ ${BAR_RSS_GROWTH} × half; with L7, ratio ≥ ${BAR_L7_RATIO}× against tshark -Y http.response. **${verdict}**`,
    ...notes.map((n) => `- ${n}`),
    '<!-- latest:end -->',
  ].join('\n');
  const historyRow = `| ${m.date} | ${m.nproc} × ${m.cpu} | ${full.capture.packets} | ${mb(full.capture.bytes).toFixed(1)} | ${full.tshark.wallS.toFixed(2)} `
    + `| ${full.rewind.wallS.toFixed(2)} | ${ratioText(full.tshark.wallS / full.rewind.wallS)}× | ${full.rewind.rssMB.toFixed(0)} / ${half.rewind.rssMB.toFixed(0)} | ${verdict} |`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
  if (!text.includes('<!-- latest:start -->') || !text.includes('<!-- history:end -->')) {
    text = [
      '# Import benchmark results',
      '',
      'Written by `node bench/import-bench.mjs` (see [README.md](README.md)): the latest full run replaces the section below,',
      'and every full run adds a row to the history.',
      '',
      '<!-- latest:start -->',
      '<!-- latest:end -->',
      '',
      '## History',
      '',
      '| date (UTC) | machine | packets | MB | tshark s | rewind s | tshark / rewind | rewind RSS MB full / half | verdict |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      '<!-- history:end -->',
      '',
    ].join('\n');
  }
  text = text.replace(/<!-- latest:start -->[\s\S]*<!-- latest:end -->/, () => latest);
  text = text.replace('<!-- history:end -->', () => `${historyRow}\n<!-- history:end -->`);
  writeFileSync(RESULTS, text);
  log(`results written to ${rel(RESULTS)}`);
}

// ---------------------------------------------------------------- main

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`import-bench: ${e.message}\n`);
    return 2;
  }
  if (!args.tsharkOnly && !rewindAvailable()) {
    process.stderr.write(
      `import-bench: the rewind CLI is not built: ${existsSync(REWIND_BIN) ? rel(REWIND_DIST) : rel(REWIND_BIN)} is missing.\n`
      + 'Build it first (npm install, or npm run build), or pass --tshark-only to time tshark alone.\n',
    );
    return 2;
  }
  if (firstLine('tshark', ['--version']) === 'n/a') {
    process.stderr.write('import-bench: tshark is not installed (Debian: apt-get install tshark)\n');
    return 2;
  }
  if (!existsSync(GNU_TIME)) log(`note: ${GNU_TIME} is missing (Debian package "time"); peak RSS comes from polling /proc/PID/status VmHWM`);
  mkdirSync(OUT_DIR, { recursive: true });

  const captures = [
    { label: 'full', capture: ensureCapture(args.packets, args.format), db: join(OUT_DIR, 'bench.db') },
    { label: 'half', capture: ensureCapture(Math.round(args.packets / 2), args.format), db: join(OUT_DIR, 'bench-half.db') },
  ];
  const failures = [];
  for (const run of captures) {
    const c = run.capture;
    await warm(c.file);
    log(`\n[${run.label}] tshark -q -z conv,tcp -r ${rel(c.file)}`);
    run.tshark = await measure('tshark', ['-q', '-z', 'conv,tcp', '-r', c.file]);
    if (run.tshark.code !== 0) throw new Error(`tshark exited with ${run.tshark.code}: ${run.tshark.stderr}`);
    run.conv = parseConvTcp(run.tshark.stdout);
    log(`  ${run.tshark.wallS.toFixed(2)} s, peak RSS ${run.tshark.rssMB.toFixed(0)} MB; ${run.conv.conversations} TCP conversations, ${run.conv.frames} frames`
      + ` (generator: ${c.connections} connections, ${c.packets} packets)`);
    if (run.conv.conversations !== c.connections || run.conv.frames !== c.packets) {
      failures.push(`[${run.label}] tshark sees ${run.conv.conversations} conversations / ${run.conv.frames} frames, the generator wrote ${c.connections} / ${c.packets}`);
    }
    if (args.tsharkOnly) continue;
    log(`[${run.label}] node analysis/bin/rewind.js import ${rel(c.file)} --db ${rel(run.db)} --no-l7`);
    run.rewind = await runRewind(c, run.db);
    log(`  ${run.rewind.wallS.toFixed(2)} s, peak RSS ${run.rewind.rssMB.toFixed(0)} MB; l4_flow_log: ${run.rewind.flows} flows, ${run.rewind.packets} packets`
      + ` (tshark: ${run.conv.conversations} conversations, ${run.conv.frames} frames)`);
    if (run.rewind.flows !== run.conv.conversations || run.rewind.packets !== run.conv.frames) {
      failures.push(`[${run.label}] l4_flow_log has ${run.rewind.flows} flows / ${run.rewind.packets} packets, tshark's conv,tcp ${run.conv.conversations} / ${run.conv.frames}`);
    }
  }

  // table
  log('');
  const head = ['capture', 'packets', 'MB', 'conversations', 'tshark s', 'tshark RSS MB', 'rewind s', 'rewind RSS MB', 'tshark/rewind'];
  const rows = captures.map((r) => [
    r.label, String(r.capture.packets), mb(r.capture.bytes).toFixed(1), String(r.conv.conversations),
    r.tshark.wallS.toFixed(2), r.tshark.rssMB.toFixed(0),
    r.rewind ? r.rewind.wallS.toFixed(2) : 'n/a', r.rewind ? r.rewind.rssMB.toFixed(0) : 'n/a',
    r.rewind ? `${ratioText(r.tshark.wallS / r.rewind.wallS)}x` : 'n/a',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) log(r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  '));
  log(`peak RSS via ${captures[0].tshark.how}`);

  if (args.tsharkOnly) {
    for (const f of failures) log(`MISMATCH ${f}`);
    log('\n--tshark-only: rewind not run, no bar, no results written');
    return failures.length ? 1 : 0;
  }

  const [full, half] = captures;
  const ratio = full.tshark.wallS / full.rewind.wallS;
  log(`\nratio tshark_time / rewind_time (full): ${ratioText(ratio)}x (bar ≥ ${BAR_RATIO}x${args.quick ? ', not enforced with --quick' : ''})`);
  log(`rewind peak RSS: full ${full.rewind.rssMB.toFixed(0)} MB, half ${half.rewind.rssMB.toFixed(0)} MB (bar < ${BAR_RSS_MB} MB, full ≤ ${BAR_RSS_GROWTH} × half)`);
  const barFailures = [];
  if (!args.quick && ratio < BAR_RATIO) barFailures.push(`import is only ${ratioText(ratio)}x faster than tshark (bar ${BAR_RATIO}x)`);
  for (const r of captures) if (!(r.rewind.rssMB < BAR_RSS_MB)) barFailures.push(`[${r.label}] rewind peak RSS ${r.rewind.rssMB.toFixed(0)} MB ≥ ${BAR_RSS_MB} MB`);
  if (!(full.rewind.rssMB <= BAR_RSS_GROWTH * half.rewind.rssMB)) {
    barFailures.push(`rewind peak RSS grows with the file: ${full.rewind.rssMB.toFixed(0)} MB full vs ${half.rewind.rssMB.toFixed(0)} MB half`);
  }
  // Issue 3 (L7) bar: full ingest (flows + L7 + rollups) at least 10× faster than tshark's HTTP response fields.
  log(`\n[full, L7] tshark -Y http.response -T fields ... vs rewind import (with L7)`);
  const l7Runs = args.quick ? 1 : 3;
  const l7 = await runL7(full.capture, join(OUT_DIR, 'bench-l7.db'), l7Runs);
  const l7Ratio = l7.tshark.wallS / l7.rewind.wallS;
  const all = (rs) => rs.map((r) => r.wallS.toFixed(2)).join(' / ');
  const l7Line = `L7 ingest (issue 3 bar ≥ ${BAR_L7_RATIO}×), best of ${l7Runs}: tshark -Y http.response ${l7.tshark.wallS.toFixed(2)} s `
    + `(${l7.tshark.rssMB.toFixed(0)} MB), rewind import with L7 ${l7.rewind.wallS.toFixed(2)} s (${l7.rewind.rssMB.toFixed(0)} MB), `
    + `ratio ${ratioText(l7Ratio)}× (runs: tshark ${all(l7.tsharkRuns)} s, rewind ${all(l7.rewindRuns)} s); `
    + `HTTP responses: tshark ${l7.tsharkResponses}, rewind ${l7.rewindResponses}`;
  log(l7Line);
  if (l7.tsharkResponses !== l7.rewindResponses) failures.push(`HTTP responses: tshark ${l7.tsharkResponses}, rewind ${l7.rewindResponses}`);
  if (!args.quick && l7Ratio < BAR_L7_RATIO) barFailures.push(`import with L7 is only ${ratioText(l7Ratio)}x faster than tshark -Y http.response (bar ${BAR_L7_RATIO}x)`);
  for (const f of failures) log(`MISMATCH ${f}`);
  for (const f of barFailures) log(`${args.bar ? 'FAIL' : 'below bar (--no-bar)'} ${f}`);
  const verdict = failures.length ? 'MISMATCH' : barFailures.length ? (args.bar ? 'FAIL' : 'below bar (--no-bar)') : 'PASS';
  log(`verdict: ${verdict}`);
  if (!args.quick && args.results) {
    writeResults(machineInfo(), captures, verdict, [...failures, ...barFailures, l7Line]);
  }
  if (failures.length) return 1;
  if (args.bar && barFailures.length) return 1;
  return 0;
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  main().then(
    (code) => { process.exitCode = code; },
    (err) => {
      process.stderr.write(`import-bench: ${err instanceof Error ? err.message : String(err)}\n`);
      if (err instanceof RewindNotBuilt) process.stderr.write('Build it first (npm install, or npm run build), or pass --tshark-only to time tshark alone.\n');
      process.exitCode = err instanceof RewindNotBuilt ? 2 : 1;
    },
  );
}
