// The window's security settings and guards: no Node in the renderer, context isolation, the sandbox, navigation
// only inside the engine service's origin, no new windows (links to the web go to the system browser).
export interface WindowSecurity {
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  webviewTag: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  preload: string;
}

export function webPreferences(preload: string): WindowSecurity {
  return {
    contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webviewTag: false, webSecurity: true,
    allowRunningInsecureContent: false, preload,
  };
}

/** Whether the window may navigate to `target`: the service's own origin only. */
export function navigationAllowed(target: string, serviceUrl: string): boolean {
  try {
    return new URL(target).origin === new URL(serviceUrl).origin;
  } catch {
    return false;
  }
}

/** What to do with a window.open / target=_blank: never a new app window; http(s) links open in the system browser. */
export function windowOpenAction(target: string): { action: 'deny'; external: string | null } {
  let external: string | null = null;
  try {
    const u = new URL(target);
    if ((u.protocol === 'https:' || u.protocol === 'http:') && u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') external = u.toString();
  } catch {
    external = null;
  }
  return { action: 'deny', external };
}

/** Permission requests from the renderer (camera, notifications, …): none are granted. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}
