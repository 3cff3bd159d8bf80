// Vitest configuration: tests live in test/, mirror the code's layout, and run in forked workers.
// Subprocess CLI tests spawn `node bin/statevisor.js`, so a generous per-test timeout is set for slow machines.

import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest leaves one core to its main process, which only waits: on CI's 2 cores that would run one file at a time.
    maxWorkers: availableParallelism(),
    reporters: ['default'],
  },
});
