#!/usr/bin/env node
// eBPF overhead benchmark (issue: eBPF socket tracer): wrk against nginx on loopback for a fixed time, without and
// with `rewind record` tracing nginx's port, alternating, in the same run. Reports requests/s of each, the ratio
// (bar: with ≥ 90 % of without) and the event accounting of each recording (events in the bundle + drops the kernel
// reported = events the kernel program emitted; and events per request). Root; needs nginx (nginx-light) and wrk.
//
//   node bench/ebpf-overhead.mjs [--seconds 10] [--pairs 3] [--connections 16] [--no-results]
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const BIN = path.join(ROOT, 'analysis', 'bin', 'rewind.js');
const RESULTS = path.join(ROOT, 'bench', 'RESULTS.md');
const BAR = 0.9;
const log = (s = '') => process.stdout.write(`${s}\n`);

const args = { seconds: 10, pairs: 3, connections: 16, results: true };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--seconds') args.seconds = Number(process.argv[++i]);
  else if (a === '--pairs') args.pairs = Number(process.argv[++i]);
  else if (a === '--connections') args.connections = Number(process.argv[++i]);
  else if (a === '--no-results') args.results = false;
  else { log(`unknown argument ${a}`); process.exit(2); }
}
for (const [what, ok] of [['root', process.getuid?.() === 0], ['nginx', existsSync('/usr/sbin/nginx')], ['wrk', existsSync('/usr/bin/wrk')]]) {
  if (!ok) { log(`ebpf-overhead: needs ${what}`); process.exit(2); }
}

async function freePort() {
  const s = net.createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = s.address().port;
  s.close();
  await once(s, 'close');
  return port;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-overhead-'));
const port = await freePort();
for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, d));
writeFileSync(path.join(dir, 'nginx.conf'), `daemon off; worker_processes 1; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  server { listen 127.0.0.1:${port}; location / { return 200 'hello from nginx'; } } }
`);
const nginx = spawn('/usr/sbin/nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500));

function wrk(seconds) {
  const r = spawnSync('/usr/bin/wrk', ['-t1', `-c${args.connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`], { encoding: 'utf8' });
  const rps = Number((/Requests\/sec:\s+([\d.]+)/.exec(r.stdout) ?? [])[1]);
  const requests = Number((/(\d+) requests in/.exec(r.stdout) ?? [])[1]);
  if (!(rps > 0)) throw new Error(`wrk failed: ${r.stdout}${r.stderr}`);
  return { rps, requests };
}

async function withAgent(seconds, out, tracedPort = port, extra = []) {
  const agent = spawn(process.execPath, [BIN, 'record', '--out', out, '--port', String(tracedPort), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  agent.stdout.on('data', (d) => { stdout += d; });
  agent.stderr.on('data', (d) => { stderr += d; });
  while (!stderr.includes('recording to')) {
    if (agent.exitCode !== null) throw new Error(`rewind record exited: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await new Promise((r) => setTimeout(r, 300)); // attached
  const w = wrk(seconds);
  agent.kill('SIGTERM');
  await once(agent, 'exit');
  const m = /: (\d+) socket data events \(\d+ TLS plaintext\), (\d+) closes, \d+ TCP state\/retransmit events, (\d+) dropped in the kernel/.exec(stdout);
  if (!m) throw new Error(`no summary from rewind record: ${stdout}${stderr}`);
  // The coverage record holds what the kernel program counted.
  const { readCaptureFile, RecordType } = await import(path.join(ROOT, 'analysis', 'dist', 'bundle', 'index.js'));
  let coverage = null;
  await readCaptureFile(out, { packet() {}, custom(c) { if (c.recordType === RecordType.COVERAGE_STATS) coverage = c.json.sources[0]; } });
  return { ...w, events: Number(m[1]), closes: Number(m[2]), dropped: Number(m[3]), coverage };
}

try {
  log(`nginx on 127.0.0.1:${port}; wrk -t1 -c${args.connections} for ${args.seconds} s; ${args.pairs} pairs, alternating`);
  wrk(2); // warm-up
  const base = [];
  const traced = [];
  const hooked = [];
  const server = [];
  for (let i = 0; i < args.pairs; i++) {
    const b = wrk(args.seconds);
    base.push(b);
    const t = await withAgent(args.seconds, path.join(dir, `rec-${i}.pcapng`));
    traced.push(t);
    // The same agent tracing a port nobody uses: every syscall passes the hooks, nothing is recorded. What the
    // hooks cost by themselves (syscall tracing on every syscall of every process), apart from recording.
    const hk = await withAgent(args.seconds, path.join(dir, `hook-${i}.pcapng`), 1);
    hooked.push(hk);
    // A server-side agent: nginx only (--comm nginx), the load generator untraced.
    const sv = await withAgent(args.seconds, path.join(dir, `server-${i}.pcapng`), port, ['--comm', 'nginx']);
    server.push(sv);
    const accounted = t.coverage ? t.coverage.written === t.coverage.events && t.coverage.events + t.coverage.dropped >= t.events : false;
    log(`  pair ${i + 1}: without ${b.rps.toFixed(0)} req/s, with ${t.rps.toFixed(0)} req/s (${((100 * t.rps) / b.rps).toFixed(1)} %); `
      + `events ${t.events} + closes ${t.closes} written, kernel emitted ${t.coverage?.events} and dropped ${t.dropped}; `
      + `${(t.events / t.requests).toFixed(2)} events/request; accounted: ${accounted}; hooks only (port 1): ${hk.rps.toFixed(0)} req/s (${((100 * hk.rps) / b.rps).toFixed(1)} %); `
      + `nginx only (--comm nginx): ${sv.rps.toFixed(0)} req/s (${((100 * sv.rps) / b.rps).toFixed(1)} %, ${(sv.events / sv.requests).toFixed(2)} events/request)`);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const without = median(base.map((x) => x.rps));
  const withA = median(traced.map((x) => x.rps));
  const hooksOnly = median(hooked.map((x) => x.rps));
  const serverOnly = median(server.map((x) => x.rps));
  const ratio = withA / without;
  const allAccounted = traced.every((t) => t.coverage && t.coverage.written === t.coverage.events);
  const drops = traced.reduce((a, t) => a + t.dropped, 0);
  const verdict = ratio >= BAR && allAccounted ? 'PASS' : 'FAIL';
  const line = `eBPF overhead (wrk -c${args.connections}, ${args.seconds} s × ${args.pairs} pairs, median): without ${without.toFixed(0)} req/s, `
    + `with rewind record ${withA.toFixed(0)} req/s = ${(100 * ratio).toFixed(1)} % (bar ≥ ${100 * BAR} %); kernel drops ${drops}; `
    + `every emitted event in the bundle: ${allAccounted}; hooks attached but nothing recorded: ${hooksOnly.toFixed(0)} req/s = `
    + `${((100 * hooksOnly) / without).toFixed(1)} %; nginx only (--comm nginx): ${serverOnly.toFixed(0)} req/s = `
    + `${((100 * serverOnly) / without).toFixed(1)} %. Verdict on tracing everything: **${verdict}**`;
  log(line);
  if (args.results) {
    const cpu = (/^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1]?.trim();
    const date = spawnSync('date', ['-u'], { encoding: 'utf8' }).stdout.trim();
    let md = readFileSync(RESULTS, 'utf8');
    const block = `<!-- ebpf:start -->\n## eBPF overhead: latest run ${date}\n\n- Machine: ${os.cpus().length} × ${cpu}; Node ${process.version}; ${spawnSync('/usr/sbin/nginx', ['-v'], { encoding: 'utf8' }).stderr.trim()}; wrk 4.1.0\n- ${line}\n<!-- ebpf:end -->`;
    md = md.includes('<!-- ebpf:start -->') ? md.replace(/<!-- ebpf:start -->[\s\S]*<!-- ebpf:end -->/, block) : `${md.trimEnd()}\n\n${block}\n`;
    writeFileSync(RESULTS, md);
  }
  process.exitCode = verdict === 'PASS' ? 0 : 1;
} finally {
  nginx.kill();
  rmSync(dir, { recursive: true, force: true });
}
