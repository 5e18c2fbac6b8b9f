// URL-addressable state: every view and its parameters live in the fragment (#/requests?filter=…&from=…&to=…), so a
// view can be shared as a link in web mode and Back/Forward walk the investigation.
import { useCallback, useEffect, useState } from 'react';

export type ViewName = 'home' | 'overview' | 'map' | 'requests' | 'flows' | 'sql' | 'info';

export const VIEWS: { name: ViewName; title: string; key: string }[] = [
  { name: 'home', title: 'Home', key: '1' },
  { name: 'overview', title: 'Overview', key: '2' },
  { name: 'map', title: 'Service map', key: '3' },
  { name: 'requests', title: 'Requests', key: '4' },
  { name: 'flows', title: 'Flows', key: '5' },
  { name: 'sql', title: 'SQL', key: '6' },
  { name: 'info', title: 'Bundle', key: '7' },
];

export interface Route {
  view: ViewName;
  params: Record<string, string>;
}

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [path, query = ''] = h.split('?', 2);
  const view = (VIEWS.find((v) => v.name === path)?.name ?? 'overview') as ViewName;
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) params[k] = v;
  return { view: path === '' ? 'overview' : view, params };
}

export function formatRoute(r: Route): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(r.params)) if (v !== '' && v !== undefined) q.set(k, v);
  const s = q.toString();
  return `#/${r.view}${s ? `?${s}` : ''}`;
}

/** The current route, and a navigate function (push = a new history entry; otherwise the current one is replaced). */
export function useRoute(): [Route, (r: Partial<Route> & { params?: Record<string, string> }, push?: boolean) => void] {
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  const navigate = useCallback((r: Partial<Route>, push = true) => {
    const cur = parseRoute(window.location.hash);
    const next: Route = { view: r.view ?? cur.view, params: r.params ?? cur.params };
    const hash = formatRoute(next);
    if (hash === window.location.hash) return;
    if (push) window.location.hash = hash;
    else {
      history.replaceState(null, '', hash);
      setRoute(next);
    }
  }, []);
  return [route, navigate];
}
