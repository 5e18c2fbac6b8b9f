// Public entry of the analysis engine: what the app, the agent and other packages may import.
export { ENGINE_VERSION } from './version.js';
export * from './bundle/index.js';
export { importCaptures } from './pipeline/import.js';
export type { ImportOptions, ImportProgress, ImportSummary, BundleImportResult } from './pipeline/import.js';
export { openStore, openReadOnly, Store } from './store/store.js';
export type { Db } from './store/store.js';
export { SCHEMA_VERSION } from './store/schema.js';
export { runReadOnlySql, checkReadOnlySql, SqlRefusedError } from './query/read-only-sql.js';
export type { SqlResult } from './query/read-only-sql.js';
export { buildReport } from './report/report.js';
export type { IncidentReport } from './report/report.js';
export { renderMarkdown, formatTimeUs, formatDurationUs } from './report/render.js';
export { main as cliMain } from './cli/main.js';
export { compileFilter, parseFilter, filterHelp, FilterError, REQUEST_FILTER, FLOW_FILTER } from './query/filter.js';
export type { CompiledFilter, FilterTerm, FilterTable } from './query/filter.js';
export {
  bundleInfo, captureRange, flowDetail, flowLog, networkHealth, overviewServices, overviewSummary, overviewTimeline, requestDetail,
  requestLog, serviceId, serviceMap, topEndpoints, REQUEST_LOG_COLUMNS, FLOW_LOG_COLUMNS,
} from './query/views.js';
export type {
  BundleInfo, CaptureRange, EndpointRed, LogQuery, MapEdge, MapNode, NetworkHealth, OverviewSummary, Page, RedTotals, ServiceRed,
  TimelinePoint, TimeRange,
} from './query/views.js';
export { exportFlowPcap, ExportError, flowPcapName, requestPayload } from './query/export-flow.js';
export type { ExportResult, MessageBytes, RequestPayload } from './query/export-flow.js';
