// Request log (l7_flow_log): filter, sort, open a request to see its fields, timing, headers we kept, its flow,
// and export the flow's packets.
import type { ViewProps } from '../App';
import { ExportPcap, Fields } from '../components/Detail';
import { LogView } from '../components/LogView';
import { Payload } from '../components/Payload';
import type { Column } from '../components/VirtualTable';
import { named } from '../format';
import { fmtBytes, fmtDuration, fmtTime } from '../format';
import { useCall } from '../hooks';

const statusClass = (v: unknown): string | undefined => (v === 'server_error' || v === 'client_error' ? 'bad' : v === 'timeout' ? 'warn' : undefined);

const COLUMNS: Column[] = [
  { key: 'start_time', title: 'time', width: 128, render: (v) => fmtTime(v as number) },
  { key: 'l7_protocol', title: 'proto', width: 64 },
  { key: 'ip_0', title: 'client', width: 200, render: named('pod_0') },
  { key: 'ip_1', title: 'server', width: 200, render: named('pod_1') },
  { key: 'server_port', title: 'port', width: 56, align: 'right' },
  { key: 'request_type', title: 'method', width: 80 },
  { key: 'request_domain', title: 'domain', width: 150 },
  { key: 'request_resource', title: 'resource', width: 260 },
  { key: 'response_code', title: 'code', width: 56, align: 'right', className: (v) => (typeof v === 'number' && v >= 400 ? 'bad' : undefined) },
  { key: 'response_status', title: 'status', width: 110, className: statusClass },
  { key: 'response_duration', title: 'rrt', width: 80, align: 'right', render: (v) => fmtDuration(v as number | null) },
  { key: 'response_length', title: 'resp', width: 72, align: 'right', render: (v) => fmtBytes(v as number | null) },
  { key: 'response_exception', title: 'exception', width: 180 },
  { key: 'trace_id', title: 'trace', width: 140 },
];

function RequestDetail({ id, close, navigate }: { id: number; close: () => void; navigate: ViewProps['navigate'] }) {
  const d = useCall('requests.get', { id });
  const payload = useCall('requests.payload', { id });
  if (d.error) return <div className="banner error">{d.error}</div>;
  if (!d.data) return <div className="muted">loading…</div>;
  const r = d.data.request;
  const attrs = (r.attributes && typeof r.attributes === 'object' ? r.attributes : {}) as Record<string, unknown>;
  const flowId = Number(r.flow_id);
  return (
    <div>
      <div className="detail-head">
        <h3>{String(r.request_type ?? '')} {String(r.request_resource ?? r.endpoint ?? '')}</h3>
        <button type="button" onClick={close} title="Close (Esc)">×</button>
      </div>
      <div className="actions">
        <button type="button" onClick={() => navigate({ view: 'flows', params: { filter: `flow_id=${flowId}`, id: String(flowId) } })} data-testid="show-connection">Show connection</button>
        {d.data.flow && <ExportPcap flowId={flowId} />}
      </div>
      <h4>Timing</h4>
      <dl className="fields">
        <div className="field"><dt>request</dt><dd>{fmtTime(r.start_time as number, true)}</dd></div>
        <div className="field"><dt>response time</dt><dd>{fmtDuration(r.response_duration as number | null)}</dd></div>
        <div className="field"><dt>last byte</dt><dd>{fmtTime(r.end_time as number)}</dd></div>
      </dl>
      {Object.keys(attrs).length > 0 && (<><h4>Headers and attributes</h4><Fields record={attrs} /></>)}
      {payload.data?.note && <p className="muted">{payload.data.note}</p>}
      {payload.error && <p className="muted">payload: {payload.error}</p>}
      {payload.data && <Payload title="Request bytes" msg={payload.data.request} testId="payload-request" />}
      {payload.data && <Payload title="Response bytes" msg={payload.data.response} testId="payload-response" />}
      <h4>Record</h4>
      <Fields record={r} skip={['attributes']} />
      {d.data.flow && (<><h4>Connection</h4><Fields record={d.data.flow} /></>)}
    </div>
  );
}

export function Requests(props: ViewProps) {
  return (
    <LogView
      {...props}
      testId="requests"
      op="requests.list"
      idColumn="id"
      columns={COLUMNS}
      placeholder="service=reviews status>=500 rrt>200ms   (/ to focus; fields: service client server port protocol method endpoint resource domain status code rrt trace_id …)"
      detail={(id, close) => <RequestDetail id={id} close={close} navigate={props.navigate} />}
    />
  );
}
