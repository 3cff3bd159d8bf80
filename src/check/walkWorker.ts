// worker_threads entry for randomized search: walks the seeds assigned to this worker (every Nth one) in order,
// and stops once a lower seed is known to fail, so the overall answer does not depend on the worker count.

import { parentPort, workerData } from 'node:worker_threads';
import { loadScenario } from '../scenarios/load.js';
import { endSeed, type WalkOptions, type WalkSeedsResult, walkSeeds } from './random.js';

interface WorkerInput extends WalkOptions {
  /** A shipped scenario's name or the user's file it came from. */
  readonly scenario: string;
  readonly stride: number;
  readonly offset: number;
  /** Shared: the lowest failing seed found by any worker (Infinity as 2^31-1). */
  readonly best: Int32Array;
  /** Shared: walks done by each worker, for progress. */
  readonly done: Int32Array;
}

const input = workerData as WorkerInput;
const scenario = await loadScenario(input.scenario);
const req = {
  scenario,
  params: input.params,
  swarm: input.swarm,
  ...(input.mutant !== undefined ? { mutant: input.mutant } : {}),
  ...(input.untilUs !== undefined ? { untilUs: input.untilUs } : {}),
  ...(input.deadline !== undefined ? { deadline: input.deadline } : {}),
  ...(input.claims !== undefined ? { claims: input.claims } : {}),
};
const result = walkSeeds(
  req,
  input.first,
  input.count,
  input.stride,
  input.offset,
  (seed) => seed > Atomics.load(input.best, 0),
  () => Atomics.add(input.done, input.offset, 1),
);
const ended = endSeed(result);
if (ended !== null) {
  // Keep the minimum failing (or broken) seed visible to the other workers.
  for (;;) {
    const cur = Atomics.load(input.best, 0);
    if (ended >= cur || Atomics.compareExchange(input.best, 0, cur, ended) === cur) break;
  }
}
parentPort?.postMessage(result satisfies WalkSeedsResult);
