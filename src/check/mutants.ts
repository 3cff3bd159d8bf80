// The mutation score as a product feature: check every registered mutant on its scenario's check configuration
// and report which spec killed it, with the counterexample's length and the time it took; a survivor fails the run.

import { Worker } from 'node:worker_threads';
import { fromWorker } from '../kernel/errors.js';
import type { Mutant, Scenario } from '../scenarios/types.js';
import { runCheck } from './check.js';

/**
 * A mutant and where it must be caught: the scenario, and how a worker thread finds it again (a shipped
 * scenario's name or the path of the user's file it came from).
 */
export interface MutantTarget {
  readonly mutant: Mutant;
  readonly scenario: Scenario;
  readonly ref: string;
}

export interface MutantResult {
  readonly mutant: string;
  readonly machine: string;
  readonly scenario: string;
  readonly config: string | null;
  readonly expectedSpec: string;
  /** The spec that found the counterexample, or null when the mutant survived. */
  readonly caughtBy: string | null;
  readonly steps: number | null;
  readonly states: number;
  readonly seconds: number;
  /** The exploration's verdict: a survivor is 'holds' (or 'bound-hit' / 'vacuous', which prove nothing). */
  readonly verdict: string;
}

export interface MutantsRequest {
  readonly targets: readonly MutantTarget[];
  readonly now: () => number;
  readonly maxTimeMs?: number;
  readonly onResult?: (r: MutantResult, index: number, total: number) => void;
}

/** Checks one mutant with BFS on its check configuration (shortest counterexample). */
export function checkMutant(scenario: Scenario, m: Mutant, now: () => number, maxTimeMs?: number): MutantResult {
  const t0 = now();
  const report = runCheck({
    scenario,
    mode: 'bfs',
    mutant: m.name,
    now,
    ...(m.config !== undefined ? { config: m.config } : {}),
    ...(maxTimeMs !== undefined ? { maxTimeMs } : {}),
  });
  const cex = report.result.counterexample;
  return {
    mutant: m.name,
    machine: m.machine,
    scenario: m.scenario,
    config: m.config ?? null,
    expectedSpec: m.expectedSpec,
    caughtBy: cex?.violation.spec ?? null,
    steps: cex?.steps ?? null,
    states: report.result.states,
    seconds: (now() - t0) / 1000,
    verdict: report.result.verdict,
  };
}

/** In this thread, one after another. */
export function runMutants(req: MutantsRequest): MutantResult[] {
  const selected = req.targets;
  return selected.map((t, i) => {
    const r = checkMutant(t.scenario, t.mutant, req.now, req.maxTimeMs);
    req.onResult?.(r, i, selected.length);
    return r;
  });
}

/**
 * On worker threads: mutants are dealt round-robin, each worker checks its share in order, and the results come
 * back in registry order whatever the worker count (each check is deterministic; only the seconds differ).
 */
export async function runMutantsParallel(req: MutantsRequest & { readonly workers: number }): Promise<MutantResult[]> {
  const selected = req.targets;
  if (req.workers <= 1 || selected.length <= 1) return runMutants(req);
  const results = new Map<string, MutantResult>();
  let done = 0;
  const shares = Array.from({ length: Math.min(req.workers, selected.length) }, (_, w) =>
    selected.filter((_t, i) => i % req.workers === w).map((t) => ({ ref: t.ref, name: t.mutant.name })),
  );
  await Promise.all(
    shares.map(
      (names) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
            workerData: {
              entry: 'mutants',
              jobs: names,
              ...(req.maxTimeMs !== undefined ? { maxTimeMs: req.maxTimeMs } : {}),
            },
          });
          worker.on('message', (msg: { name: string; result: MutantResult }) => {
            results.set(msg.name, msg.result);
            req.onResult?.(msg.result, done++, selected.length);
          });
          worker.once('error', (e) => reject(fromWorker(e)));
          worker.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`mutant worker exited with code ${code}`)),
          );
        }),
    ),
  );
  return selected.map((t) => results.get(t.mutant.name) as MutantResult);
}
