// The load generator (uninstrumented, as a user's browser would be): CONNECTIONS keep-alive connections to the
// productpage service, RATE requests/s in all, for DURATION_S seconds or REQUESTS requests, whichever comes first.
// Prints one JSON line at the end: requests sent and answers by status.
import http from 'node:http';
import { randomUUID } from 'node:crypto';

const TARGET = process.env.TARGET ?? 'productpage.shop.svc.cluster.local';
const RATE = Number(process.env.RATE ?? 10);
const DURATION_S = Number(process.env.DURATION_S ?? 20);
const REQUESTS = Number(process.env.REQUESTS ?? RATE * DURATION_S);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 4);
const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
const statuses = {};
let sent = 0;
let done = 0;
const started = Date.now();

function one() {
  sent++;
  const id = 1 + (sent % 20);
  const req = http.get({ host: TARGET, port: 9080, path: `/productpage?id=${id}`, agent, timeout: 10_000,
    headers: { 'user-agent': 'rewind-lab-loadgen/1.0', 'x-request-id': randomUUID() } }, (res) => {
    res.resume();
    res.on('end', () => { statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1; finish(); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (err) => { statuses[err.message] = (statuses[err.message] ?? 0) + 1; finish(); });
}

let stopped = false;
let reported = false;
function finish() {
  done++;
  maybeEnd();
}

function maybeEnd() {
  if (stopped && done === sent && !reported) {
    reported = true;
    process.stdout.write(`${JSON.stringify({ sent, statuses, seconds: (Date.now() - started) / 1000 })}\n`);
    agent.destroy();
  }
}

const timer = setInterval(() => {
  if (sent >= REQUESTS || Date.now() - started >= DURATION_S * 1000) { clearInterval(timer); stopped = true; maybeEnd(); return; }
  one();
}, 1000 / RATE);
