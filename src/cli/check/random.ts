// `statevisor check --mode random|swarm`: independent seeded walks on worker threads, bounded by --seeds and by
// --max-time (no walk starts after it); a failure is shrunk, re-executed with tracing and written as a trace.

import { availableParallelism } from 'node:os';
import { CHECK_DEFAULTS } from '../../check/check.js';
import { type SearchResult, search } from '../../check/pool.js';
import type { WalkFailure } from '../../check/random.js';
import { type ShrinkResult, shrink } from '../../check/shrink.js';
import { simulate } from '../../simulate.js';
import { bool, type FlagValues, intFlag, refuseFlags, str } from '../args.js';
import { EXIT_FAIL, EXIT_OK, type Io } from '../io.js';
import { writeAtomic } from '../output.js';
import type { CheckMode, CheckOptions } from './command.js';
import { randomJson, randomText } from './randomReport.js';

/** How many walks, from which seed, on how many threads, and whether to shrink a failure. */
export interface WalkPlan {
  readonly seeds: number;
  readonly first: number;
  readonly workers: number;
  readonly shrink: boolean;
}

/** What a failing walk became: its shrunk choices (unless --no-shrink) and the trace written for it. */
export interface Reproduced {
  readonly failure: WalkFailure;
  readonly shrunk: ShrinkResult | null;
  readonly trace: { readonly steps: number; readonly hash: string | null; readonly violatedAtStep: number | null };
}

/** The outcome of a randomized check, as both renderers see it. */
export interface RandomOutcome {
  readonly search: SearchResult;
  readonly reproduced: Reproduced | null;
  readonly maxTimeMs: number;
  readonly wallMs: number;
}

/** Reads the random/swarm flags and refuses the bfs/dfs bounds, which would do nothing here. */
export function randomFlags(values: FlagValues, mode: CheckMode): WalkPlan {
  refuseFlags(
    values,
    ['max-depth', 'max-states', 'max-memory'],
    `only with --mode bfs or dfs; --mode ${mode} runs independent walks, each to the horizon`,
  );
  return {
    seeds: intFlag('--seeds', str(values, 'seeds'), 1, 100_000_000) ?? 1000,
    first: intFlag('--first-seed', str(values, 'first-seed'), 0, Number.MAX_SAFE_INTEGER) ?? 1,
    workers: intFlag('--workers', str(values, 'workers'), 1, 256) ?? Math.max(1, availableParallelism()),
    shrink: !bool(values, 'no-shrink'),
  };
}

export async function runRandom(opts: CheckOptions, plan: WalkPlan, io: Io): Promise<number> {
  const started = performance.now();
  const maxTimeMs = opts.maxTimeS !== undefined ? opts.maxTimeS * 1000 : CHECK_DEFAULTS.maxTimeMs;
  // One deadline for the whole check: walks stop being dealt at it, and shrinking stops at it too.
  const deadline = Date.now() + maxTimeMs;
  const result = await search({
    scenario: opts.scenario,
    params: opts.full ? opts.sets : opts.rawParams,
    swarm: opts.mode === 'swarm',
    first: plan.first,
    count: plan.seeds,
    workers: plan.workers,
    maxTimeMs,
    ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
    ...(opts.until !== undefined || !opts.full ? { untilUs: opts.untilUs } : {}),
    ...(opts.progress ? { onProgress: (n: number) => process.stderr.write(`\r  ${n}/${plan.seeds} walks   `) } : {}),
  });
  if (opts.progress) process.stderr.write('\r\x1b[K');
  const reproduced = result.failure === null ? null : reproduce(opts, plan, result.failure, deadline);
  const outcome: RandomOutcome = { search: result, reproduced, maxTimeMs, wallMs: performance.now() - started };
  if (opts.json) io.out(randomJson(opts, plan, outcome));
  else randomText(opts, plan, outcome, io);
  return result.failure === null ? EXIT_OK : EXIT_FAIL;
}

/** Shrinks a failing walk (unless --no-shrink), re-executes it with tracing, and writes the trace. */
function reproduce(opts: CheckOptions, plan: WalkPlan, f: WalkFailure, deadline: number): Reproduced {
  const untilUs = opts.until !== undefined || !opts.full ? opts.untilUs : opts.scenario.untilUs;
  const mutant = opts.mutant !== undefined ? { mutant: opts.mutant } : {};
  const shrunk = plan.shrink
    ? shrink({
        scenario: opts.scenario,
        params: f.params,
        ...mutant,
        untilUs,
        choices: f.choices,
        spec: f.violation.spec,
        budget: 400,
        deadline,
      })
    : null;
  const o = simulate({
    scenario: opts.scenario,
    seed: f.seed,
    params: f.params,
    choices: shrunk?.choices ?? f.choices,
    untilUs,
    trace: true,
    ...mutant,
  });
  writeAtomic(opts.tracePath, o.trace?.text() ?? '');
  return {
    failure: f,
    shrunk,
    trace: { steps: o.result.state.step, hash: o.traceHash, violatedAtStep: o.result.violation?.step ?? null },
  };
}
