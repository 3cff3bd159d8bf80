// worker_threads entry for `statevisor mutants`: checks the mutants dealt to this worker, one at a time, and posts
// each result as soon as it is known, so the parent can show progress and keep the registry's order.

import { parentPort, workerData } from 'node:worker_threads';
import { findMutant } from '../mutants/index.js';
import { checkMutant } from './mutants.js';

const input = workerData as { readonly names: readonly string[]; readonly maxTimeMs?: number };
for (const name of input.names) {
  const result = checkMutant(findMutant(name), () => performance.now(), input.maxTimeMs);
  parentPort?.postMessage({ name, result });
}
