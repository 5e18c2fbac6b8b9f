// The renderer's client of the engine service: typed calls (app/src/common/api.ts) and the event socket. The token
// comes from the page's fragment (#token=…) once, then from this origin's storage (the port is new at every start),
// so that links to views open in other tabs of the same browser.
import { TOKEN_PROTOCOL_PREFIX } from '../common/api';
import type { ApiError, ApiResponse, OperationName, Params, Result, ServiceEvent } from '../common/api';

declare global {
  interface Window {
    /** Set by the Electron preload: the service's address and token. */
    rewind?: { serviceUrl: string; token: string };
  }
}

const TOKEN_KEY = 'rewind.token';

function takeToken(): string {
  if (window.rewind?.token) return window.rewind.token;
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  if (m) {
    localStorage.setItem(TOKEN_KEY, m[1]);
    // The token leaves the address bar (and any link copied from it).
    const rest = window.location.hash.replace(/(^#|&)token=[A-Za-z0-9_-]+/, '$1').replace(/^#&/, '#');
    history.replaceState(null, '', `${window.location.pathname}${window.location.search}${rest === '#' ? '#/' : rest}`);
    return m[1];
  }
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

const token = takeToken();
const base = window.rewind?.serviceUrl ?? '';

export class ApiCallError extends Error {
  constructor(readonly error: ApiError, readonly status: number) {
    super(error.message);
  }
}

export function hasToken(): boolean {
  return token !== '';
}

export async function call<K extends OperationName>(op: K, params: Params<K> = {} as Params<K>, signal?: AbortSignal): Promise<Result<K>> {
  const res = await fetch(`${base}/api/${op}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
    signal,
  });
  const body = (await res.json()) as ApiResponse<Result<K>>;
  if (!body.ok) throw new ApiCallError(body.error, res.status);
  return body.result;
}

/** Absolute URL of a service path (downloads). */
export function serviceUrl(path: string): string {
  return `${base}${path}`;
}

/** Subscribes to the service's events; reconnects while the page lives. Returns the unsubscribe function. */
export function subscribe(onEvent: (e: ServiceEvent) => void): () => void {
  let ws: WebSocket | null = null;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | null = null;
  const open = (): void => {
    const origin = base || window.location.origin;
    ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws`, [`${TOKEN_PROTOCOL_PREFIX}${token}`]);
    ws.onmessage = (m) => onEvent(JSON.parse(String(m.data)) as ServiceEvent);
    ws.onclose = () => {
      if (!stopped) retry = setTimeout(open, 1000);
    };
  };
  open();
  return () => {
    stopped = true;
    if (retry) clearTimeout(retry);
    ws?.close();
  };
}
