#!/usr/bin/env node
/* global fetch, location */
// App benchmark (issue 6): the engine service's API and the service map in Chromium, on a database of ≥ 1M requests.
//
//   node bench/app-bench.mjs [--packets N] [--services N] [--runs N] [--no-results] [--no-bar]
//
// 1. Generates bench/out/app-<N>-s<S>.pcap with gen-http-capture.mjs --services S (default 3.4M packets ≈ 1.1M HTTP
//    requests, 200 services; reused while it is unchanged) and imports it into bench/out/app.db (reused while the
//    capture's hash and the schema version match).
// 2. Starts the engine service on it and times every overview call (summary, timeline, services, endpoints) and a
//    set of filtered request-log pages over HTTP, `--runs` times each (default 5; median and worst reported).
// 3. Opens the service map in Debian chromium (playwright-core) and times navigation → map drawn with its nodes,
//    `--runs` times.
// Bars (issue 6): overview calls under 300 ms, a filtered request-log page under 100 ms (medians), the map of ≥ 200
// services drawn in under 1 s. There is no tshark equivalent of these views, so no ratio: the bars are absolute.
// Full runs rewrite the app section of bench/RESULTS.md. Exit 1 when a bar fails (unless --no-bar), 2 when not built.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
const OUT = join(BENCH, 'out');
const RESULTS = join(BENCH, 'RESULTS.md');
const log = (s = '') => process.stdout.write(`${s}\n`);

const BAR_OVERVIEW_MS = 300;
const BAR_PAGE_MS = 100;
const BAR_MAP_MS = 1000;
const MIN_REQUESTS = 1_000_000;
const MIN_SERVICES = 200;

const args = { packets: 3_400_000, services: 200, runs: 5, results: true, bar: true };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--packets') args.packets = Number(process.argv[++i]);
  else if (a === '--services') args.services = Number(process.argv[++i]);
  else if (a === '--runs') args.runs = Number(process.argv[++i]);
  else if (a === '--no-results') args.results = false;
  else if (a === '--no-bar') args.bar = false;
  else {
    process.stderr.write(`app-bench: unknown argument ${a}\n`);
    process.exit(2);
  }
}

const serviceJs = join(ROOT, 'app', 'dist', 'service', 'index.js');
const analysisJs = join(ROOT, 'analysis', 'dist', 'index.js');
if (!existsSync(serviceJs) || !existsSync(analysisJs) || !existsSync(join(ROOT, 'app', 'dist', 'renderer', 'index.html'))) {
  process.stderr.write('app-bench: build first (npm run build)\n');
  process.exit(2);
}
const { startService } = await import(pathToFileURL(serviceJs).href);
const engine = await import(pathToFileURL(analysisJs).href);

// ------------------------------------------------------------------ data
const capture = join(OUT, `app-${args.packets}-s${args.services}.pcap`);
const meta = `${capture}.json`;
const gen = join(BENCH, 'gen-http-capture.mjs');
const genHash = spawnSync('sha256sum', [gen], { encoding: 'utf8' }).stdout.split(' ')[0];
let info = existsSync(meta) ? JSON.parse(readFileSync(meta, 'utf8')) : null;
if (!info || info.generator !== genHash || !existsSync(capture)) {
  log(`generating ${relative(ROOT, capture)} (${args.packets} packets, ${args.services} services)…`);
  const r = spawnSync(process.execPath, [gen, '--out', capture, '--packets', String(args.packets), '--services', String(args.services), '--json'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(r.stderr);
  info = { ...JSON.parse(r.stdout), generator: genHash };
  writeFileSync(meta, JSON.stringify(info, null, 2));
}
const dbPath = join(OUT, 'app.db');
const dbMeta = `${dbPath}.json`;
const want = { sha256: info.sha256, schema: engine.SCHEMA_VERSION, engine: engine.ENGINE_VERSION };
const have = existsSync(dbMeta) ? JSON.parse(readFileSync(dbMeta, 'utf8')) : null;
if (!have || have.sha256 !== want.sha256 || have.schema !== want.schema || !existsSync(dbPath)) {
  for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
  log(`importing ${relative(ROOT, capture)} into ${relative(ROOT, dbPath)}…`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'analysis', 'bin', 'rewind.js'), 'import', capture, '--db', dbPath, '--quiet'], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('import failed');
  want.importS = Number(((performance.now() - t0) / 1000).toFixed(1));
  writeFileSync(dbMeta, JSON.stringify(want, null, 2));
} else want.importS = have.importS;
const ro = engine.openReadOnly(dbPath);
const requests = ro.prepare(`SELECT count(*) FROM _l7_flow_log WHERE type != 2`).pluck().get();
const services = ro.prepare('SELECT count(*) FROM (SELECT DISTINCT ip_1, server_port FROM _l7_flow)').pluck().get();
const someService = ro.prepare('SELECT ip_1 || \':\' || server_port FROM _l7_flow GROUP BY ip_1, server_port ORDER BY count(*) DESC LIMIT 1 OFFSET 17').pluck().get();
const someClient = ro.prepare("SELECT ip_0 FROM _l7_flow WHERE ip_0 LIKE '10.1.%' LIMIT 1 OFFSET 1000").pluck().get();
ro.close();
log(`database: ${requests.toLocaleString('en-US')} requests, ${services} services (import ${want.importS ?? '?'} s)`);

// ------------------------------------------------------------------ API
const svc = await startService({ dbPath });
const call = async (op, params) => {
  const t0 = performance.now();
  // Uncached: the engine's own time for every call (the service caches answers while the database does not change).
  const r = await fetch(`${svc.url}/api/${op}`, { method: 'POST', headers: { authorization: `Bearer ${svc.token}`, 'x-rewind-no-cache': '1' }, body: JSON.stringify(params) });
  const body = await r.json();
  const ms = performance.now() - t0;
  if (!body.ok) throw new Error(`${op}: ${body.error.message}`);
  return { ms, result: body.result };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timed = async (label, op, params) => {
  await call(op, params); // warm (page cache, statement cache)
  const ms = [];
  let result;
  for (let i = 0; i < args.runs; i++) {
    const r = await call(op, params);
    ms.push(r.ms);
    result = r.result;
  }
  return { label, op, params, median: median(ms), worst: Math.max(...ms), result };
};
const net = `${someClient.split('.').slice(0, 3).join('.')}.0/24`;
const overview = [
  await timed('overview.summary', 'overview.summary', {}),
  await timed('overview.timeline', 'overview.timeline', { points: 400 }),
  await timed('overview.services', 'overview.services', { sparkPoints: 30 }),
  await timed('overview.endpoints', 'overview.endpoints', { limit: 10 }),
];
const filters = ['', 'status>=500', `service=${someService}`, `service=${someService} status=error`, 'rrt>200ms', `client=${net} status>=500`,
  'method=DELETE resource~orders', `client=${someClient}`, 'status=timeout'];
const pages = [];
for (const f of filters) pages.push(await timed(`requests.list ${f || '(no filter)'}`, 'requests.list', { filter: f, limit: 100 }));
const slow = [
  await timed('requests.list sorted by rrt (whole capture)', 'requests.list', { sort: 'response_duration', desc: true, limit: 100 }),
  await timed('requests.list free text "orders" (scans)', 'requests.list', { filter: 'orders', limit: 100 }),
  await timed('map.graph (application layer)', 'map.graph', { layer: 'app' }),
];
const mapNodes = slow[2].result.nodes.filter((n) => n.kind === 'service').length;

// ------------------------------------------------------------------ Chromium: the service map
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
let mapRuns = [];
let mapNote = '';
if (!chromium) mapNote = 'chromium not installed (apt-get install chromium): map render not measured';
else {
  const { chromium: pw } = await import('playwright-core');
  const browser = await pw.launch({ executablePath: chromium, args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(svc.openUrl);
  await page.waitForSelector('[data-testid=kpi-requests]');
  for (let i = 0; i < args.runs; i++) {
    await page.evaluate(() => { location.hash = '#/overview'; });
    await page.waitForSelector('[data-testid=kpi-requests]');
    const t0 = await page.evaluate(() => performance.now());
    await page.click('[data-testid=nav-map]');
    await page.waitForSelector('[data-testid=service-map][data-rendered-nodes]', { timeout: 30_000 });
    const t1 = await page.evaluate(() => performance.now());
    const drawn = Number(await page.getAttribute('[data-testid=service-map]', 'data-rendered-nodes'));
    const api = await page.evaluate(() => {
      const e = performance.getEntriesByType('resource').filter((x) => x.name.includes('/api/map.graph'));
      return e.length ? e[e.length - 1].duration : 0;
    });
    mapRuns.push({ ms: t1 - t0, nodes: drawn, api, draw: t1 - t0 - api });
  }
  await page.screenshot({ path: join(OUT, 'app-bench-map.png') });
  await browser.close();
}
await svc.close();

// ------------------------------------------------------------------ report
const fmt = (x) => `${x.toFixed(0)} ms`;
const rowsOut = [];
const failures = [];
const check = (label, median, worst, bar) => {
  const ok = bar === null || median < bar;
  if (!ok) failures.push(`${label}: median ${fmt(median)} (bar < ${bar} ms)`);
  rowsOut.push(`| ${label} | ${fmt(median)} | ${fmt(worst)} | ${bar === null ? '—' : `< ${bar} ms`} | ${bar === null ? '' : ok ? 'ok' : '**FAIL**'} |`);
};
for (const r of overview) check(r.label, r.median, r.worst, BAR_OVERVIEW_MS);
for (const r of pages) check(r.label, r.median, r.worst, BAR_PAGE_MS);
for (const r of slow.slice(0, 2)) check(`${r.label} (not a bar)`, r.median, r.worst, null);
check('map.graph API, uncached', slow[2].median, slow[2].worst, null);
if (mapRuns.length) {
  const m = median(mapRuns.map((r) => r.ms));
  check(`service map drawn in Chromium, click → drawn (${mapRuns[0].nodes} nodes, ${mapNodes} services; answer prewarmed by the service)`, m, Math.max(...mapRuns.map((r) => r.ms)), BAR_MAP_MS);
  check('  of which drawing (ECharts, layered layout)', median(mapRuns.map((r) => r.draw)), Math.max(...mapRuns.map((r) => r.draw)), null);
  const cold = slow[2].median + median(mapRuns.map((r) => r.draw));
  rowsOut.push(`| service map, first visit before the prewarm has finished (uncached API + drawing; not measured end to end) | ≈ ${fmt(cold)} | | — | |`);
} else failures.push(mapNote);
if (requests < MIN_REQUESTS) failures.push(`only ${requests} requests (bar: at least ${MIN_REQUESTS})`);
if (mapNodes < MIN_SERVICES) failures.push(`only ${mapNodes} services on the map (bar: at least ${MIN_SERVICES})`);

const when = new Date().toUTCString();
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}`;
const table = ['| call | median | worst | bar | |', '| --- | ---: | ---: | --- | --- |', ...rowsOut].join('\n');
log();
log(table);
log();
log(failures.length ? `verdict: FAIL\n${failures.map((f) => `- ${f}`).join('\n')}` : 'verdict: PASS');
if (args.results) {
  const section = `<!-- app:start -->
## App (issue 6): engine service API and the service map

Latest run: ${when} — ${machine}; \`node bench/app-bench.mjs\` (${args.runs} runs per call after one warm-up, HTTP to the
service on loopback; the map from the click to the chart drawn with its nodes, Debian chromium through playwright-core).
Database: ${requests.toLocaleString('en-US')} requests, ${services} services from \`${relative(ROOT, capture)}\`
(${info.packets.toLocaleString('en-US')} packets, gen-http-capture.mjs --services ${args.services}; import ${want.importS ?? '?'} s).

${table}

Verdict: ${failures.length ? `**FAIL** — ${failures.join('; ')}` : '**PASS**'}
<!-- app:end -->`;
  let text = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  if (text.includes('<!-- app:start -->')) text = text.replace(/<!-- app:start -->[\s\S]*<!-- app:end -->/, section);
  else text = `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS, text);
  log(`results written to ${relative(process.cwd(), RESULTS)}`);
}
process.exit(args.bar && failures.length ? 1 : 0);
