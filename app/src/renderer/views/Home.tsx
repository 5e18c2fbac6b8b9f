// Home: what is open and the import in progress; the sample incidents and recent files (from the service, in web
// mode and in the desktop app); opening a file by path; in the desktop app also the file dialog and drag-and-drop.
import { useEffect, useState } from 'react';
import { ApiCallError, call } from '../api';
import type { ViewProps } from '../App';
import type { IngestProgress } from '../../common/api';
import { fmtBytes, fmtCount } from '../format';
import { useCall } from '../hooks';

declare global {
  interface Window {
    /** The desktop app's bridge (preload): present in Electron only. */
    rewindDesktop?: {
      openBundle(): Promise<void>;
      openPath(path: string): Promise<void>;
      recent(): Promise<string[]>;
      samples(): Promise<{ name: string; path: string; description: string }[]>;
      pathForFile(file: File): string;
    };
  }
}

export function Home({ ingest, refresh, navigate }: ViewProps & { ingest: IngestProgress | null }) {
  const [opened, setOpened] = useState(0);
  const info = useCall('bundle.info', {}, refresh + opened);
  const library = useCall('library.list', {}, refresh + opened);
  const desktop = window.rewindDesktop;
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setError(null), [path]);
  const open = async (p: string): Promise<void> => {
    try {
      if (desktop) await desktop.openPath(p);
      else await call('library.open', { path: p });
      setOpened((n) => n + 1);
      setError(null);
    } catch (err) {
      setError(err instanceof ApiCallError ? err.message : String(err));
    }
  };
  return (
    <div className="home" data-testid="home"
      onDragOver={(e) => { if (desktop) e.preventDefault(); }}
      onDrop={(e) => {
        if (!desktop) return;
        e.preventDefault();
        const f = e.dataTransfer.files[0];
        const p = f ? desktop.pathForFile(f) : '';
        if (p) void open(p);
      }}>
      <section className="panel">
        <h2>Open</h2>
        <p>Database: <code data-mask>{library.data?.database ?? '…'}</code></p>
        {info.data && (
          <p>{info.data.bundles.map((b) => String(b.file_name)).join(', ') || 'no capture imported yet'} — {fmtCount(info.data.totals.packets)} packets, {fmtCount(info.data.totals.requests)} L7 records.
            {' '}<a href="#/overview" onClick={(e) => { e.preventDefault(); navigate({ view: 'overview', params: {} }); }}>Go to the overview</a></p>
        )}
        {ingest?.state === 'importing' && <p>Importing {ingest.file}…</p>}
        <form className="filterbar" onSubmit={(e) => { e.preventDefault(); if (path.trim()) void open(path.trim()); }}>
          <input value={path} onChange={(e) => setPath(e.target.value)} placeholder="/path/to/capture.pcapng (or .pcap, .gz, a Rewind .db) on this machine" spellCheck={false} data-testid="open-path" />
          <button type="submit">Open</button>
          {desktop && <button type="button" onClick={() => void desktop.openBundle()}>Choose…</button>}
          {error && <div className="filter-error" role="alert">{error}</div>}
        </form>
        {desktop && <p className="muted">Or drop a capture here.</p>}
      </section>
      {(library.data?.samples.length ?? 0) > 0 && (
        <section className="panel">
          <h2>Sample incidents</h2>
          <ul className="library">
            {library.data?.samples.map((s) => (
              <li key={s.path}>
                <button type="button" className="link" onClick={() => void open(s.path)} data-testid="open-sample">{s.name}</button>
                <span className="muted"> {fmtBytes(s.bytes)}</span> — {s.description}
              </li>
            ))}
          </ul>
        </section>
      )}
      {(library.data?.recent.length ?? 0) > 0 && (
        <section className="panel">
          <h2>Recent</h2>
          <ul className="library" data-mask>{library.data?.recent.map((p) => <li key={p}><button type="button" className="link" onClick={() => void open(p)}>{p}</button></li>)}</ul>
        </section>
      )}
      <section className="panel muted">
        <h2>Keys</h2>
        <p>1–7 switch views · / focuses the filter · ↑ ↓ move in tables · Enter opens · t toggles the theme</p>
      </section>
    </div>
  );
}
