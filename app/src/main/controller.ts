// What the desktop app does, without Electron: which service runs for which file, what the window shows, the recent
// list, the menu's state. index.ts binds it to Electron's app, window, dialogs and menu; tests drive it directly.
import { isCapturePath } from '../service/recent.js';
import type { RecentFiles } from '../service/recent.js';
import { startServiceProcess } from './service-process.js';
import type { ServiceHandle, ServiceSpec } from './service-process.js';
import { menuTemplate } from './menu.js';
import type { MenuActions, MenuItem } from './menu.js';

export interface WindowLike {
  loadURL(url: string): Promise<void> | void;
  setTitle(title: string): void;
}

export interface ControllerDeps {
  execPath: string;
  cliPath: string;
  parentPid: number;
  recent: RecentFiles;
  window: WindowLike;
  /** Asks the user for a capture (null when cancelled). */
  chooseCapture(title: string): Promise<string | null>;
  /** Asks where to save the database copy (null when cancelled). */
  chooseExport(defaultName: string): Promise<string | null>;
  copyFile(from: string, to: string): Promise<void>;
  showError(title: string, message: string): void;
  /** Rebuilds the application menu from a template. */
  setMenu(template: MenuItem[]): void;
  platform: NodeJS.Platform;
  start?: (spec: ServiceSpec) => Promise<ServiceHandle>;
}

export class DesktopController {
  private service: ServiceHandle | null = null;
  private opening: Promise<void> = Promise.resolve();

  constructor(private readonly d: ControllerDeps) {}

  get current(): ServiceHandle | null {
    return this.service;
  }

  /** Opens a capture (imports it in the service, the window fills in as it goes) or a Rewind database. */
  openPath(path: string): Promise<void> {
    const run = this.opening.then(() => this.switchTo(path));
    this.opening = run.catch(() => undefined);
    return run;
  }

  private async switchTo(path: string): Promise<void> {
    const spec: ServiceSpec = isCapturePath(path)
      ? { execPath: this.d.execPath, cliPath: this.d.cliPath, bundles: [path], parentPid: this.d.parentPid }
      : { execPath: this.d.execPath, cliPath: this.d.cliPath, db: path, parentPid: this.d.parentPid };
    let next: ServiceHandle;
    try {
      next = await (this.d.start ?? startServiceProcess)(spec);
    } catch (err) {
      this.d.showError('Cannot open the file', `${path}\n\n${err instanceof Error ? err.message : String(err)}`);
      throw err;
    }
    const old = this.service;
    this.service = next;
    await old?.stop();
    this.d.recent.add(path);
    this.d.window.setTitle(`Rewind — ${path.split(/[\\/]/).pop() ?? path}`);
    await this.d.window.loadURL(next.windowUrl);
    this.refreshMenu();
  }

  async openDialog(): Promise<void> {
    const p = await this.d.chooseCapture('Open Bundle');
    if (p) await this.openPath(p);
  }

  async exportDatabase(): Promise<void> {
    if (!this.service) return;
    const to = await this.d.chooseExport('rewind.db');
    if (to) await this.d.copyFile(this.service.db, to);
  }

  menuActions(): MenuActions {
    return {
      openBundle: () => void this.openDialog().catch(() => undefined),
      openRecent: (p) => void this.openPath(p).catch(() => undefined),
      importPcap: () => void this.openDialog().catch(() => undefined),
      exportDatabase: () => void this.exportDatabase().catch((e: unknown) => this.d.showError('Export failed', String(e))),
      attachLive: () => undefined,
      clearRecent: () => {
        this.d.recent.clear();
        this.refreshMenu();
      },
    };
  }

  refreshMenu(): void {
    this.d.setMenu(menuTemplate({ recent: this.d.recent.list(), liveAttach: false, hasDatabase: this.service !== null, platform: this.d.platform }, this.menuActions()));
  }

  /** Quit: the service stops with the app. */
  async shutdown(): Promise<void> {
    const s = this.service;
    this.service = null;
    await s?.stop();
  }
}
