// Runs before every test file: after each test, yield one macrotask so the worker answers vitest's RPC (its
// 60 s timeout) even when many synchronous tests (explorations, spawnSync CLI runs) follow each other on a busy host.

import { afterEach } from 'vitest';

afterEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
