// details (Node): GET /details/N answers the product's details, cached in Redis (GET, then SET with a TTL on a miss)
// over one persistent RESP connection.
import http from 'node:http';
import net from 'node:net';

const PORT = Number(process.env.PORT ?? 9080);
const REDIS = process.env.REDIS_HOST ?? 'redis';

/** A minimal RESP2 client: one connection, commands answered in order (simple strings, errors, integers, bulk). */
class Redis {
  constructor(host) {
    this.host = host;
    this.pending = [];
    this.buf = Buffer.alloc(0);
    this.sock = null;
  }
  connect() {
    this.sock = net.connect(6379, this.host);
    this.sock.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.drain(); });
    const fail = (err) => { for (const p of this.pending.splice(0)) p.reject(err); this.sock = null; this.buf = Buffer.alloc(0); };
    this.sock.on('error', fail);
    this.sock.on('close', () => fail(new Error('redis connection closed')));
  }
  drain() {
    while (this.pending.length > 0) {
      const r = parseReply(this.buf, 0);
      if (r === null) return;
      this.buf = this.buf.subarray(r.end);
      const p = this.pending.shift();
      if (r.error) p.reject(new Error(r.value)); else p.resolve(r.value);
    }
  }
  command(...args) {
    if (this.sock === null) this.connect();
    const parts = [`*${args.length}\r\n`];
    for (const a of args) { const s = String(a); parts.push(`$${Buffer.byteLength(s)}\r\n${s}\r\n`); }
    return new Promise((resolve, reject) => { this.pending.push({ resolve, reject }); this.sock.write(parts.join('')); });
  }
}

function parseReply(b, o) {
  const eol = b.indexOf('\r\n', o);
  if (eol < 0) return null;
  const t = String.fromCharCode(b[o]);
  const line = b.toString('latin1', o + 1, eol);
  if (t === '+' || t === '-' || t === ':') return { value: t === ':' ? Number(line) : line, error: t === '-', end: eol + 2 };
  if (t === '$') {
    const n = Number(line);
    if (n < 0) return { value: null, error: false, end: eol + 2 };
    if (b.length < eol + 2 + n + 2) return null;
    return { value: b.toString('utf8', eol + 2, eol + 2 + n), error: false, end: eol + 2 + n + 2 };
  }
  return { value: `unexpected reply ${t}`, error: true, end: b.length };
}

const redis = new Redis(REDIS);

function detailsOf(id) {
  return { id, author: `Author ${id % 17}`, year: 1990 + (id % 30), type: id % 2 ? 'paperback' : 'hardcover', pages: 100 + id * 7, publisher: 'Rewind Press', language: 'English' };
}

const server = http.createServer(async (req, res) => {
  const send = (status, obj) => {
    const body = JSON.stringify(obj);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  if (req.url === '/healthz') return send(200, { ok: true });
  const m = /^\/details\/(\d+)$/.exec(req.url ?? '');
  if (!m) return send(404, { error: 'not found' });
  const id = Number(m[1]);
  try {
    const cached = await redis.command('GET', `details:${id}`);
    if (cached !== null) return send(200, JSON.parse(cached));
    const d = detailsOf(id);
    await redis.command('SET', `details:${id}`, JSON.stringify(d), 'EX', 5);
    send(200, d);
  } catch (err) {
    send(200, { ...detailsOf(id), cache: `unavailable: ${err.message}` });
  }
});
server.keepAliveTimeout = 30_000;
server.listen(PORT, '0.0.0.0');
