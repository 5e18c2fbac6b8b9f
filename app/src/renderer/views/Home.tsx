// Home: what is open, the import in progress, and (in the desktop app) opening another bundle, dropped files and
// recent files. In web mode the service serves one database: `rewind serve --bundle <file>` opens another.
import { useEffect, useState } from 'react';
import type { ViewProps } from '../App';
import type { IngestProgress } from '../../common/api';
import { fmtCount } from '../format';
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
  const health = useCall('service.health', {}, refresh);
  const info = useCall('bundle.info', {}, refresh);
  const desktop = window.rewindDesktop;
  const [recent, setRecent] = useState<string[]>([]);
  const [samples, setSamples] = useState<{ name: string; path: string; description: string }[]>([]);
  useEffect(() => {
    void desktop?.recent().then(setRecent);
    void desktop?.samples().then(setSamples);
  }, [desktop]);
  return (
    <div className="home" data-testid="home"
      onDragOver={(e) => { if (desktop) e.preventDefault(); }}
      onDrop={(e) => {
        if (!desktop) return;
        e.preventDefault();
        const f = e.dataTransfer.files[0];
        const p = f ? desktop.pathForFile(f) : '';
        if (p) void desktop.openPath(p);
      }}>
      <section className="panel">
        <h2>Open</h2>
        <p>Database: <code data-mask>{health.data?.database ?? "…"}</code></p>
        {info.data && (
          <p>{info.data.bundles.map((b) => String(b.file_name)).join(', ') || 'no capture imported yet'} — {fmtCount(info.data.totals.packets)} packets, {fmtCount(info.data.totals.requests)} L7 records.
            {' '}<a href="#/overview" onClick={(e) => { e.preventDefault(); navigate({ view: 'overview', params: {} }); }}>Go to the overview</a></p>
        )}
        {ingest?.state === 'importing' && <p>Importing {ingest.file}…</p>}
        {desktop ? (
          <p><button type="button" onClick={() => void desktop.openBundle()}>Open bundle or pcap…</button> or drop a file here.</p>
        ) : (
          <p className="muted">Web mode serves one database. To open another capture: <code>npx rewind serve --bundle &lt;file.pcapng&gt;</code>.</p>
        )}
      </section>
      {samples.length > 0 && (
        <section className="panel">
          <h2>Sample incidents</h2>
          <ul>{samples.map((s) => <li key={s.path}><button type="button" className="link" onClick={() => void desktop?.openPath(s.path)}>{s.name}</button> — {s.description}</li>)}</ul>
        </section>
      )}
      {recent.length > 0 && (
        <section className="panel">
          <h2>Recent</h2>
          <ul>{recent.map((p) => <li key={p}><button type="button" className="link" onClick={() => void desktop?.openPath(p)}>{p}</button></li>)}</ul>
        </section>
      )}
      <section className="panel muted">
        <h2>Keys</h2>
        <p>1–7 switch views · / focuses the filter · ↑ ↓ move in tables · Enter opens · t toggles the theme</p>
      </section>
    </div>
  );
}
