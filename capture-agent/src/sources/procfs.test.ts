// /proc process table: this process reads back as itself; container ids come out of the usual cgroup path shapes.
import { describe, expect, test } from 'vitest';
import { containerIdOf, readProcess, snapshotProcesses } from './procfs.js';

const id = 'a'.repeat(32) + '0123456789abcdef0123456789abcdef';

describe('procfs', () => {
  test.each([
    [`/system.slice/docker-${id}.scope`, id],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/cri-containerd-${id}.scope`, id],
    [`/kubepods/besteffort/pod5678/${id}`, id],
    [`/docker/${id}`, id],
    ['/user.slice/user-0.slice/session-1.scope', null],
    ['/', null],
  ])('container id of %s', (cg, want) => {
    expect(containerIdOf(cg)).toBe(want);
  });

  test('this process reads back with its comm, command line, parent and a start time in the past', () => {
    const me = readProcess(process.pid);
    expect(me).not.toBeNull();
    expect(me?.pid).toBe(process.pid);
    expect(me?.ppid).toBe(process.ppid);
    expect(me?.cmdline[0]).toBe(process.execPath);
    expect(me?.startTimeUs).toBeLessThanOrEqual(Date.now() * 1000);
    expect(me?.startTimeUs).toBeGreaterThan((Date.now() - 24 * 3600 * 1000) * 1000 - 365 * 24 * 3600e6);
  });

  test('a snapshot holds this process and pid 1; a pid that does not exist reads as null', () => {
    const all = snapshotProcesses();
    expect(all.some((p) => p.pid === process.pid)).toBe(true);
    expect(all.some((p) => p.pid === 1)).toBe(true);
    expect(readProcess(2 ** 22 + 12345)).toBeNull();
  });
});
