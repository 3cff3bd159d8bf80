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
    // Files share a worker's module cache instead of each re-importing the catalogue (xstate, every machine and
    // scenario): 53 s of collection instead of 100 s on 2 cores. The code's module-level state is memo caches of
    // pure functions (hashes, a user file's scenario by path), and tests that stub a global restore it.
    isolate: false,
    setupFiles: ['test/setup.ts'],
    // Vitest leaves one core to its main process, which only waits: on CI's 2 cores that would run one file at a time.
    maxWorkers: availableParallelism(),
    reporters: ['default'],
  },
});
