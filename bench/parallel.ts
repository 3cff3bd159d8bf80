// Parallel BFS benchmark: the same check configuration explored by one thread and by `check --workers 2`, run
// alternately in one process and timed end to end (worker start-up included), with the ratio of their rates.

import { performance } from 'node:perf_hooks';
import { type CheckReport, runCheck } from '../src/check/check.js';
import { runCheckWorkers } from '../src/check/parallel/run.js';
import { findScenario } from '../src/scenarios/index.js';
import { sig } from './stats.js';

const ROUNDS = 2;

export async function benchParallel(progress: (line: string) => void) {
  const scenario = findScenario('ha-failover');
  const req = { scenario, config: 'crash', mode: 'bfs' as const, now: () => performance.now() };
  const one: number[] = [];
  const two: number[] = [];
  let shape: CheckReport['result'] | null = null;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const a = runCheck(req);
    one.push(performance.now() - t);
    t = performance.now();
    const b = await runCheckWorkers({ ...req, workers: 2 });
    two.push(performance.now() - t);
    if (a.result.states !== b.result.states || a.result.transitions !== b.result.transitions) {
      throw new Error(`parallel: ${b.result.states} states on 2 workers, ${a.result.states} on one: not one search`);
    }
    if (a.result.verdict !== 'holds')
      throw new Error(`parallel: ha-failover crash is ${a.result.verdict}, not benchmarked`);
    shape = a.result;
    progress(
      `parallel round ${round}: one thread ${Math.round(one[round] ?? 0)} ms, 2 workers ${Math.round(two[round] ?? 0)} ms`,
    );
  }
  const split = { twoWorkers: await splitOf(req, 2), fourWorkers: await splitOf(req, 4) };
  progress(
    `parallel split: the work as shared out allows ${split.twoWorkers.cap}x on 2 workers, ${split.fourWorkers.cap}x on 4`,
  );
  const best = (xs: number[]) => Math.min(...xs);
  const states = shape?.states ?? 0;
  return {
    configuration: 'ha-failover crash (statevisor check ha-failover --config crash [--workers 2])',
    states,
    oneThread: { ms: Math.round(best(one)), statesPerSec: Math.round(states / (best(one) / 1000)) },
    twoWorkers: { ms: Math.round(best(two)), statesPerSec: Math.round(states / (best(two) / 1000)) },
    speedup: sig(best(one) / best(two)),
    split,
    splitMeaning:
      'each worker expands the states it reached first, and a state cannot move to another worker (it holds XState ' +
      'snapshots): cap is the speed-up that split alone allows, however many cores, from the states each worker ' +
      "expanded per level (sum of the levels' mean over the sum of their max, times the workers); a race decides " +
      'the split, so it varies from run to run',
    rounds: { oneThreadMs: one.map(Math.round), twoWorkersMs: two.map(Math.round) },
  };
}

/** One search on `workers` workers, counting what each expanded per shared-out level. */
async function splitOf(req: Parameters<typeof runCheck>[0], workers: number) {
  let mean = 0;
  let max = 0;
  let states = 0;
  await runCheckWorkers({
    ...req,
    workers,
    onSplit: (_level, expanded) => {
      const sum = expanded.reduce((a, b) => a + b, 0);
      states += sum;
      mean += sum / expanded.length;
      max += Math.max(...expanded);
    },
  });
  return { statesSharedOut: states, cap: sig(max === 0 ? 0 : (mean / max) * workers) };
}
