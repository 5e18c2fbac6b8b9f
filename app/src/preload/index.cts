// Preload of the desktop window (sandboxed, so CommonJS): exposes only the typed desktop bridge. The service's
// address and token reach the renderer through the page's URL, as in web mode.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer, webUtils } = require('electron') as {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: { invoke(channel: string, ...args: unknown[]): Promise<unknown> };
  webUtils: { getPathForFile(file: unknown): string };
};

contextBridge.exposeInMainWorld('rewindDesktop', {
  openBundle: () => ipcRenderer.invoke('rewind:openBundle'),
  openPath: (path: string) => ipcRenderer.invoke('rewind:openPath', String(path)),
  recent: () => ipcRenderer.invoke('rewind:recent'),
  samples: () => ipcRenderer.invoke('rewind:samples'),
  // A dropped file's path (File.path is gone since Electron 32).
  pathForFile: (file: unknown) => webUtils.getPathForFile(file),
});
