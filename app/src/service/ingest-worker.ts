// Worker thread of the engine service that imports captures into the database while the service keeps answering
// (the import's own writer thread does the inserts); progress is posted to the service, which pushes it to clients.
import { parentPort, workerData } from 'node:worker_threads';
import { importCaptures } from '@rewind/analysis';

export interface IngestJob {
  inputs: string[];
  dbPath: string;
}

export type IngestMessage =
  | { type: 'progress'; file: string; bytesRead: number; totalBytes: number; packets: number }
  | { type: 'done'; packets: number; flows: number; l7Records: number; failed: string[] }
  | { type: 'failed'; message: string };

const job = workerData as IngestJob;
const port = parentPort;
if (port === null) throw new Error('ingest-worker must run as a worker thread');

let last = 0;
try {
  const summary = await importCaptures({
    inputs: job.inputs,
    dbPath: job.dbPath,
    onProgress: (p) => {
      const now = Date.now();
      if (now - last < 100 && p.bytesRead < p.totalBytes) return;
      last = now;
      port.postMessage({ type: 'progress', file: p.file, bytesRead: p.bytesRead, totalBytes: p.totalBytes, packets: p.packets } satisfies IngestMessage);
    },
  });
  const failed = summary.bundles.filter((b) => b.status === 'failed').map((b) => `${b.path}: ${b.error ?? 'failed'}`);
  port.postMessage({ type: 'done', packets: summary.packets, flows: summary.flows, l7Records: summary.l7Records, failed } satisfies IngestMessage);
} catch (err) {
  port.postMessage({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies IngestMessage);
}
