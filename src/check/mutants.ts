// The mutation score as a product feature: check every registered mutant on its scenario's check configuration
// and report which spec killed it, with the counterexample's length and the time it took; a survivor fails the run.

import { Worker } from 'node:worker_threads';
import { type Mutant, mutants } from '../mutants/index.js';
import { findScenario } from '../scenarios/index.js';
import { runCheck } from './check.js';

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
  /** Only the mutants registered for this scenario (default: all). */
  readonly scenario?: string;
  readonly now: () => number;
  readonly maxTimeMs?: number;
  readonly onResult?: (r: MutantResult, index: number, total: number) => void;
}

/** The mutants a request selects, in registry order. */
export function selectMutants(scenario?: string): readonly Mutant[] {
  if (scenario === undefined) return mutants;
  findScenario(scenario);
  return mutants.filter((m) => m.scenario === scenario);
}

/** Checks one mutant with BFS on its check configuration (shortest counterexample). */
export function checkMutant(m: Mutant, now: () => number, maxTimeMs?: number): MutantResult {
  const t0 = now();
  const report = runCheck({
    scenario: findScenario(m.scenario),
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
  const selected = selectMutants(req.scenario);
  return selected.map((m, i) => {
    const r = checkMutant(m, req.now, req.maxTimeMs);
    req.onResult?.(r, i, selected.length);
    return r;
  });
}

/**
 * On worker threads: mutants are dealt round-robin, each worker checks its share in order, and the results come
 * back in registry order whatever the worker count (each check is deterministic; only the seconds differ).
 */
export async function runMutantsParallel(req: MutantsRequest & { readonly workers: number }): Promise<MutantResult[]> {
  const selected = selectMutants(req.scenario);
  if (req.workers <= 1 || selected.length <= 1) return runMutants(req);
  const results = new Map<string, MutantResult>();
  let done = 0;
  const shares = Array.from({ length: Math.min(req.workers, selected.length) }, (_, w) =>
    selected.filter((_m, i) => i % req.workers === w).map((m) => m.name),
  );
  await Promise.all(
    shares.map(
      (names) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
            workerData: {
              entry: 'mutants',
              names,
              ...(req.maxTimeMs !== undefined ? { maxTimeMs: req.maxTimeMs } : {}),
            },
          });
          worker.on('message', (msg: { name: string; result: MutantResult }) => {
            results.set(msg.name, msg.result);
            req.onResult?.(msg.result, done++, selected.length);
          });
          worker.once('error', reject);
          worker.once('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`mutant worker exited with code ${code}`)),
          );
        }),
    ),
  );
  return selected.map((m) => results.get(m.name) as MutantResult);
}
