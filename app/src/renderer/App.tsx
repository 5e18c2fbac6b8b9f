// The app shell: navigation, time range, theme, ingest progress; each view below it reads its state from the URL.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { hasToken, subscribe } from './api';
import type { IngestProgress } from '../common/api';
import { fmtTime } from './format';
import { useRoute, VIEWS } from './route';
import type { Route, ViewName } from './route';
import { Home } from './views/Home';
import { Overview } from './views/Overview';
import { ServiceMap } from './views/ServiceMap';
import { Requests } from './views/Requests';
import { Flows } from './views/Flows';
import { Sql } from './views/Sql';
import { Info } from './views/Info';

export type Theme = 'light' | 'dark';

export interface ViewProps {
  route: Route;
  navigate: (r: Partial<Route>, push?: boolean) => void;
  theme: Theme;
  /** Bumped when new data has arrived (ingest progress), so that views load again. */
  refresh: number;
  range: { from?: number; to?: number };
  setRange: (from?: number, to?: number) => void;
}

function initialTheme(): Theme {
  const saved = localStorage.getItem('rewind.theme');
  if (saved === 'light' || saved === 'dark') return saved;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [route, navigate] = useRoute();
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const [ingest, setIngest] = useState<IngestProgress | null>(null);
  const [refresh, setRefresh] = useState(0);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('rewind.theme', theme);
  }, [theme]);

  useEffect(() => {
    if (!hasToken()) return;
    let last = 0;
    return subscribe((e) => {
      const p = e.type === 'hello' ? e.health.ingest : e.progress;
      setIngest(p);
      const now = Date.now();
      // While importing, views refresh every 2 s at most; once at the end.
      if (e.type === 'ingest.done' || e.type === 'ingest.failed' || (e.type === 'ingest.progress' && now - last > 2000)) {
        last = now;
        setRefresh((r) => r + 1);
      }
    });
  }, []);

  const range = useMemo(() => {
    const from = route.params.from ? Number(route.params.from) : undefined;
    const to = route.params.to ? Number(route.params.to) : undefined;
    return { from, to };
  }, [route.params.from, route.params.to]);

  const setRange = useCallback((from?: number, to?: number) => {
    const params = { ...route.params };
    if (from === undefined) delete params.from;
    else params.from = String(Math.floor(from));
    if (to === undefined) delete params.to;
    else params.to = String(Math.ceil(to));
    navigate({ params });
  }, [route.params, navigate]);

  const go = useCallback((view: ViewName) => {
    // The time range travels with the investigation; view-specific parameters do not.
    const params: Record<string, string> = {};
    if (route.params.from) params.from = route.params.from;
    if (route.params.to) params.to = route.params.to;
    navigate({ view, params });
  }, [route.params, navigate]);

  useEffect(() => {
    const on = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.isContentEditable)) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const v = VIEWS.find((x) => x.key === e.key);
      if (v) {
        go(v.name);
        e.preventDefault();
      } else if (e.key === 't') setTheme((x) => (x === 'dark' ? 'light' : 'dark'));
    };
    window.addEventListener('keydown', on);
    return () => window.removeEventListener('keydown', on);
  }, [go]);

  if (!hasToken()) {
    return (
      <div className="no-token">
        <h1>Rewind</h1>
        <p>This page needs the address printed by <code>rewind serve</code> (it carries the service&apos;s token).</p>
      </div>
    );
  }

  const props: ViewProps = { route, navigate, theme, refresh, range, setRange };
  const pct = ingest && ingest.bytesTotal > 0 ? Math.min(100, (100 * ingest.bytesDone) / ingest.bytesTotal) : 0;
  return (
    <div className="app">
      <header className="topbar">
        <span className="brand">Rewind</span>
        <nav>
          {VIEWS.map((v) => (
            <a key={v.name} href={`#/${v.name}`} className={route.view === v.name ? 'active' : ''} title={`${v.title} (${v.key})`}
              onClick={(e) => { e.preventDefault(); go(v.name); }} data-testid={`nav-${v.name}`}>
              {v.title}
            </a>
          ))}
        </nav>
        <span className="range" data-testid="range">
          {range.from !== undefined || range.to !== undefined ? (
            <>
              {fmtTime(range.from ?? null, true)} – {fmtTime(range.to ?? null)}
              <button type="button" onClick={() => setRange(undefined, undefined)} title="Whole capture">×</button>
            </>
          ) : 'whole capture'}
        </span>
        <button type="button" className="theme" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} title="Theme (t)" data-testid="theme">
          {theme === 'dark' ? '☀' : '☾'}
        </button>
      </header>
      {ingest && ingest.state === 'importing' && (
        <div className="progress" role="progressbar" aria-valuenow={Math.round(pct)} data-testid="ingest-progress">
          <div style={{ width: `${pct}%` }} />
          <span>Importing {ingest.file?.split('/').pop()}: {pct.toFixed(0)} %, {ingest.packets.toLocaleString('en-US')} packets</span>
        </div>
      )}
      {ingest && ingest.state === 'failed' && <div className="banner error" role="alert">Import failed: {ingest.error}</div>}
      <main className={`view view-${route.view}`}>
        {route.view === 'home' && <Home {...props} ingest={ingest} />}
        {route.view === 'overview' && <Overview {...props} />}
        {route.view === 'map' && <ServiceMap {...props} />}
        {route.view === 'requests' && <Requests {...props} />}
        {route.view === 'flows' && <Flows {...props} />}
        {route.view === 'sql' && <Sql {...props} />}
        {route.view === 'info' && <Info {...props} />}
      </main>
    </div>
  );
}
