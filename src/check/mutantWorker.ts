// worker_threads entry for `statevisor mutants`: checks the mutants dealt to this worker, one at a time, and posts
// each result as soon as it is known, so the parent can show progress and keep the registry's order.

import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../scenarios/load.js';
import { findMutantFor } from '../scenarios/types.js';
import { checkMutant } from './mutants.js';

const input = workerData as { readonly jobs: readonly { ref: string; name: string }[]; readonly maxTimeMs?: number };
for (const { ref, name } of input.jobs) {
  const scenario = await loadScenario(ref);
  const result = checkMutant(scenario, findMutantFor(scenario, name), () => performance.now(), input.maxTimeMs);
  parentPort?.postMessage({ name, result });
}
