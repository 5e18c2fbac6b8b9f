// Pieces of the detail panels: a list of fields, and the pcap export of a flow.
import { useState } from 'react';
import { call, serviceUrl } from '../api';
import { fmtCell } from '../format';

export function Fields({ record, skip = [] }: { record: Record<string, unknown>; skip?: string[] }) {
  return (
    <dl className="fields">
      {Object.entries(record).filter(([k, v]) => !skip.includes(k) && v !== null && v !== '').map(([k, v]) => (
        <div key={k} className="field"><dt>{k}</dt><dd title={typeof v === 'string' ? v : undefined}>{fmtCell(k, v)}</dd></div>
      ))}
    </dl>
  );
}

/** Downloads the flow's packets as pcapng (opens in Wireshark, with pod names for its addresses when tagged). */
export function ExportPcap({ flowId }: { flowId: number }) {
  const [state, setState] = useState<string | null>(null);
  const go = async (): Promise<void> => {
    setState('exporting…');
    try {
      const r = await call('flows.exportPcap', { flowId });
      const a = document.createElement('a');
      a.href = serviceUrl(r.url);
      a.download = r.fileName;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setState(null);
    } catch (err) {
      setState(`export failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  return (
    <>
      <button type="button" onClick={() => void go()} data-testid="export-pcap">Export pcap</button>
      {state && <span className="muted">{state}</span>}
    </>
  );
}
