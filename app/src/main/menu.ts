// The application menu as data (Electron's MenuItemConstructorOptions shape, without importing Electron), so that
// its items, accelerators and enabled states are unit-tested.
export interface MenuActions {
  openBundle(): void;
  openRecent(path: string): void;
  importPcap(): void;
  exportDatabase(): void;
  attachLive(): void;
  clearRecent(): void;
}

export interface MenuItem {
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu' | 'normal';
  accelerator?: string;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItem[];
}

export interface MenuState {
  recent: string[];
  /** Live attach is not built yet: the item is shown, disabled. */
  liveAttach: boolean;
  hasDatabase: boolean;
  platform: NodeJS.Platform;
}

export function menuTemplate(state: MenuState, a: MenuActions): MenuItem[] {
  const mac = state.platform === 'darwin';
  const file: MenuItem = {
    label: 'File',
    submenu: [
      { label: 'Open Bundle…', accelerator: 'CmdOrCtrl+O', click: () => a.openBundle() },
      {
        label: 'Open Recent',
        enabled: state.recent.length > 0,
        submenu: [
          ...state.recent.map((p): MenuItem => ({ label: p, click: () => a.openRecent(p) })),
          { type: 'separator' },
          { label: 'Clear Recent', enabled: state.recent.length > 0, click: () => a.clearRecent() },
        ],
      },
      { label: 'Import pcap…', accelerator: 'CmdOrCtrl+I', click: () => a.importPcap() },
      { label: 'Export…', accelerator: 'CmdOrCtrl+E', enabled: state.hasDatabase, click: () => a.exportDatabase() },
      { type: 'separator' },
      { label: 'Attach Live…', enabled: state.liveAttach, click: () => a.attachLive() },
      { type: 'separator' },
      mac ? { role: 'close' } : { role: 'quit' },
    ],
  };
  const edit: MenuItem = { label: 'Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] };
  const view: MenuItem = { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }] };
  const win: MenuItem = { label: 'Window', submenu: [{ role: 'minimize' }, { role: 'zoom' }] };
  return mac ? [{ label: 'Rewind', submenu: [{ role: 'about' }, { type: 'separator' }, { role: 'quit' }] }, file, edit, view, win] : [file, edit, view, win];
}
