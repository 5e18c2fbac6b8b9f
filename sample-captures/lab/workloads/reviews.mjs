// reviews (Node): GET /reviews/N answers the product's reviews. VERSION=v1 answers alone; v2 adds the stars from the
// ratings service (keep-alive agent) and fails with 503 when ratings fails.
import http from 'node:http';

const PORT = Number(process.env.PORT ?? 9080);
const VERSION = process.env.VERSION ?? 'v1';
const RATINGS = process.env.RATINGS_HOST ?? 'ratings';
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

function ratingsOf(id, headers) {
  return new Promise((resolve) => {
    const req = http.get({ host: RATINGS, port: 9080, path: `/ratings/${id}`, agent, headers, timeout: 5000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: 599, body: err.message }));
  });
}

const server = http.createServer(async (req, res) => {
  const send = (status, obj) => {
    const body = JSON.stringify(obj);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url === '/healthz') return send(200, { ok: true, version: VERSION });
  const m = /^\/reviews\/(\d+)$/.exec(req.url ?? '');
  if (!m) return send(404, { error: 'not found' });
  const id = Number(m[1]);
  const reviews = [
    { reviewer: 'Reviewer1', text: 'An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!' },
    { reviewer: 'Reviewer2', text: 'Absolutely fun and entertaining. The play lacks thematic depth when compared to other plays by Shakespeare.' },
  ];
  if (VERSION === 'v1') return send(200, { id, version: VERSION, reviews });
  const fwd = {};
  for (const h of ['x-request-id', 'traceparent', 'user-agent']) if (req.headers[h]) fwd[h] = req.headers[h];
  const r = await ratingsOf(id, fwd);
  if (r.status !== 200) return send(503, { id, version: VERSION, error: `ratings failed (${r.status})` });
  const stars = JSON.parse(r.body).ratings ?? {};
  send(200, { id, version: VERSION, reviews: reviews.map((x) => ({ ...x, stars: stars[x.reviewer] ?? null })) });
});
server.keepAliveTimeout = 30_000;
server.listen(PORT, '0.0.0.0');
