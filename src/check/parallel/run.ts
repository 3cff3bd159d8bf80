// `check --workers N` for BFS: the same request as runCheck, explored by N worker threads over a shared table,
// reported exactly as one worker's BFS would report it (test/check/parallel.test.ts compares the two reports).

import { MachineThrew } from '../../kernel/errors.js';
import { CHECK_DEFAULTS, type CheckReport, type CheckRequest, checkReport, prepareCheck, runCheck } from '../check.js';
import { exploreParallel, type ParallelOptions } from './coordinator.js';

export async function runCheckWorkers(
  req: CheckRequest &
    Pick<ParallelOptions, 'redundantPerWorker' | 'onLevel' | 'onSplit'> & { readonly workers: number },
): Promise<CheckReport> {
  if (req.mode !== 'bfs' || (req.workers <= 1 && req.onLevel === undefined)) return runCheck(req);
  if (req.observe !== undefined) throw new Error('coverage is counted by one worker: run it without --workers');
  if (req.sleepSets === true) throw new Error('sleep sets are kept by one worker: run them without --workers');
  try {
    return await explored(req);
  } catch (err) {
    // A machine threw: which worker met it first is a race, so its path comes from one thread's BFS, deterministic
    // and shortest. The search is redone up to there, once, for a finding that ends it anyway.
    if (err instanceof MachineThrew) return runCheck(req);
    throw err;
  }
}

async function explored(
  req: CheckRequest &
    Pick<ParallelOptions, 'redundantPerWorker' | 'onLevel' | 'onSplit'> & { readonly workers: number },
): Promise<CheckReport> {
  let p: ReturnType<typeof prepareCheck> | null = null;
  const result = await exploreParallel({
    workers: req.workers,
    worker: {
      scenario: req.scenario.source?.file ?? req.scenario.name,
      params: req.params ?? {},
      config: req.config,
      full: req.full === true,
      mutant: req.mutant,
      untilUs: req.untilUs,
      maxDepth: req.maxDepth,
      reduce: req.reduce ?? true,
      view: req.view ?? true,
      symmetry: req.symmetry ?? true,
    },
    maxStates: req.maxStates ?? CHECK_DEFAULTS.maxStates,
    maxTimeMs: req.maxTimeMs ?? CHECK_DEFAULTS.maxTimeMs,
    maxMemoryBytes: req.maxMemoryBytes ?? CHECK_DEFAULTS.maxMemoryBytes,
    system: () => {
      p = prepareCheck(req);
      return { kernel: p.assembly.kernel, sometimes: p.sometimes, liveness: p.liveness };
    },
    now: req.now,
    ...(req.redundantPerWorker !== undefined ? { redundantPerWorker: req.redundantPerWorker } : {}),
    ...(req.onLevel !== undefined ? { onLevel: req.onLevel } : {}),
    ...(req.onSplit !== undefined ? { onSplit: req.onSplit } : {}),
    ...(req.onProgress !== undefined ? { onProgress: req.onProgress } : {}),
  });
  if (p === null) throw new Error('the parallel search never built its system');
  return checkReport(req, p, result);
}
