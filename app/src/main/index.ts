// Electron main process: thin glue between Electron and DesktopController (controller.ts). Electron is an optional
// dependency (its binary cannot be downloaded everywhere), so it is loaded at run time; everything with logic is in
// the modules beside this one and unit-tested without it.
import { copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DesktopController } from './controller.js';
import type { MenuItem } from './menu.js';
import { listSamples, samplesDir } from '../service/library.js';
import { RecentFiles } from '../service/recent.js';
import { navigationAllowed, permissionAllowed, webPreferences, windowOpenAction } from './security.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- Electron's own types are not installed where its binary is not. */
type Electron = any;

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

export function cliPath(): string {
  return join(dirname(require.resolve('@rewind/analysis/package.json')), 'bin', 'rewind.js');
}

/** The sample incident opened when no file is given. */
export function samplePath(): string {
  return join(samplesDir(), 'bookinfo-latency.pcapng');
}

export async function run(e: Electron): Promise<void> {
  const { app, BrowserWindow, Menu, dialog, ipcMain, shell, session } = e;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  session.defaultSession.setPermissionRequestHandler((_wc: unknown, permission: string, cb: (ok: boolean) => void) => cb(permissionAllowed(permission)));
  const win = new BrowserWindow({ width: 1400, height: 900, show: true, title: 'Rewind', webPreferences: webPreferences(join(here, '..', 'preload', 'index.cjs')) });
  const captureFilters = [{ name: 'Captures', extensions: ['pcapng', 'pcap', 'cap', 'gz'] }, { name: 'Rewind database', extensions: ['db'] }];
  const controller = new DesktopController({
    execPath: process.execPath, cliPath: cliPath(), parentPid: process.pid, platform: process.platform,
    recent: new RecentFiles(join(app.getPath('userData'), 'recent.json')),
    window: { loadURL: (u) => win.loadURL(u), setTitle: (t) => win.setTitle(t) },
    chooseCapture: async (title) => {
      const r = await dialog.showOpenDialog(win, { title, properties: ['openFile'], filters: captureFilters });
      return r.canceled || r.filePaths.length === 0 ? null : (r.filePaths[0] as string);
    },
    chooseExport: async (defaultPath) => {
      const r = await dialog.showSaveDialog(win, { defaultPath, filters: [{ name: 'Rewind database', extensions: ['db'] }] });
      return r.canceled ? null : (r.filePath as string);
    },
    copyFile: (a, b) => copyFile(a, b),
    showError: (title, message) => dialog.showErrorBox(title, message),
    setMenu: (t: MenuItem[]) => Menu.setApplicationMenu(Menu.buildFromTemplate(t)),
  });
  const wc = win.webContents;
  wc.on('will-navigate', (ev: { preventDefault(): void }, url: string) => {
    const cur = controller.current;
    if (!cur || !navigationAllowed(url, cur.url)) ev.preventDefault();
  });
  wc.setWindowOpenHandler(({ url }: { url: string }) => {
    const a = windowOpenAction(url);
    if (a.external) void shell.openExternal(a.external);
    return { action: a.action };
  });
  wc.on('will-attach-webview', (ev: { preventDefault(): void }) => ev.preventDefault());
  ipcMain.handle('rewind:openBundle', () => controller.openDialog());
  ipcMain.handle('rewind:openPath', (_ev: unknown, p: unknown) => (typeof p === 'string' ? controller.openPath(p) : undefined));
  ipcMain.handle('rewind:recent', () => new RecentFiles(join(app.getPath('userData'), 'recent.json')).list());
  ipcMain.handle('rewind:samples', () => listSamples());
  controller.refreshMenu();
  const fromArgs = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => !a.startsWith('-'));
  await controller.openPath(fromArgs ?? samplePath()).catch(() => undefined);
  let quitting = false;
  app.on('before-quit', (ev: { preventDefault(): void }) => {
    if (quitting) return;
    quitting = true;
    ev.preventDefault();
    void controller.shutdown().finally(() => app.quit());
  });
  app.on('window-all-closed', () => app.quit());
}

/** Loaded as Electron's main script: run when Electron is there. */
if (process.versions.electron) {
  const name = 'electron';
  const e = (await import(name)) as { default?: Electron } & Electron;
  void run(e.default ?? e);
}
