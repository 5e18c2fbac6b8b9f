// Fuzz shard b: mutated and random captures never crash or hang the import, and every loss is in ingest_violations.
import { expect, test } from 'vitest';
import { isCI } from '../test-support/corpus.js';
import { runFuzz } from '../test-support/fuzz.js';

// CI runs at least 100k cases over the two shards; REWIND_FUZZ_CASES changes the total locally.
const TOTAL = Number(process.env.REWIND_FUZZ_CASES ?? 100_000);

test('fuzz shard b: ' + TOTAL / 2 + ' mutated captures', { timeout: 600_000 }, async () => {
  if (isCI && TOTAL < 100_000) throw new Error('CI must run at least 100k fuzz cases');
  const r = await runFuzz(2, Math.ceil(TOTAL / 2));
  console.info(`fuzz shard b: ${r.cases} cases, statuses ${JSON.stringify(r.statuses)}, ${r.packets} packets, ${r.flows} flows, ${r.violations} violations, slowest ${r.slowestMs.toFixed(1)} ms`);
  expect(r.failures.join('\n')).toBe('');
  // The mutations must exercise all three outcomes, or the fuzzer is not reaching the code it should.
  expect(r.statuses.ok ?? 0).toBeGreaterThan(0);
  expect(r.statuses.partial ?? 0).toBeGreaterThan(0);
  expect(r.statuses.failed ?? 0).toBeGreaterThan(0);
});
