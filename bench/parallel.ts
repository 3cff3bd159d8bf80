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
  const best = (xs: number[]) => Math.min(...xs);
  const states = shape?.states ?? 0;
  return {
    configuration: 'ha-failover crash (statevisor check ha-failover --config crash [--workers 2])',
    states,
    oneThread: { ms: Math.round(best(one)), statesPerSec: Math.round(states / (best(one) / 1000)) },
    twoWorkers: { ms: Math.round(best(two)), statesPerSec: Math.round(states / (best(two) / 1000)) },
    speedup: sig(best(one) / best(two)),
    rounds: { oneThreadMs: one.map(Math.round), twoWorkersMs: two.map(Math.round) },
  };
}
