#!/usr/bin/env node
// Synthesizes a deterministic capture of HTTP/1.1 keep-alive traffic for the import benchmark.
//
//   node bench/gen-http-capture.mjs --out FILE [--packets N] [--format pcap|pcapng] [--seed S] [--services N] [--json]
//
// Many clients (10.1.x.y, a few fd00:1::/64) talk to a few servers (ports 80 and 8080) over keep-alive
// connections: 3-way handshake, N request/response exchanges (Content-Length and chunked bodies,
// multi-segment responses paced by a congestion window and acknowledged every second segment,
// delayed ACKs), think times, occasional SYN/request/response retransmissions, a few resets and refused
// connections, and a FIN close. The capture point sits next to the servers: server packets follow
// their trigger by a few tens of µs, client packets by one round trip (100 µs – 5 ms per connection).
// IPv4 header and TCP checksums are correct. Everything comes from one seeded PRNG and a fixed base
// timestamp, so the same arguments give a byte-identical file; its SHA-256 is printed.
// Generation stops opening connections once the planned packet count reaches N and lets the open ones
// finish, so the file holds N packets or slightly more (the exact count is printed).
import { closeSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

export const DEFAULT_PACKETS = 1_050_000;
const BASE_TS_US = 1_709_294_400 * 1_000_000; // 2024-03-01T12:00:00Z
const CONN_ARRIVALS_PER_SEC = 70;

// ---------------------------------------------------------------- PRNG (sfc32, seeded via splitmix32)
function makeRng(seed) {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split(), b = split(), c = split(), d = split();
  const u32 = () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const next = () => u32() / 4294967296; // [0, 1)
  return {
    u32,
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    logUniform: (lo, hi) => Math.round(Math.exp(Math.log(lo) + next() * (Math.log(hi) - Math.log(lo)))),
    expo: (mean) => -Math.log(1 - next()) * mean,
    normal: () => {
      // Box–Muller (one value); deterministic because Math.log/sqrt/cos are IEEE-exact in V8.
      const u = 1 - next(), v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
  };
}

// ---------------------------------------------------------------- topology
const SERVERS = [
  { ip: [10, 2, 0, 10], port: 80, host: 'www.shop.internal', server: 'nginx/1.24.0', weight: 3 },
  { ip: [10, 2, 0, 11], port: 80, host: 'api.shop.internal', server: 'nginx/1.24.0', weight: 4 },
  { ip: [10, 2, 0, 12], port: 80, host: 'static.shop.internal', server: 'nginx/1.24.0', weight: 2 },
  { ip: [10, 2, 0, 20], port: 8080, host: 'orders.svc.cluster.local:8080', server: 'envoy', weight: 3 },
  { ip: [10, 2, 0, 21], port: 8080, host: 'users.svc.cluster.local:8080', server: 'Jetty(9.4.51)', weight: 2 },
  { ip6: 'fd00:2::10', port: 80, host: 'api6.shop.internal', server: 'nginx/1.24.0', weight: 0 },
  { ip6: 'fd00:2::11', port: 8080, host: 'orders6.svc.cluster.local:8080', server: 'envoy', weight: 0 },
];
const V4_SERVERS = SERVERS.filter((s) => s.ip);
const V6_SERVERS = SERVERS.filter((s) => s.ip6);
const V6_CLIENT_SHARE = 0.03;
const N_V4_CLIENTS = 16 * 254;
const N_V6_CLIENTS = 64;

function ip6Bytes(text) {
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}
for (const s of SERVERS) {
  s.addr = s.ip ? Buffer.from(s.ip) : ip6Bytes(s.ip6);
  s.mac = Buffer.from([0x02, 0x42, 0x0a, 0x02, s.addr[s.addr.length - 2], s.addr[s.addr.length - 1]]);
}
const ROUTER_MAC = Buffer.from([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);

// ---------------------------------------------------------------- HTTP content
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0',
  'okhttp/4.12.0',
  'Go-http-client/1.1',
  'python-requests/2.31.0',
  'curl/8.5.0',
];
const RESOURCES = ['products', 'orders', 'users', 'carts', 'inventory', 'reviews', 'sessions', 'payments'];
const STATIC = ['/static/js/app.4f9c2e.js', '/static/css/main.a81b.css', '/img/logo.svg', '/index.html', '/static/js/vendor.91cd.js'];
const LANGS = ['en-US,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9', 'en-GB,en;q=0.8'];
const REASON = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified', 404: 'Not Found', 500: 'Internal Server Error' };

// A pool of printable filler (no quotes/backslashes, so it is valid inside a JSON string and in text/html).
function makeFiller(rng, size) {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'order', 'item', 'cart', 'price', 'stock', 'warehouse', 'shipping',
    'customer', 'invoice', 'token', 'region', 'eu-west-1', 'status', 'pending', 'delivered', 'sku', 'qty', 'total', 'tax'];
  let s = '';
  while (s.length < size) {
    s += rng.pick(words) + (rng.chance(0.1) ? String(rng.int(0, 99999)) : '') + (rng.chance(0.05) ? '. ' : ' ');
  }
  return s.slice(0, size);
}

const hex = (rng, n) => {
  let s = '';
  while (s.length < n) s += rng.u32().toString(16).padStart(8, '0');
  return s.slice(0, n);
};

class Content {
  constructor(rng) {
    this.rng = rng;
    this.filler = makeFiller(rng, 300_000);
  }
  text(n) {
    const off = this.rng.int(0, this.filler.length - n);
    return this.filler.slice(off, off + n);
  }
  /** A valid JSON document of exactly n bytes (n ≥ 40). */
  json(n) {
    const head = `{"id":${this.rng.int(1, 9_999_999)},"status":"ok","data":"`;
    const tail = '"}';
    return head + this.text(Math.max(0, n - head.length - tail.length)) + tail;
  }
  /** text/html or javascript body of exactly n bytes. */
  page(n) {
    const head = '<!DOCTYPE html><html><head><title>shop</title></head><body><p>';
    const tail = '</p></body></html>\n';
    if (n < head.length + tail.length) return this.text(n);
    return head + this.text(n - head.length - tail.length) + tail;
  }
}

/** Body size: log-normal around a few hundred bytes with a heavy tail (a few responses of tens of KB). */
function bodySize(rng, median, sigma, max) {
  return Math.max(40, Math.min(max, Math.round(median * Math.exp(sigma * rng.normal()))));
}

// ---------------------------------------------------------------- TCP flags and packet plans
const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;
const C2S = 0, S2C = 1;
const OPT_NONE = 0, OPT_TS = 1, OPT_SYN = 2;
const DELAYED_ACK_US = 40_000;
const MIN_RTO_US = 200_000;

/** Builds the whole packet plan of one connection (sorted by time) and updates the stats. */
function planConnection(rng, content, stats, id, t0, client, server) {
  const c = {
    id, client, server, v6: !!server.ip6,
    cport: client.nextPort,
    sport: server.port,
    pkts: [],
    idx: 0,
    ipId: [rng.int(0, 65535), rng.int(0, 65535)],
    flowLabel: [rng.u32() & 0xfffff, rng.u32() & 0xfffff],
    tsBase: [rng.u32(), rng.u32()],
    lastTsval: [0, 0],
  };
  client.nextPort = client.nextPort >= 60999 ? 32768 : client.nextPort + 1;
  const mss = c.v6 ? 1440 : 1460;
  const rtt = rng.logUniform(100, 5000);
  const srvDelay = () => rng.int(8, 60);
  const ser = (len) => Math.max(1, Math.ceil(((len + 78) * 8) / 1000)); // 1 Gbit/s on the wire
  const push = (ts, dir, flags, seq, ack, data = null, opt = OPT_TS) => {
    c.pkts.push({ ts: Math.round(ts), dir, flags, seq: seq >>> 0, ack: ack >>> 0, data, opt });
  };
  let cSeq = rng.u32(), sSeq = rng.u32();
  let t = t0;

  // --- handshake
  push(t, C2S, SYN, cSeq, 0, null, OPT_SYN);
  if (rng.chance(0.002)) { // no SYN/ACK seen for 1 s: SYN retransmitted
    t += 1_000_000;
    push(t, C2S, SYN, cSeq, 0, null, OPT_SYN);
    stats.retransmissions++;
  }
  cSeq = (cSeq + 1) >>> 0;
  if (rng.chance(0.003)) { // connection refused
    push(t + srvDelay(), S2C, RST | ACK, 0, cSeq, null, OPT_NONE);
    stats.refused++;
    stats.resets++;
    return finish(c, stats);
  }
  t += srvDelay();
  push(t, S2C, SYN | ACK, sSeq, cSeq, null, OPT_SYN);
  sSeq = (sSeq + 1) >>> 0;
  t += rtt;
  push(t, C2S, ACK, cSeq, sSeq);

  // --- keep-alive exchanges
  const isStatic = server.host.startsWith('static');
  const ua = rng.pick(USER_AGENTS);
  const lang = rng.pick(LANGS);
  const cookie = rng.chance(0.6) ? `session=${hex(rng, 32)}; _ga=GA1.2.${rng.int(1e8, 1e9 - 1)}.${rng.int(1.6e9, 1.7e9)}` : null;
  const nReq = Math.min(120, 1 + Math.floor(rng.expo(11)));
  const closeKind = rng.next(); // < .02 client RST, < .30 server closes on "Connection: close", < .38 server idle timeout, else client FIN
  let cwnd = 10;
  let pendingAck = null; // client's delayed ACK of the last response: { at, ack }
  t += rng.int(20, 400);

  const flushPendingAckBefore = (when) => {
    if (pendingAck && pendingAck.at < when) push(pendingAck.at, C2S, ACK, cSeq, pendingAck.ack);
    pendingAck = null;
  };

  for (let r = 0; r < nReq; r++) {
    const last = r === nReq - 1;
    const connClose = last && closeKind >= 0.02 && closeKind < 0.30;
    // ---- request
    const m = rng.next();
    const method = isStatic ? 'GET' : m < 0.72 ? 'GET' : m < 0.92 ? 'POST' : m < 0.97 ? 'PUT' : 'DELETE';
    const res = rng.pick(RESOURCES);
    const path = isStatic ? rng.pick(STATIC)
      : method === 'GET' && rng.chance(0.4) ? `/api/v1/${res}?page=${rng.int(1, 40)}&limit=${rng.pick([10, 20, 50])}&sort=created_at`
      : method === 'POST' ? `/api/v1/${res}`
      : `/api/v1/${res}/${rng.int(1, 999_999)}`;
    const reqId = `${hex(rng, 8)}-${hex(rng, 4)}-4${hex(rng, 3)}-a${hex(rng, 3)}-${hex(rng, 12)}`;
    const etagGet = method === 'GET' && rng.chance(0.08);
    let reqBody = '';
    if (method === 'POST' || method === 'PUT') reqBody = content.json(rng.chance(0.03) ? rng.int(3000, 9000) : bodySize(rng, 220, 0.8, 2500));
    let reqHead = `${method} ${path} HTTP/1.1\r\nHost: ${server.host}\r\nUser-Agent: ${ua}\r\n`
      + `Accept: ${isStatic ? '*/*' : 'application/json'}\r\nAccept-Encoding: gzip, deflate, br\r\nAccept-Language: ${lang}\r\n`
      + `X-Request-ID: ${reqId}\r\n`;
    if (cookie) reqHead += `Cookie: ${cookie}\r\n`;
    if (etagGet) reqHead += `If-None-Match: "${hex(rng, 16)}"\r\n`;
    if (reqBody) reqHead += `Content-Type: application/json\r\nContent-Length: ${reqBody.length}\r\n`;
    reqHead += `Connection: ${connClose ? 'close' : 'keep-alive'}\r\n\r\n`;
    const reqBuf = Buffer.from(reqHead + reqBody, 'latin1');
    stats.requests++;
    stats.methods[method] = (stats.methods[method] ?? 0) + 1;

    // client pure delayed ACK of the previous response, unless this request carries it
    flushPendingAckBefore(t);
    const reqSegs = Math.ceil(reqBuf.length / mss);
    let tq = t;
    let tReqLast = t;
    const reqRetrans = rng.chance(0.002);
    for (let k = 0; k < reqSegs; k++) {
      const off = k * mss;
      const len = Math.min(mss, reqBuf.length - off);
      push(tq, C2S, k === reqSegs - 1 ? PSH | ACK : ACK, cSeq + off, sSeq, reqBuf.subarray(off, off + len));
      tReqLast = tq;
      if (k % 2 === 1 && !(reqRetrans && k === reqSegs - 1)) {
        push(tq + srvDelay(), S2C, ACK, sSeq, cSeq + off + len); // server acks every second segment
      }
      tq += ser(len);
    }
    if (reqRetrans) { // the server never got the last request segment: the client retransmits it after the RTO
      const off = (reqSegs - 1) * mss;
      tReqLast += MIN_RTO_US + rtt;
      push(tReqLast, C2S, PSH | ACK, cSeq + off, sSeq, reqBuf.subarray(off));
      stats.retransmissions++;
    }
    cSeq = (cSeq + reqBuf.length) >>> 0;

    // ---- response
    const q = rng.next();
    let status;
    if (etagGet) status = 304;
    else if (q < 0.04) status = 404;
    else if (q < 0.055) status = 500;
    else if (method === 'POST') status = 201;
    else if (method === 'DELETE') status = 204;
    else status = 200;
    const appTime = status === 500 ? rng.logUniform(5_000, 200_000)
      : status === 404 ? rng.logUniform(80, 1_500)
      : isStatic ? rng.logUniform(60, 800)
      : rng.logUniform(150, 60_000);
    // the server's delayed ACK when the response takes long (unless it already acked the whole request)
    const reqFullyAcked = reqSegs % 2 === 0 && !reqRetrans;
    if (appTime > DELAYED_ACK_US && !reqFullyAcked) push(tReqLast + DELAYED_ACK_US, S2C, ACK, sSeq, cSeq);
    const tResp = tReqLast + appTime;

    let body = '';
    let ctype = 'application/json';
    if (status === 200) {
      if (isStatic) { body = content.page(bodySize(rng, 1500, 1.1, 60_000)); ctype = path.endsWith('.js') ? 'application/javascript' : path.endsWith('.css') ? 'text/css' : 'text/html'; }
      else body = content.json(bodySize(rng, 180, 1.2, 64_000));
    } else if (status === 201) body = content.json(bodySize(rng, 120, 0.5, 800));
    else if (status === 404) { body = content.page(bodySize(rng, 150, 0.3, 600)); ctype = 'text/html'; }
    else if (status === 500) body = `{"error":"internal","request_id":"${reqId}"}`;
    const chunked = body.length > 0 && status === 200 && rng.chance(0.2);
    let respHead = `HTTP/1.1 ${status} ${REASON[status]}\r\nDate: ${new Date(Math.floor((BASE_TS_US + tResp) / 1000)).toUTCString()}\r\n`
      + `Server: ${server.server}\r\n`;
    if (status !== 204 && status !== 304) respHead += `Content-Type: ${ctype}\r\n`;
    let wireBody = body;
    if (chunked) {
      respHead += 'Transfer-Encoding: chunked\r\n';
      wireBody = '';
      for (let off = 0; off < body.length;) {
        const n = Math.min(body.length - off, rng.int(512, 8192));
        wireBody += `${n.toString(16)}\r\n${body.slice(off, off + n)}\r\n`;
        off += n;
      }
      wireBody += '0\r\n\r\n';
    } else if (status !== 204 && status !== 304) respHead += `Content-Length: ${body.length}\r\n`;
    if (status === 200 || status === 304) respHead += `ETag: "${hex(rng, 16)}"\r\nCache-Control: ${isStatic ? 'public, max-age=86400' : 'no-cache'}\r\n`;
    respHead += `X-Request-ID: ${reqId}\r\nConnection: ${connClose ? 'close' : 'keep-alive'}\r\n\r\n`;
    const respBuf = Buffer.from(respHead + wireBody, 'latin1');
    stats.responses++;
    stats.statuses[status] = (stats.statuses[status] ?? 0) + 1;
    if (chunked) stats.chunked++;

    // segments paced by the congestion window; the client acks every second segment one RTT later
    // segment boundaries; a chunked body's terminator "0\r\n\r\n" is never split (Wireshark 4.0 flags that as malformed)
    const bounds = [];
    for (let off = 0; off < respBuf.length; off += mss) bounds.push(off);
    const n = bounds.length;
    bounds.push(respBuf.length);
    if (chunked && n > 1 && respBuf.length - bounds[n - 1] < 5) bounds[n - 1] = respBuf.length - 5;
    const tailLoss = rng.chance(0.003);
    const ackEvents = []; // { t, upto } in segments, increasing t
    let acked = 0, ackPtr = 0;
    let ts = tResp;
    let tLast = ts;
    for (let i = 0; i < n; i++) {
      while (ackPtr < ackEvents.length && (i - acked >= cwnd || ackEvents[ackPtr].t <= ts)) {
        const ev = ackEvents[ackPtr++];
        if (ev.t + 5 > ts) ts = ev.t + 5;
        cwnd = Math.min(100, cwnd + (ev.upto - acked));
        acked = ev.upto;
      }
      const off = bounds[i];
      const len = bounds[i + 1] - off;
      push(ts, S2C, i === n - 1 ? PSH | ACK : ACK, sSeq + off, cSeq, respBuf.subarray(off, off + len));
      tLast = ts;
      const lostHere = tailLoss && i === n - 1;
      if (i % 2 === 1 && i < n - 1) {
        ackEvents.push({ t: ts + rtt, upto: i + 1 });
        push(ts + rtt, C2S, ACK, cSeq, sSeq + off + len);
      } else if (i === n - 1 && !lostHere) {
        if (i % 2 === 1) push(ts + rtt, C2S, ACK, cSeq, sSeq + off + len);
        else pendingAck = { at: ts + rtt + DELAYED_ACK_US, ack: sSeq + off + len };
      } else if (lostHere && i % 2 === 1) {
        // the client only holds segment i-1 unacked: its delayed ACK fires before the retransmission
        push(ts - ser(mss) + rtt + DELAYED_ACK_US, C2S, ACK, cSeq, sSeq + off);
      }
      ts += ser(len);
    }
    if (tailLoss) {
      const off = bounds[n - 1];
      tLast += MIN_RTO_US + rtt;
      push(tLast, S2C, PSH | ACK, sSeq + off, cSeq, respBuf.subarray(off));
      push(tLast + rtt, C2S, ACK, cSeq, sSeq + respBuf.length);
      pendingAck = null;
      stats.retransmissions++;
    }
    sSeq = (sSeq + respBuf.length) >>> 0;

    // ---- next request after the client's think time
    if (!last) {
      const k = rng.next();
      const think = k < 0.45 ? rng.int(50, 3_000) : k < 0.85 ? rng.logUniform(5_000, 200_000) : rng.logUniform(300_000, 3_000_000);
      t = tLast + rtt + think;
    } else {
      t = tLast + rtt;
    }
  }

  // --- close
  if (closeKind < 0.02) { // the client aborts
    t += rng.int(100, 20_000);
    pendingAck = null;
    push(t, C2S, RST | ACK, cSeq, sSeq);
    stats.resets++;
  } else if (closeKind < 0.38) { // the server closes: right after "Connection: close", or after its 5 s idle timeout
    let tf = closeKind < 0.30 ? t - rtt + rng.int(20, 200) : t - rtt + 5_000_000;
    if (pendingAck && pendingAck.at < tf + rtt) flushPendingAckBefore(tf + rtt);
    pendingAck = null;
    push(tf, S2C, FIN | ACK, sSeq, cSeq);
    sSeq = (sSeq + 1) >>> 0;
    tf += rtt + rng.int(10, 300);
    push(tf, C2S, FIN | ACK, cSeq, sSeq);
    cSeq = (cSeq + 1) >>> 0;
    push(tf + srvDelay(), S2C, ACK, sSeq, cSeq);
  } else { // the client closes after some idle time
    t += rng.logUniform(100_000, 3_000_000);
    flushPendingAckBefore(t);
    push(t, C2S, FIN | ACK, cSeq, sSeq);
    cSeq = (cSeq + 1) >>> 0;
    t += srvDelay() + rng.int(10, 150);
    push(t, S2C, FIN | ACK, sSeq, cSeq);
    sSeq = (sSeq + 1) >>> 0;
    push(t + rtt, C2S, ACK, cSeq, sSeq);
  }
  return finish(c, stats);
}

function finish(c, stats) {
  c.pkts.sort((a, b) => a.ts - b.ts); // stable: equal times keep their planned order
  stats.connections++;
  if (c.v6) stats.ipv6Connections++;
  stats.plannedPackets += c.pkts.length;
  return c;
}

// ---------------------------------------------------------------- packet encoding
function onesSum(buf, start, end, acc) {
  let i = start;
  for (; i + 1 < end; i += 2) acc += (buf[i] << 8) | buf[i + 1];
  if (i < end) acc += buf[i] << 8;
  return acc;
}
function fold(acc) {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 65536);
  return (~acc) & 0xffff;
}

/** Writes the Ethernet frame of packet p of connection c at buf[pos]; returns its length. */
function encodeFrame(buf, pos, c, p) {
  const fromClient = p.dir === C2S;
  const srcHost = fromClient ? c.client : c.server;
  const dstHost = fromClient ? c.server : c.client;
  // Ethernet: client frames come in through the router, server frames go out to it
  (fromClient ? c.server.mac : ROUTER_MAC).copy(buf, pos);
  (fromClient ? ROUTER_MAC : c.server.mac).copy(buf, pos + 6);
  buf.writeUInt16BE(c.v6 ? 0x86dd : 0x0800, pos + 12);
  const ipPos = pos + 14;
  const optLen = p.opt === OPT_SYN ? 20 : p.opt === OPT_TS ? 12 : 0;
  const tcpLen = 20 + optLen + (p.data ? p.data.length : 0);
  let tcpPos;
  if (c.v6) {
    buf.writeUInt32BE((0x60000000 | c.flowLabel[p.dir]) >>> 0, ipPos);
    buf.writeUInt16BE(tcpLen, ipPos + 4);
    buf[ipPos + 6] = 6;
    buf[ipPos + 7] = fromClient ? 63 : 64;
    srcHost.addr.copy(buf, ipPos + 8);
    dstHost.addr.copy(buf, ipPos + 24);
    tcpPos = ipPos + 40;
  } else {
    buf[ipPos] = 0x45;
    buf[ipPos + 1] = 0;
    buf.writeUInt16BE(20 + tcpLen, ipPos + 2);
    const isRefusal = p.opt === OPT_NONE && !fromClient && (p.flags & RST) !== 0;
    buf.writeUInt16BE(isRefusal ? 0 : c.ipId[p.dir], ipPos + 4);
    c.ipId[p.dir] = (c.ipId[p.dir] + 1) & 0xffff;
    buf.writeUInt16BE(0x4000, ipPos + 6); // DF
    buf[ipPos + 8] = fromClient ? 63 : 64;
    buf[ipPos + 9] = 6;
    buf[ipPos + 10] = 0;
    buf[ipPos + 11] = 0;
    srcHost.addr.copy(buf, ipPos + 12);
    dstHost.addr.copy(buf, ipPos + 16);
    buf.writeUInt16BE(fold(onesSum(buf, ipPos, ipPos + 20, 0)), ipPos + 10);
    tcpPos = ipPos + 20;
  }
  buf.writeUInt16BE(fromClient ? c.cport : c.sport, tcpPos);
  buf.writeUInt16BE(fromClient ? c.sport : c.cport, tcpPos + 2);
  buf.writeUInt32BE(p.seq, tcpPos + 4);
  buf.writeUInt32BE((p.flags & ACK) ? p.ack : 0, tcpPos + 8);
  buf[tcpPos + 12] = ((20 + optLen) / 4) << 4;
  buf[tcpPos + 13] = p.flags;
  const win = (p.flags & SYN) ? (fromClient ? 64240 : 65160) : (p.flags & RST) && p.opt === OPT_NONE ? 0 : fromClient ? 502 : 509;
  buf.writeUInt16BE(win, tcpPos + 14);
  buf.writeUInt32BE(0, tcpPos + 16); // checksum, urgent pointer
  const tsval = (c.tsBase[p.dir] + Math.floor(p.ts / 1000)) >>> 0;
  const tsecr = c.lastTsval[1 - p.dir];
  c.lastTsval[p.dir] = tsval;
  let o = tcpPos + 20;
  if (p.opt === OPT_SYN) {
    buf[o] = 2; buf[o + 1] = 4; buf.writeUInt16BE(c.v6 ? 1440 : 1460, o + 2); // MSS
    buf[o + 4] = 4; buf[o + 5] = 2; // SACK permitted
    buf[o + 6] = 8; buf[o + 7] = 10; buf.writeUInt32BE(tsval, o + 8); buf.writeUInt32BE((p.flags & ACK) ? tsecr : 0, o + 12);
    buf[o + 16] = 1; // NOP
    buf[o + 17] = 3; buf[o + 18] = 3; buf[o + 19] = 7; // window scale 7
  } else if (p.opt === OPT_TS) {
    buf[o] = 1; buf[o + 1] = 1; buf[o + 2] = 8; buf[o + 3] = 10;
    buf.writeUInt32BE(tsval, o + 4);
    buf.writeUInt32BE(tsecr, o + 8);
  }
  o += optLen;
  if (p.data) { p.data.copy(buf, o); o += p.data.length; }
  // TCP checksum over the pseudo-header and the segment
  let acc = c.v6 ? onesSum(buf, ipPos + 8, ipPos + 40, 0) + tcpLen + 6 : onesSum(buf, ipPos + 12, ipPos + 20, 0) + 6 + tcpLen;
  acc = onesSum(buf, tcpPos, o, acc);
  buf.writeUInt16BE(fold(acc), tcpPos + 16);
  return o - pos;
}

// ---------------------------------------------------------------- file writer
class Writer {
  constructor(path, format) {
    this.path = path;
    this.tmp = `${path}.tmp-${process.pid}`;
    this.format = format;
    this.fd = openSync(this.tmp, 'w');
    this.buf = Buffer.alloc(8 << 20);
    this.pos = 0;
    this.bytes = 0;
    this.hash = createHash('sha256');
    if (format === 'pcap') {
      const h = this.buf;
      h.writeUInt32LE(0xa1b2c3d4, 0); // microsecond timestamps, little-endian
      h.writeUInt16LE(2, 4);
      h.writeUInt16LE(4, 6);
      h.writeInt32LE(0, 8); // thiszone
      h.writeUInt32LE(0, 12); // sigfigs
      h.writeUInt32LE(262144, 16); // snaplen
      h.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
      this.pos = 24;
    } else {
      const h = this.buf;
      // Section Header Block
      h.writeUInt32LE(0x0a0d0d0a, 0);
      h.writeUInt32LE(28, 4);
      h.writeUInt32LE(0x1a2b3c4d, 8);
      h.writeUInt16LE(1, 12);
      h.writeUInt16LE(0, 14);
      h.writeInt32LE(-1, 16); // section length unknown (64-bit -1)
      h.writeInt32LE(-1, 20);
      h.writeUInt32LE(28, 24);
      // Interface Description Block: Ethernet, snaplen 262144, default µs resolution, no options
      h.writeUInt32LE(1, 28);
      h.writeUInt32LE(20, 32);
      h.writeUInt16LE(1, 36);
      h.writeUInt16LE(0, 38);
      h.writeUInt32LE(262144, 40);
      h.writeUInt32LE(20, 44);
      this.pos = 48;
    }
  }
  packet(c, p) {
    if (this.buf.length - this.pos < 4096) this.flush();
    const b = this.buf;
    const ts = BASE_TS_US + p.ts;
    if (this.format === 'pcap') {
      const len = encodeFrame(b, this.pos + 16, c, p);
      b.writeUInt32LE(Math.floor(ts / 1_000_000), this.pos);
      b.writeUInt32LE(ts % 1_000_000, this.pos + 4);
      b.writeUInt32LE(len, this.pos + 8);
      b.writeUInt32LE(len, this.pos + 12);
      this.pos += 16 + len;
    } else {
      const len = encodeFrame(b, this.pos + 28, c, p);
      const padded = (len + 3) & ~3;
      b.fill(0, this.pos + 28 + len, this.pos + 28 + padded);
      const total = 32 + padded;
      b.writeUInt32LE(6, this.pos);
      b.writeUInt32LE(total, this.pos + 4);
      b.writeUInt32LE(0, this.pos + 8);
      b.writeUInt32LE(Math.floor(ts / 4294967296), this.pos + 12);
      b.writeUInt32LE(ts % 4294967296, this.pos + 16);
      b.writeUInt32LE(len, this.pos + 20);
      b.writeUInt32LE(len, this.pos + 24);
      b.writeUInt32LE(total, this.pos + 28 + padded);
      this.pos += total;
    }
  }
  flush() {
    const chunk = this.buf.subarray(0, this.pos);
    this.hash.update(chunk);
    for (let off = 0; off < chunk.length;) off += writeSync(this.fd, chunk, off, chunk.length - off);
    this.bytes += this.pos;
    this.pos = 0;
  }
  close() {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
    return this.hash.digest('hex');
  }
  abort() {
    try { closeSync(this.fd); } catch { /* already closed */ }
    try { unlinkSync(this.tmp); } catch { /* gone */ }
  }
}

// ---------------------------------------------------------------- min-heap of connections by next packet time
function heapKeyLess(a, b) {
  const ta = a.pkts[a.idx].ts, tb = b.pkts[b.idx].ts;
  return ta < tb || (ta === tb && a.id < b.id);
}
function heapPush(h, c) {
  h.push(c);
  let i = h.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!heapKeyLess(h[i], h[parent])) break;
    [h[i], h[parent]] = [h[parent], h[i]];
    i = parent;
  }
}
function heapSiftDown(h, i) {
  const n = h.length;
  for (;;) {
    const l = 2 * i + 1, r = l + 1;
    let m = i;
    if (l < n && heapKeyLess(h[l], h[m])) m = l;
    if (r < n && heapKeyLess(h[r], h[m])) m = r;
    if (m === i) return;
    [h[i], h[m]] = [h[m], h[i]];
    i = m;
  }
}

// ---------------------------------------------------------------- main entry
/**
 * Generates the capture. Returns the stats: packets, bytes, sha256, connections (= TCP conversations),
 * requests/responses by method and status, retransmissions, resets, refused, ipv6Connections.
 */
/**
 * `services` > 0 replaces the IPv4 servers by that many (10.3.x.y:8080, svc-N.bench.svc.cluster.local, equal weights):
 * a wide service map for the app benchmark. The default (0) keeps the shop topology above, byte for byte.
 */
export function syntheticServers(n) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const addr = Buffer.from([10, 3, 1 + Math.floor(i / 250), 1 + (i % 250)]);
    out.push({ ip: [...addr], addr, port: 8080, host: `svc-${i}.bench.svc.cluster.local:8080`, server: 'envoy', weight: 1,
      mac: Buffer.from([0x02, 0x42, 0x0a, 0x03, addr[2], addr[3]]) });
  }
  return out;
}

export function generateCapture({ out, packets = DEFAULT_PACKETS, format = 'pcap', seed = 1, services = 0 }) {
  if (format !== 'pcap' && format !== 'pcapng') throw new Error(`unknown format ${format}`);
  if (!Number.isInteger(services) || services < 0 || services > 60000) throw new Error('services must be an integer 0..60000');
  const v4Servers = services > 0 ? syntheticServers(services) : V4_SERVERS;
  const v4Weight = v4Servers.reduce((n, s) => n + s.weight, 0);
  const started = performance.now();
  const rng = makeRng(seed);
  const content = new Content(rng);
  const clients = [];
  for (let i = 0; i < N_V4_CLIENTS; i++) {
    const addr = Buffer.from([10, 1, 1 + Math.floor(i / 254), 1 + (i % 254)]);
    clients.push({ addr, nextPort: rng.int(32768, 60999) });
  }
  const clients6 = [];
  for (let i = 0; i < N_V6_CLIENTS; i++) {
    clients6.push({ addr: ip6Bytes(`fd00:1::${(0x100 + i).toString(16)}`), nextPort: rng.int(32768, 60999) });
  }
  const stats = {
    format, seed, targetPackets: packets, packets: 0, bytes: 0, sha256: '',
    connections: 0, ipv6Connections: 0, refused: 0, resets: 0, retransmissions: 0,
    requests: 0, responses: 0, chunked: 0, methods: {}, statuses: {}, plannedPackets: 0,
    firstTs: '', lastTs: '', seconds: 0,
  };
  const w = new Writer(out, format);
  try {
    const heap = [];
    let nextArrival = 0;
    let nextId = 0;
    let lastTs = 0;
    for (;;) {
      while (stats.plannedPackets < packets && (heap.length === 0 || nextArrival <= heap[0].pkts[heap[0].idx].ts)) {
        const v6 = rng.chance(V6_CLIENT_SHARE);
        let server;
        if (v6) server = rng.pick(V6_SERVERS);
        else {
          let x = rng.int(1, v4Weight);
          server = v4Servers.find((s) => (x -= s.weight) <= 0);
        }
        const client = v6 ? rng.pick(clients6) : rng.pick(clients);
        heapPush(heap, planConnection(rng, content, stats, nextId++, Math.round(nextArrival), client, server));
        nextArrival += rng.expo(1_000_000 / CONN_ARRIVALS_PER_SEC);
      }
      if (heap.length === 0) break;
      const c = heap[0];
      const p = c.pkts[c.idx];
      w.packet(c, p);
      lastTs = p.ts;
      stats.packets++;
      c.pkts[c.idx] = null; // let payloads go
      c.idx++;
      if (c.idx < c.pkts.length) heapSiftDown(heap, 0);
      else {
        const end = heap.pop();
        if (heap.length > 0) { heap[0] = end; heapSiftDown(heap, 0); }
      }
    }
    stats.sha256 = w.close();
    stats.bytes = w.bytes;
    stats.firstTs = new Date(BASE_TS_US / 1000).toISOString();
    stats.lastTs = new Date((BASE_TS_US + lastTs) / 1000).toISOString();
  } catch (err) {
    w.abort();
    throw err;
  }
  stats.seconds = Number(((performance.now() - started) / 1000).toFixed(2));
  delete stats.plannedPackets;
  return stats;
}

function parseArgs(argv) {
  const args = { out: '', packets: DEFAULT_PACKETS, format: 'pcap', seed: 1, services: 0, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--out') args.out = val();
    else if (a === '--packets') args.packets = Number(val().replace(/_/g, ''));
    else if (a === '--format') args.format = val();
    else if (a === '--seed') args.seed = Number(val());
    else if (a === '--services') args.services = Number(val());
    else if (a === '--json') args.json = true;
    else if (a === '-h' || a === '--help') args.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.help && !args.out) throw new Error('--out FILE is required');
  if (!Number.isInteger(args.packets) || args.packets < 1) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(args.seed)) throw new Error('--seed must be an integer');
  if (args.format !== 'pcap' && args.format !== 'pcapng') throw new Error('--format must be pcap or pcapng');
  return args;
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`gen-http-capture: ${err.message}\nusage: node bench/gen-http-capture.mjs --out FILE [--packets N] [--format pcap|pcapng] [--seed S] [--json]\n`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write('usage: node bench/gen-http-capture.mjs --out FILE [--packets N] [--format pcap|pcapng] [--seed S] [--json]\n');
    process.exit(0);
  }
  const s = generateCapture(args);
  if (args.json) process.stdout.write(`${JSON.stringify(s)}\n`);
  else {
    process.stdout.write(
      `${args.out}: ${s.format}, ${s.packets} packets, ${s.bytes} bytes (${(s.bytes / 1e6).toFixed(1)} MB), ${s.connections} TCP connections `
      + `(${s.ipv6Connections} IPv6, ${s.refused} refused), ${s.requests} requests, ${s.responses} responses, `
      + `${s.retransmissions} retransmissions, ${s.resets} resets, ${s.firstTs} .. ${s.lastTs}, generated in ${s.seconds} s\n`
      + `methods ${JSON.stringify(s.methods)} statuses ${JSON.stringify(s.statuses)}\n`
      + `sha256 ${s.sha256}\n`,
    );
  }
}
