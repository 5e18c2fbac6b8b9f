// Interop with tshark 4.0: a bundle from BundleWriter opens cleanly, its exported PDUs dissect as HTTP/MySQL, and frames match.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { RecordType } from './constants.js';
import { readCaptureBuffer } from './reader.js';
import { findTool } from './test-support/capture-builder.js';
import { BundleWriter } from './writer.js';

const tshark = findTool('tshark');
const capinfos = findTool('capinfos');

/** Fails under CI, and otherwise prints why the test could not run (never a silent skip). */
function tsharkMissing(): boolean {
  if (tshark) return false;
  const why = `tshark is not installed (apt-get install tshark): the tshark interop test could not run`;
  if (process.env.CI) throw new Error(why);
  console.warn(`[bundle/tshark.test] ${why}`);
  return true;
}

/** An IPv4/TCP SYN 10.0.0.1:40000 → 10.0.0.2:80 in Ethernet, with a correct IP checksum. */
function synFrame(): Buffer {
  const ip = Buffer.from('45000028000100004006000' + '0' + '0a000001' + '0a000002', 'hex');
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ip.readUInt16BE(i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  ip.writeUInt16BE(~sum & 0xffff, 10);
  const tcp = Buffer.from('9c40005000000001000000005002ffff00000000', 'hex');
  return Buffer.concat([Buffer.from('0200000000020200000000010800', 'hex'), ip, tcp]);
}

function buildBundle(): Buffer {
  const parts: Buffer[] = [];
  const w = new BundleWriter((b) => parts.push(b), { hardware: 'x86_64', os: 'Linux', userAppl: 'rewind tshark test', host: 'node-a', config: { sources: ['pcap', 'ebpf'] } });
  const eth = w.addInterface({ linkType: 1, name: 'eth0', observationPoint: { host: 'node-a', tapSide: 'node-nic' } });
  const pdu = w.addInterface({ linkType: 252, name: 'ebpf', observationPoint: { host: 'node-a', tapSide: 'process' } });
  w.writePacket(eth, 1700000000_000000001n, synFrame(), { flags: 2 });
  w.writeExportedPdu(
    pdu,
    1700000000_100000000n,
    { proto: 'http', ipVersion: 4, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 80, portType: 2 },
    Buffer.from('GET /index.html HTTP/1.1\r\nHost: web\r\n\r\n'),
    {
      ebpf: { pid: 7, tid: 8, comm: 'curl', fd: 3, socketId: 11n, direction: 'egress', syscall: 'write', tcpSeq: 2, syscallTraceId: 5n, capSeq: 1, syscallLen: 39, capturedLen: 39, tls: false },
    },
  );
  w.writeRecord(RecordType.K8S_SNAPSHOT, { pods: [{ name: 'web-pod', ip: '10.0.0.2' }] });
  w.writeExportedPdu(pdu, 1700000000_200000000n, { proto: 'mysql', ipVersion: 6, src: 'fd00::1', dst: 'fd00::2', srcPort: 40001, dstPort: 3306, portType: 2 }, Buffer.from('0100000001', 'hex'));
  w.writeNameResolution([{ type: 'ipv4', address: '10.0.0.2', names: ['web-pod'] }]);
  w.writeInterfaceStats(eth, 1700000001_000000000n, { ifRecv: 10, ifDrop: 1, osDrop: 2 });
  w.writeTlsKeyLog(`CLIENT_RANDOM ${'00'.repeat(32)} ${'00'.repeat(48)}\n`);
  w.writeSummary();
  return Buffer.concat(parts);
}

function run(tool: string, args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  // tshark warns when run as root; that line is not an error about the file.
  const stderr = r.stderr.split('\n').filter((l) => l.trim() && !l.includes('Running as user "root"')).join('\n');
  return { stdout: r.stdout, stderr, status: r.status };
}

describe('tshark interop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rewind-tshark-'));
  const file = join(dir, 'bundle.pcapng');
  const bundle = buildBundle();
  writeFileSync(file, bundle);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('tshark -r reads the bundle without errors', () => {
    if (tsharkMissing()) return;
    const r = run(tshark as string, ['-r', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('GET /index.html HTTP/1.1');
    expect(r.stdout).toMatch(/Custom Block: PEN = .*32473/);
  });

  test('the exported PDUs dissect as HTTP and MySQL; frame numbers and times match the reader', () => {
    if (tsharkMissing()) return;
    const fields = ['frame.number', 'frame.time_epoch', 'frame.interface_name', 'frame.protocols', 'http.request.method', 'http.request.uri', 'ip.src', 'tcp.srcport', 'ipv6.dst'];
    const out = execFileSync(tshark as string, ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const rows = out.trim().split('\n').map((l) => l.split('\t'));
    expect(rows[0].slice(2, 4)).toEqual(['eth0', 'eth:ethertype:ip:tcp']);
    // tshark fills ip.src from the exported-PDU address tags.
    expect(rows[1].slice(2, 7)).toEqual(['ebpf', 'exported_pdu:http', 'GET', '/index.html', '10.0.0.1']);
    // tshark 4.0 counts the custom block as frame 3, so the MySQL PDU is frame 4.
    expect(rows[3].slice(2, 4)).toEqual(['ebpf', 'exported_pdu:mysql']);
    expect(rows[3][8]).toBe('fd00::2');
    const ours: string[][] = [];
    readCaptureBuffer(bundle, {
      packet: (p) => ours.push([String(p.frameNumber), `${Math.floor(p.tsUs / 1e6)}.${String(p.tsUs % 1e6).padStart(6, '0')}${String(p.tsSubUsNs).padStart(3, '0')}`]),
    });
    const theirs = rows.filter((r) => r[1] !== '').map((r) => r.slice(0, 2));
    expect(ours).toEqual(theirs);
  });

  test('tshark applies the name resolution block (two-pass)', () => {
    if (tsharkMissing()) return;
    const out = execFileSync(tshark as string, ['-r', file, '-2', '-N', 'n', '-T', 'fields', '-e', 'ip.dst_host'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    // The NRB comes after the packets, so only a two-pass read applies it to frame 1.
    expect(out.split('\n')[0]).toBe('web-pod');
  });

  test('capinfos sees the statistics, name resolution and decryption secrets blocks', () => {
    if (tsharkMissing()) return;
    if (!capinfos) {
      if (process.env.CI) throw new Error('capinfos (package wireshark-common) is missing');
      console.warn('[bundle/tshark.test] capinfos is not installed: the block-count check could not run');
      return;
    }
    const r = run(capinfos, [file]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Number of stat entries = 1/);
    expect(r.stdout).toMatch(/Number of resolved IPv4 addresses in file: 1/);
    expect(r.stdout).toMatch(/Number of decryption secrets in file: 1/);
    expect(r.stdout).toMatch(/Capture application: rewind tshark test/);
  });
});
