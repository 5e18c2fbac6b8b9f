// Flow log (l4_flow_log) with TCP metrics and close types; open a flow to see every counter and export its packets.
import type { ViewProps } from '../App';
import { ExportPcap, Fields } from '../components/Detail';
import { LogView } from '../components/LogView';
import type { Column } from '../components/VirtualTable';
import { named } from '../format';
import { fmtBytes, fmtDuration, fmtTime } from '../format';
import { useCall } from '../hooks';

const bad = new Set(['client-reset', 'server-reset', 'client-syn-repeat', 'server-synack-repeat', 'server-reset-on-syn', 'client-reset-on-setup', 'timeout']);

const COLUMNS: Column[] = [
  { key: 'start_time', title: 'start', width: 128, render: (v) => fmtTime(v as number) },
  { key: 'protocol_name', title: 'proto', width: 56 },
  { key: 'ip_0', title: 'client', width: 200, render: named('pod_0') },
  { key: 'client_port', title: 'cport', width: 60, align: 'right' },
  { key: 'ip_1', title: 'server', width: 200, render: named('pod_1') },
  { key: 'server_port', title: 'port', width: 56, align: 'right' },
  { key: 'duration', title: 'duration', width: 84, align: 'right', render: (v) => fmtDuration(v as number) },
  { key: 'byte_tx', title: 'bytes →', width: 80, align: 'right', render: (v) => fmtBytes(v as number) },
  { key: 'byte_rx', title: 'bytes ←', width: 80, align: 'right', render: (v) => fmtBytes(v as number) },
  { key: 'rtt', title: 'rtt', width: 72, align: 'right', render: (v) => fmtDuration(v as number | null) },
  { key: 'art_max', title: 'art max', width: 80, align: 'right', render: (v) => fmtDuration(v as number | null) },
  { key: 'retrans_tx', title: 'retr →', width: 60, align: 'right', className: (v) => (Number(v) > 0 ? 'warn' : undefined) },
  { key: 'retrans_rx', title: 'retr ←', width: 60, align: 'right', className: (v) => (Number(v) > 0 ? 'warn' : undefined) },
  { key: 'close_type', title: 'close', width: 140, className: (v) => (bad.has(String(v)) ? 'bad' : undefined) },
  { key: 'observation_point', title: 'seen at', width: 160 },
];

function FlowDetail({ id, close, navigate }: { id: number; close: () => void; navigate: ViewProps['navigate'] }) {
  const d = useCall('flows.get', { flowId: id });
  if (d.error) return <div className="banner error">{d.error}</div>;
  if (!d.data) return <div className="muted">loading…</div>;
  const f = d.data;
  return (
    <div>
      <div className="detail-head">
        <h3>{String(f.ip_0)}:{String(f.client_port)} → {String(f.ip_1)}:{String(f.server_port)}</h3>
        <button type="button" onClick={close} title="Close">×</button>
      </div>
      <div className="actions">
        <button type="button" onClick={() => navigate({ view: 'requests', params: { filter: `flow_id=${id}` } })} data-testid="show-requests">Requests of this flow</button>
        <ExportPcap flowId={id} />
      </div>
      <Fields record={f} />
    </div>
  );
}

export function Flows(props: ViewProps) {
  return (
    <LogView
      {...props}
      testId="flows"
      op="flows.list"
      idColumn="flow_id"
      columns={COLUMNS}
      placeholder="server=10.0.0.5 close_type~reset rtt>10ms retrans>0   (/ to focus)"
      detail={(id, close) => <FlowDetail id={id} close={close} navigate={props.navigate} />}
    />
  );
}
