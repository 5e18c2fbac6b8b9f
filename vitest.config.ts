import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['analysis/src/**/*.test.ts', 'ebpf/src/**/*.test.ts', 'capture-agent/src/**/*.test.ts', 'sample-captures/lab/src/**/*.test.ts', 'app/src/**/*.test.ts', 'e2e/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores on the project's machines: run two test files at a time (vitest defaults to cores − 1).
    maxWorkers: 2,
  },
});
