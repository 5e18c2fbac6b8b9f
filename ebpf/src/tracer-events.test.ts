// The tracer's other event kinds and its filters, for real (root, this kernel), with a small C workload
// (test/rwprobe.c, built here with cc): sendmmsg/recvmmsg become one event per message; TCP state changes of its
// connection come as state events; its exec and exit come as process events; the comm filter and the cgroup
// filter keep exactly this process; a machine without BTF is refused with the reason.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { EVENT_KIND, TCP_STATE_NAMES } from './event.js';
import type { SocketEvent } from './event.js';
import { SocketTracer, tracerUnavailableReason } from './loader.js';
import type { SocketTracerOptions } from './loader.js';

const why = tracerUnavailableReason();
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (why !== null) console.log(`tracer event tests cannot run here: ${why}${ci ? ' (CI: failing instead of skipping)' : ''}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'rewind-rwprobe-'));
const exe = path.join(dir, 'rwprobe');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function build(): void {
  const src = fileURLToPath(new URL('../test/rwprobe.c', import.meta.url));
  const r = spawnSync('cc', ['-O1', '-o', exe, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cc failed: ${r.stderr}`);
}

/** Runs the workload under a tracer made with `opts`; `before` sees the child before it starts its I/O. */
async function traced(opts: SocketTracerOptions, before?: (pid: number) => void): Promise<{ events: SocketEvent[]; pid: number; ports: number[] }> {
  const tracer = new SocketTracer(opts);
  const events: SocketEvent[] = [];
  const take = (): void => {
    for (const e of tracer.poll(0).events) events.push({ ...e, payload: Buffer.from(e.payload) });
  };
  try {
    await new Promise((r) => setTimeout(r, 100));
    const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    before?.(child.pid!);
    child.stdin.write('go\n');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    take();
    take();
    expect(tracer.counters().dropped).toBe(0);
    return { events, pid: child.pid!, ports: out.trim().split(' ').map(Number) };
  } finally {
    tracer.close();
  }
}

describe.skipIf(why !== null && !ci)('tracer event kinds and filters (root, this kernel)', () => {
  test('comm filter: sendmmsg/recvmmsg per message, TCP states, exec and exit of exactly this process', async () => {
    build();
    const { events, pid, ports } = await traced({ comm: 'rwprobe' });
    const [udpPort, tcpPort] = ports;
    expect(events.length).toBeGreaterThan(0);
    expect(events.filter((e) => e.kind === EVENT_KIND.data && e.comm !== 'rwprobe')).toHaveLength(0);
    const data = events.filter((e) => e.kind === EVENT_KIND.data && e.pid === pid);
    const msgs = (syscall: string): string[] => data.filter((e) => e.syscall === syscall).map((e) => e.payload.toString());
    expect(msgs('sendmmsg')).toEqual(['mmsg-one', 'mmsg-two', 'mmsg-three']);
    expect(msgs('recvmmsg')).toEqual(['mmsg-one', 'mmsg-two', 'mmsg-three']);
    for (const e of data.filter((x) => x.syscall.endsWith('mmsg'))) expect(e).toMatchObject({ protocol: 17, localAddr: '127.0.0.1' });
    expect(data.find((e) => e.syscall === 'recvmmsg')?.localPort).toBe(udpPort);
    // The TCP connection: the write and the read, and the states the connection went through on both ends.
    expect(data.filter((e) => e.syscall === 'write' && e.payload.toString() === 'ping' && e.remotePort === tcpPort)).toHaveLength(1);
    expect(data.filter((e) => e.syscall === 'read' && e.payload.toString() === 'ping' && e.localPort === tcpPort)).toHaveLength(1);
    const states = events.filter((e) => e.kind === EVENT_KIND.tcpState && (e.localPort === tcpPort || e.remotePort === tcpPort))
      .map((e) => `${TCP_STATE_NAMES[(e.aux >> 8) & 0xff]}>${TCP_STATE_NAMES[e.aux & 0xff]}`);
    expect(states).toContain('CLOSE>SYN_SENT');
    expect(states).toContain('SYN_SENT>ESTABLISHED');
    expect(states).toContain('SYN_RECV>ESTABLISHED');
    expect(states).toContain('ESTABLISHED>FIN_WAIT1');
    // exec (the file executed) and exit of the workload.
    const exec = events.filter((e) => e.kind === EVENT_KIND.exec && e.pid === pid);
    expect(exec.map((e) => e.payload.toString())).toEqual([exe]);
    expect(events.filter((e) => e.kind === EVENT_KIND.exit && e.pid === pid)).toHaveLength(1);
  }, 30_000);

  test('another comm sees none of it', async () => {
    build();
    const { events, pid } = await traced({ comm: 'rwprobe-other' });
    expect(events.filter((e) => e.pid === pid && e.kind !== EVENT_KIND.tcpState)).toHaveLength(0);
  }, 30_000);

  test('cgroup filter: only the process moved into the cgroup', async () => {
    build();
    const root = ['/sys/fs/cgroup/unified', '/sys/fs/cgroup'].find((d) => existsSync(path.join(d, 'cgroup.procs')));
    expect(root, 'a cgroup v2 hierarchy').toBeDefined();
    const cg = path.join(root!, `rewind-test-${process.pid}`);
    mkdirSync(cg, { recursive: true });
    try {
      const { events, pid } = await traced({ cgroup: cg }, (child) => writeFileSync(path.join(cg, 'cgroup.procs'), String(child)));
      const data = events.filter((e) => e.kind === EVENT_KIND.data);
      expect(data.length).toBeGreaterThanOrEqual(8); // 3 + 3 datagrams, one write, one read
      expect(data.filter((e) => e.pid !== pid)).toHaveLength(0);
      expect(events.filter((e) => e.kind === EVENT_KIND.exit && e.pid === pid)).toHaveLength(1);
    } finally {
      for (let i = 0; i < 20; i++) {
        try {
          rmdirSync(cg);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 50)); // the exited child leaves the cgroup a moment later
        }
      }
    }
  }, 30_000);
});

describe('clear refusals', () => {
  test('a kernel without BTF is refused with the reason (as root), a missing loader or object too', () => {
    if (process.getuid?.() !== 0) {
      expect(tracerUnavailableReason({ btf: '/nonexistent/vmlinux' })).toMatch(/root/);
      return;
    }
    expect(tracerUnavailableReason({ btf: '/nonexistent/vmlinux' })).toMatch(/no BTF \(\/nonexistent\/vmlinux is missing/);
    if (process.platform === 'linux' && existsSync('/sys/kernel/btf/vmlinux')) {
      expect(tracerUnavailableReason({ addon: '/nonexistent/rewind_ebpf.node' })).toMatch(/native loader is not built.*libbpf-dev/);
      expect(tracerUnavailableReason({ addon: __filename, object: '/nonexistent/x.bpf.o' })).toMatch(/eBPF object is missing.*make -C ebpf/);
    }
  });
});
