// Electron main-process logic without the Electron binary: the real engine service spawned as the app spawns it,
// the controller driving a stand-in window, the menu, the security settings and the recent list.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesktopController } from './controller.js';
import { menuTemplate } from './menu.js';
import type { MenuItem } from './menu.js';
import { isCapturePath, MAX_RECENT, RecentFiles } from '../service/recent.js';
import { navigationAllowed, permissionAllowed, webPreferences, windowOpenAction } from './security.js';
import { healthCheck, serviceArgs, startServiceProcess } from './service-process.js';

const cli = fileURLToPath(new URL('../../../analysis/bin/rewind.js', import.meta.url));
const sample = fileURLToPath(new URL('../../../sample-captures/loopback-http.pcap', import.meta.url));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rewind-main-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const alive = (pid: number | undefined): boolean => {
  try {
    process.kill(pid as number, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until the service's background import has ended (its database then exists and is complete). */
async function importDone(url: string, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    const r = await fetch(`${url}/api/ingest.status`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    const body = (await r.json()) as { ok: boolean; result?: { state?: string; error?: string | null } };
    last = JSON.stringify(body.result ?? body);
    if (body.result?.state === 'done') return;
    if (body.result?.state === 'failed') throw new Error(`the import failed: ${last}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`the import did not end within 30 s: ${last}`);
}

describe('engine service process', () => {
  it('builds the serve command line', () => {
    expect(serviceArgs({ execPath: 'x', cliPath: 'c.js', bundles: ['a.pcap'], parentPid: 1 })).toEqual(['c.js', 'serve', '--json', '--bundle', 'a.pcap']);
    expect(serviceArgs({ execPath: 'x', cliPath: 'c.js', db: 'd.db', parentPid: 1 })).toEqual(['c.js', 'serve', '--json', '--db', 'd.db']);
    expect(() => serviceArgs({ execPath: 'x', cliPath: 'c.js', parentPid: 1 })).toThrow();
  });

  it('spawns the service on a capture, health-checks it and stops it', async () => {
    const s = await startServiceProcess({ execPath: process.execPath, cliPath: cli, bundles: [sample], parentPid: process.pid });
    try {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(s.windowUrl).toBe(`${s.url}/#token=${s.token}`);
      await healthCheck(s.url, s.token);
      // Without the token the service refuses.
      const r = await fetch(`${s.url}/api/service.health`, { method: 'POST', body: '{}' });
      expect(r.status).toBe(401);
    } finally {
      await s.stop();
    }
    expect(alive(s.child.pid)).toBe(false);
  });

  it('reports why the service could not start', async () => {
    await expect(startServiceProcess({ execPath: process.execPath, cliPath: cli, db: join(dir, 'missing.db'), parentPid: process.pid })).rejects.toThrow(/no database/);
  });

  it('the service exits by itself when its parent is gone (orphan)', async () => {
    // A short-lived parent: a node process that exits at once; its pid is what the service watches.
    const { spawnSync } = await import('node:child_process');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const deadPid = Number(gone.stdout.trim());
    const s = await startServiceProcess({ execPath: process.execPath, cliPath: cli, bundles: [sample], parentPid: deadPid });
    const exited = await new Promise<boolean>((ok) => {
      const t = setTimeout(() => ok(false), 5000);
      s.child.once('exit', () => {
        clearTimeout(t);
        ok(true);
      });
    });
    expect(exited).toBe(true);
  });
});

describe('desktop controller', () => {
  it('opens a capture, shows it in the window, remembers it, and replaces the service when another is opened', async () => {
    const loaded: string[] = [];
    const titles: string[] = [];
    const menus: MenuItem[][] = [];
    const errors: string[] = [];
    const c = new DesktopController({
      execPath: process.execPath, cliPath: cli, parentPid: process.pid, platform: 'linux',
      recent: new RecentFiles(join(dir, 'recent.json')),
      window: { loadURL: (u) => void loaded.push(u), setTitle: (t) => void titles.push(t) },
      chooseCapture: async () => sample, chooseExport: async () => join(dir, 'copy.db'),
      copyFile: async (a, b) => writeFileSync(b, a), showError: (t, m) => void errors.push(`${t}: ${m}`), setMenu: (m) => void menus.push(m),
    });
    try {
      await c.openDialog();
      const first = c.current;
      expect(first).not.toBeNull();
      expect(loaded).toEqual([first?.windowUrl]);
      expect(titles.at(-1)).toBe('Rewind — loopback-http.pcap');
      await healthCheck(first?.url as string, first?.token as string);
      const file = menus.at(-1)?.find((m) => m.label === 'File');
      const recent = file?.submenu?.find((m) => m.label === 'Open Recent');
      expect(recent?.submenu?.[0].label).toBe(sample);
      // Opening the database the first service made replaces that service. The service answers before its
      // background import has created the file (on a loaded machine, the import's worker starts later): wait for it.
      await importDone(first?.url as string, first?.token as string);
      await c.openPath(first?.db as string);
      expect(c.current).not.toBe(first);
      expect(alive(first?.child.pid)).toBe(false);
      expect(loaded).toHaveLength(2);
      await c.exportDatabase();
      expect(existsSync(join(dir, 'copy.db'))).toBe(true);
      // A file that is not a capture nor a database: an error box, the current service stays.
      const cur = c.current;
      await expect(c.openPath(join(dir, 'nope.db'))).rejects.toThrow();
      expect(errors.at(-1)).toMatch(/Cannot open the file/);
      expect(c.current).toBe(cur);
    } finally {
      await c.shutdown();
    }
    expect(c.current).toBeNull();
  });
});

describe('menu', () => {
  const noop = { openBundle: () => undefined, openRecent: () => undefined, importPcap: () => undefined, exportDatabase: () => undefined, attachLive: () => undefined, clearRecent: () => undefined };
  it('has the File items, with Attach Live disabled until live attach exists', () => {
    const t = menuTemplate({ recent: [], liveAttach: false, hasDatabase: false, platform: 'linux' }, noop);
    const file = t[0];
    const labels = file.submenu?.filter((m) => m.label).map((m) => m.label);
    expect(labels).toEqual(['Open Bundle…', 'Open Recent', 'Import pcap…', 'Export…', 'Attach Live…']);
    const by = (l: string) => file.submenu?.find((m) => m.label === l);
    expect(by('Attach Live…')?.enabled).toBe(false);
    expect(by('Open Recent')?.enabled).toBe(false);
    expect(by('Export…')?.enabled).toBe(false);
    expect(by('Open Bundle…')?.accelerator).toBe('CmdOrCtrl+O');
    expect(file.submenu?.at(-1)?.role).toBe('quit');
  });

  it('lists recent files and calls back with the chosen one; macOS gets the app menu', () => {
    let opened = '';
    const t = menuTemplate({ recent: ['/a.pcap', '/b.pcapng'], liveAttach: false, hasDatabase: true, platform: 'darwin' }, { ...noop, openRecent: (p) => (opened = p) });
    expect(t[0].label).toBe('Rewind');
    const recent = t[1].submenu?.find((m) => m.label === 'Open Recent');
    expect(recent?.submenu?.slice(0, 2).map((m) => m.label)).toEqual(['/a.pcap', '/b.pcapng']);
    recent?.submenu?.[1].click?.();
    expect(opened).toBe('/b.pcapng');
  });
});

describe('security', () => {
  it('the window runs isolated and sandboxed without Node', () => {
    expect(webPreferences('/p.cjs')).toEqual({
      contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true,
      allowRunningInsecureContent: false, preload: '/p.cjs',
    });
  });

  it('navigates only inside the service and opens no windows', () => {
    const svc = 'http://127.0.0.1:4321';
    expect(navigationAllowed('http://127.0.0.1:4321/#/requests', svc)).toBe(true);
    expect(navigationAllowed('http://127.0.0.1:4322/', svc)).toBe(false);
    expect(navigationAllowed('https://evil.example/', svc)).toBe(false);
    expect(navigationAllowed('file:///etc/passwd', svc)).toBe(false);
    expect(navigationAllowed('not a url', svc)).toBe(false);
    expect(windowOpenAction('https://wireshark.org/docs')).toEqual({ action: 'deny', external: 'https://wireshark.org/docs' });
    expect(windowOpenAction('http://127.0.0.1:4321/x')).toEqual({ action: 'deny', external: null });
    expect(windowOpenAction('file:///etc/passwd')).toEqual({ action: 'deny', external: null });
    expect(windowOpenAction('javascript:alert(1)')).toEqual({ action: 'deny', external: null });
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read']) expect(permissionAllowed(p)).toBe(false);
  });
});

describe('recent files', () => {
  it('keeps the newest first, once each, at most MAX_RECENT, only files that exist', () => {
    const r = new RecentFiles(join(dir, 'sub', 'recent.json'));
    expect(r.list()).toEqual([]);
    const files = Array.from({ length: MAX_RECENT + 2 }, (_, i) => join(dir, `f${i}.pcap`));
    for (const f of files) writeFileSync(f, '');
    for (const f of files) r.add(f);
    r.add(files[3]);
    const l = r.list();
    expect(l).toHaveLength(MAX_RECENT);
    expect(l[0]).toBe(files[3]);
    expect(new Set(l).size).toBe(l.length);
    rmSync(files[MAX_RECENT + 1]);
    expect(r.add(files[0])).not.toContain(files[MAX_RECENT + 1]);
    r.clear();
    expect(r.list()).toEqual([]);
    writeFileSync(join(dir, 'bad.json'), '{not json');
    expect(new RecentFiles(join(dir, 'bad.json')).list()).toEqual([]);
  });

  it('knows capture files by extension', () => {
    for (const p of ['a.pcapng', 'b.PCAP', 'c.cap', 'd.pcap.gz']) expect(isCapturePath(p)).toBe(true);
    for (const p of ['a.db', 'b.txt', 'pcap']) expect(isCapturePath(p)).toBe(false);
  });
});
