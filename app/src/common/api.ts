// The API contract between the engine service (app/src/service) and the renderer (or any client): dotted operation
// names, their parameters and results, the error shape and the WebSocket events. Types only, plus the list of
// operation names: safe to import from the renderer (no Node modules).
//
// Transport: `POST /api/<operation>` with a JSON body of the parameters and the token in `Authorization: Bearer …`
// (or `X-Rewind-Token`); the answer is `{ ok: true, result }` or `{ ok: false, error: { code, message, details } }`.
// Events: WebSocket at `/ws`, the token as the `rewind.<token>` subprotocol (browsers cannot set headers there).
// Downloads: `GET /download/<id>` with a one-use id from flows.exportPcap (valid 5 minutes; the id is the credential).
// Result shapes are the engine's own types (type-only imports: nothing of the engine reaches the renderer's bundle).
import type {
  BundleInfo, CaptureRange, EndpointRed, MapEdge, MapNode, MessageBytes, NetworkHealth, OverviewSummary, Page, RedTotals, RequestPayload,
  ServiceRed, TimelinePoint,
} from '@rewind/analysis';

export type {
  BundleInfo, CaptureRange, EndpointRed, MapEdge, MapNode, MessageBytes, NetworkHealth, OverviewSummary, Page, RedTotals, RequestPayload,
  ServiceRed, TimelinePoint,
};

export interface TimeRangeParams {
  /** µs since the epoch, inclusive; omitted = the capture's start. */
  from?: number | null;
  /** µs since the epoch, exclusive; omitted = the capture's end. */
  to?: number | null;
}

export interface LogParams extends TimeRangeParams {
  /** Filter bar expression (`service=reviews status>=500 rrt>200ms`; see docs/app.md). */
  filter?: string;
  sort?: string;
  desc?: boolean;
  offset?: number;
  /** At most 1000. */
  limit?: number;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  elapsedMs: number;
}

export interface IngestProgress {
  state: 'idle' | 'importing' | 'done' | 'failed';
  /** The capture being imported (or last imported). */
  file: string | null;
  bytesDone: number;
  bytesTotal: number;
  packets: number;
  /** Set when state is failed. */
  error: string | null;
}

export interface ServiceHealth {
  name: 'rewind';
  version: string;
  engineVersion: string;
  database: string | null;
  ingest: IngestProgress;
}

/** Every operation: its parameters and its result. */
export interface Operations {
  'service.health': { params: Record<string, never>; result: ServiceHealth };
  'bundle.info': { params: Record<string, never>; result: BundleInfo };
  'overview.summary': { params: TimeRangeParams; result: OverviewSummary };
  'overview.timeline': { params: TimeRangeParams & { points?: number }; result: { interval: number; points: TimelinePoint[] } };
  'overview.services': { params: TimeRangeParams & { sparkPoints?: number }; result: { sparkInterval: number; services: ServiceRed[] } };
  'overview.endpoints': { params: TimeRangeParams & { limit?: number; by?: 'errors' | 'latency' }; result: EndpointRed[] };
  'map.graph': { params: TimeRangeParams & { layer?: 'app' | 'network' }; result: { nodes: MapNode[]; edges: MapEdge[] } };
  'requests.list': { params: LogParams; result: Page<unknown[]> };
  'requests.get': { params: { id: number }; result: { request: Record<string, unknown>; flow: Record<string, unknown> | null } };
  /** The request's and the response's bytes, read again from the capture (at most 64 KiB each). */
  'requests.payload': { params: { id: number }; result: RequestPayload };
  'flows.list': { params: LogParams; result: Page<unknown[]> };
  'flows.get': { params: { flowId: number }; result: Record<string, unknown> };
  /** A one-use URL (relative to the service, valid 5 minutes, no token in it) that downloads the flow's packets as pcap. */
  'flows.exportPcap': { params: { flowId: number }; result: { url: string; fileName: string } };
  /** The sample incidents, the recent files and the database served (Home). */
  'library.list': { params: Record<string, never>; result: { samples: { name: string; path: string; description: string; bytes: number }[]; recent: string[]; database: string } };
  /** Serves another file: a capture (imported into a new temporary database, progress over the socket) or a database. */
  'library.open': { params: { path: string }; result: { database: string } };
  'filter.help': { params: { table: 'requests' | 'flows' }; result: { field: string; aliases: string[]; help: string }[] };
  'sql.query': { params: { sql: string; maxRows?: number; timeoutMs?: number }; result: SqlResult };
  'ingest.status': { params: Record<string, never>; result: IngestProgress };
}

export type OperationName = keyof Operations;
export type Params<K extends OperationName> = Operations[K]['params'];
export type Result<K extends OperationName> = Operations[K]['result'];

export const OPERATION_NAMES: readonly OperationName[] = [
  'service.health', 'bundle.info', 'overview.summary', 'overview.timeline', 'overview.services', 'overview.endpoints', 'map.graph',
  'requests.list', 'requests.get', 'requests.payload', 'flows.list', 'flows.get', 'flows.exportPcap', 'library.list', 'library.open', 'filter.help', 'sql.query', 'ingest.status',
];


export type ErrorCode =
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'bad_request'
  | 'bad_filter'
  | 'sql_refused'
  | 'sql_timeout'
  | 'no_database'
  | 'internal';

export interface ApiError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export type ApiResponse<T> = { ok: true; result: T } | { ok: false; error: ApiError };

/** Pushed over the WebSocket. */
export type ServiceEvent =
  | { type: 'ingest.progress'; progress: IngestProgress }
  | { type: 'ingest.done'; progress: IngestProgress }
  | { type: 'ingest.failed'; progress: IngestProgress }
  | { type: 'hello'; health: ServiceHealth };

/** The WebSocket subprotocol that carries the token. */
export const TOKEN_PROTOCOL_PREFIX = 'rewind.';
