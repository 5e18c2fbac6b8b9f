// The desktop variant of the journey: the real Electron binary opening the sample incident. Electron is an optional
// dependency whose binary cannot be downloaded on the project's machines; there the test checks that it really is
// absent and says so (the web journey in web.test.ts drives the same renderer in Chromium). Where the binary exists
// it launches the app through playwright-core's Electron driver and checks the overview against `rewind query`.
/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function electronBinary(): { path: string | null; why: string } {
  try {
    const p = require('electron') as unknown;
    if (typeof p === 'string' && existsSync(p)) return { path: p, why: '' };
    return { path: null, why: 'the electron package is installed but its binary is missing (its download failed)' };
  } catch (err) {
    return { path: null, why: `electron is not installed (an optional dependency; its binary cannot be downloaded here): ${(err as Error).message.split('\n')[0]}` };
  }
}

const bin = electronBinary();
if (bin.path === null) process.stdout.write(`electron.test: the desktop journey does not run here: ${bin.why}\n`);

describe('desktop app (Electron)', () => {
  test(bin.path ? 'opens the sample incident and shows the overview counts of rewind query' : 'Electron binary absent: the desktop journey cannot run here (web.test.ts covers the renderer)', async () => {
    if (bin.path === null) {
      // Not a pass by default: it must really be absent, and the main process must still be built.
      expect(() => require('electron')).toThrow();
      expect(existsSync(path.join(root, 'app', 'dist', 'main', 'index.js'))).toBe(true);
      expect(existsSync(path.join(root, 'app', 'dist', 'preload', 'index.cjs'))).toBe(true);
      return;
    }
    const { _electron } = await import('playwright-core');
    const sample = path.join(root, 'sample-captures', 'loopback-http.pcap');
    const app = await _electron.launch({ executablePath: bin.path, args: [path.join(root, 'app', 'dist', 'main', 'index.js'), sample] });
    try {
      const win = await app.firstWindow();
      await win.getByTestId('kpi-requests').waitFor({ timeout: 60_000 });
      await win.waitForFunction(() => document.querySelector('[data-testid=ingest-progress]') === null);
      const db = await win.evaluate(async () => {
        const token = localStorage.getItem('rewind.token');
        const r = await fetch('/api/service.health', { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{}' });
        return ((await r.json()) as { result: { database: string } }).result.database;
      });
      const q = spawnSync(process.execPath, [path.join(root, 'analysis', 'bin', 'rewind.js'), 'query', db, "SELECT sum(type != 'response') AS n FROM l7_flow_log", '--format', 'json'], { encoding: 'utf8' });
      const n = (JSON.parse(q.stdout) as { n: number }[])[0].n;
      await expect.poll(async () => win.getByTestId('kpi-requests').locator('.kpi-value').innerText()).toBe(n.toLocaleString('en-US'));
      // The window is sandboxed: no Node in the page.
      expect(await win.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
      expect(await win.evaluate(() => typeof (window as { rewindDesktop?: unknown }).rewindDesktop)).toBe('object');
    } finally {
      await app.close();
    }
  }, 120_000);
});
