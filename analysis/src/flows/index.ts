// Public entry of the flows module: the flow table and its contract types.
export { FlowTable } from './flow-table.js';
export {
  DEFAULT_CLOSED_LINGER_US,
  DEFAULT_MAX_REASSEMBLY_BYTES_PER_DIR,
  DEFAULT_METRICS_FLUSH_DELAY_US,
  DEFAULT_SHORT_TIMEOUT_US,
  DEFAULT_TCP_ESTABLISHED_TIMEOUT_US,
} from './flow-table.js';
export { statusOf } from './close-status.js';
export type { FlowStatus } from './close-status.js';
export type * from './types.js';
