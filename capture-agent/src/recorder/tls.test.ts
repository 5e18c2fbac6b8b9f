// TLS plaintext from the OpenSSL probes (root, this kernel): nginx (Debian, libssl) serves HTTPS with a self-signed
// certificate made here, curl (Debian, libcurl over libssl) requests three paths. The wire carries only TLS; the
// bundle carries the plaintext requests and responses of both processes, flagged TLS, and after import each request
// is one HTTP row per side (curl on c-p, nginx on s-p) marked is_tls, with the socket's 5-tuple.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { packetEbpfContext, parseExportedPdu, readCaptureFile } from '@rewind/analysis/bundle';
import { importCaptures, openReadOnly } from '@rewind/analysis';
import { findLibssl, tracerUnavailableReason } from '@rewind/ebpf';
import { recordEbpf } from './ebpf-recorder.js';
import { ci, freePort, nginxConfig, waitForPort } from './test-servers.js';

const why = tracerUnavailableReason()
  ?? (existsSync('/usr/sbin/nginx') ? null : 'nginx is not installed (apt-get install nginx-light)')
  ?? (existsSync('/usr/bin/curl') ? null : 'curl is not installed (apt-get install curl)')
  ?? (existsSync('/usr/bin/openssl') ? null : 'openssl is not installed (apt-get install openssl)')
  ?? (findLibssl().length > 0 ? null : 'no libssl found (apt-get install libssl3)');
if (why !== null) console.log(`TLS recording tests cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-tls-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});



const PATHS = ['/secret/one', '/secret/two', '/secret/three'];

describe.skipIf(why !== null && !ci)('recording HTTPS through the OpenSSL probes (root, this kernel)', () => {
  test('nginx and curl over TLS: the plaintext requests are in the bundle and in l7_flow_log once per side', async () => {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const gen = spawnSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=localhost'], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const port = await freePort();
    writeFileSync(path.join(dir, 'nginx.conf'), nginxConfig(dir, `    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location /secret { return 200 'tls ok'; }`));
    const nginx = spawn('/usr/sbin/nginx', ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
    children.push(nginx);
    await waitForPort(port);

    const out = path.join(dir, 'tls.pcapng');
    const stop = new AbortController();
    const recording = recordEbpf({ out, signal: stop.signal, durationMs: 30_000, host: 'lab', port });
    await new Promise((r) => setTimeout(r, 300));
    // One curl process, three requests on one kept-alive TLS connection.
    const curl = spawnSync('/usr/bin/curl', ['-sk', '--http1.1', ...PATHS.map((p) => `https://127.0.0.1:${port}${p}`)], { encoding: 'utf8' });
    expect(curl.status, curl.stderr).toBe(0);
    expect(curl.stdout).toBe('tls ok'.repeat(3));
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    const summary = await recording;
    expect(summary.counters.dropped).toBe(0);
    expect(summary.tls.attached.length).toBeGreaterThan(0);
    expect(summary.counters.tlsEvents).toBeGreaterThanOrEqual(12); // 3 requests × (curl write + nginx read + nginx write + curl read)
    expect(summary.counters.tlsNoFd).toBe(0);

    // In the bundle: plaintext PDUs flagged TLS, from curl and from nginx.
    const plain: Array<{ comm: string; text: string; syscall: string }> = [];
    await readCaptureFile(out, {
      packet(p) {
        const ctx = packetEbpfContext(p);
        if (!ctx?.tls) return;
        const pdu = parseExportedPdu(p.data);
        plain.push({ comm: ctx.comm, syscall: ctx.syscall, text: p.data.subarray(pdu!.payloadOffset).toString('latin1') });
      },
    });
    for (const p of PATHS) {
      expect(plain.filter((x) => x.comm === 'curl' && x.syscall === 'ssl_write' && x.text.startsWith(`GET ${p} HTTP/1.1`))).toHaveLength(1);
      expect(plain.filter((x) => x.comm === 'nginx' && x.syscall === 'ssl_read' && x.text.startsWith(`GET ${p} HTTP/1.1`))).toHaveLength(1);
    }
    expect(plain.filter((x) => x.comm === 'nginx' && x.syscall === 'ssl_write' && x.text.startsWith('HTTP/1.1 200'))).toHaveLength(3);
    // tshark dissects the plaintext HTTP from the exported PDUs.
    const tshark = spawnSync('tshark', ['-r', out, '-Y', 'http.request', '-T', 'fields', '-e', 'http.request.uri'], { encoding: 'utf8' });
    for (const p of PATHS) expect(tshark.stdout.split('\n').filter((l) => l === p)).toHaveLength(2);

    const db = path.join(dir, 'tls.db');
    await importCaptures({ inputs: [out], dbPath: db });
    const h = openReadOnly(db);
    try {
      const rows = h.prepare(`SELECT tap_side, l7_protocol, request_resource, response_code, is_tls, client_port, server_port, ip_0, ip_1,
        coalesce(process_kname_0, process_kname_1) AS comm FROM l7_flow_log WHERE l7_protocol = 'HTTP' ORDER BY start_time`).all() as Record<string, unknown>[];
      for (const p of PATHS) {
        for (const [side, comm] of [['c-p', 'curl'], ['s-p', 'nginx']]) {
          const r = rows.filter((x) => x.request_resource === p && x.tap_side === side);
          expect({ p, side, n: r.length }).toEqual({ p, side, n: 1 });
          expect(r[0]).toMatchObject({ comm, response_code: 200, is_tls: 1, server_port: port, ip_0: '127.0.0.1', ip_1: '127.0.0.1' });
        }
      }
      // No HTTP row came from the ciphertext.
      expect(rows.filter((x) => x.is_tls !== 1)).toHaveLength(0);
    } finally {
      h.close();
      nginx.kill();
    }
  }, 60_000);
});
