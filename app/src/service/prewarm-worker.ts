// Worker thread of the engine service: computes the views' first answers (the whole capture, the parameters the
// renderer sends first) on its own read-only connection, so that they are ready before they are asked for and the
// service's own thread is never blocked by them.
import { parentPort, workerData } from 'node:worker_threads';
import { bundleInfo, openReadOnly, overviewServices, overviewSummary, overviewTimeline, serviceMap, topEndpoints } from '@rewind/analysis';

export interface PrewarmJob {
  dbPath: string;
}

export interface PrewarmResult {
  op: string;
  params: Record<string, unknown>;
  result: unknown;
}

/** What the renderer asks first on each view (keep in step with app/src/renderer/views). */
export const PREWARM: { op: string; params: Record<string, unknown> }[] = [
  { op: 'overview.summary', params: {} },
  { op: 'overview.timeline', params: { points: 400 } },
  { op: 'overview.services', params: { sparkPoints: 30 } },
  { op: 'overview.endpoints', params: { limit: 10 } },
  { op: 'map.graph', params: { layer: 'app' } },
  { op: 'bundle.info', params: {} },
  { op: 'map.graph', params: { layer: 'network' } },
];

const job = workerData as PrewarmJob | undefined;
if (parentPort && job) {
  const db = openReadOnly(job.dbPath);
  try {
    for (const w of PREWARM) {
      const p = w.params;
      const result = w.op === 'overview.summary' ? overviewSummary(db)
        : w.op === 'overview.timeline' ? overviewTimeline(db, {}, p.points as number)
          : w.op === 'overview.services' ? overviewServices(db, {}, p.sparkPoints as number)
            : w.op === 'overview.endpoints' ? topEndpoints(db, {}, p.limit as number)
              : w.op === 'map.graph' ? serviceMap(db, {}, p.layer as 'app' | 'network')
                : bundleInfo(db);
      parentPort.postMessage({ op: w.op, params: p, result } satisfies PrewarmResult);
    }
  } finally {
    db.close();
  }
}
