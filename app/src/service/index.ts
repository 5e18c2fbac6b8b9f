// Entry of @rewind/app/service: the engine service and `rewind serve`.
export { startService, HOST } from './server.js';
export type { RunningService, ServiceOptions } from './server.js';
export { cmdServe, parseServeArgs, defaultDbFor } from './cli.js';
