// `statevisor check --mode random|swarm`: independent seeded walks on worker threads, bounded by --seeds and by
// --max-time (no walk starts after it); a failure is shrunk, re-executed with tracing and written as a trace.

import { availableParallelism } from 'node:os';
import { CHECK_DEFAULTS } from '../../check/check.js';
import { type SearchRequest, type SearchResult, search } from '../../check/pool.js';
import { isSeedError, type WalkFailure } from '../../check/random.js';
import { type ShrinkResult, shrink } from '../../check/shrink.js';
import { coverageClaims } from '../../check/walkCoverage.js';
import { InputError, KernelError, LimitError } from '../../kernel/errors.js';
import { resolveParams } from '../../scenarios/types.js';
import { simulate } from '../../simulate.js';
import { bool, type FlagValues, intFlag, refuseFlags, str } from '../args.js';
import { EXIT_FAIL, EXIT_OK, type Io } from '../io.js';
import { writeAtomic } from '../output.js';
import { reproduceCommand } from '../report.js';
import type { CheckMode, CheckOptions } from './command.js';
import { randomAsExpected, randomJson, randomText, randomVerdict } from './randomReport.js';
import { parseShard, type Shard, type ShardResult, shardRange, shardResultText } from './shard.js';

/** How many walks, from which seed, on how many threads, and whether to shrink a failure. */
export interface WalkPlan {
  readonly seeds: number;
  readonly first: number;
  readonly workers: number;
  readonly shrink: boolean;
  /** This process's part of a search split across machines (--shard), and where its result file goes. */
  readonly shard: Shard | null;
  readonly resultPath: string | null;
  /** `merge`: how many shards' results this report combines (their walks took their own time), else null. */
  readonly mergedShards: number | null;
}

/** What a counterexample is re-executed and written as: the scenario, its planted bug, horizon and trace path. */
export interface ReproduceTarget {
  readonly scenario: CheckOptions['scenario'];
  readonly mutant: string | undefined;
  readonly untilUs: number;
  readonly tracePath: string;
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
  /**
   * The spec a demonstration configuration (`expect: { violated }`) must violate, or null: such a configuration passes
   * when the walks violate that spec, as its exhaustive check does (`expectationMet`); not with a planted mutant.
   */
  readonly expected: string | null;
}

/** Reads the random/swarm flags and refuses the bfs/dfs bounds, which would do nothing here. */
export function randomFlags(values: FlagValues, mode: CheckMode): WalkPlan {
  refuseFlags(
    values,
    ['max-depth', 'max-states', 'max-memory'],
    `only with --mode bfs or dfs; --mode ${mode} runs independent walks, each to the horizon`,
  );
  const shard = parseShard(str(values, 'shard'), process.env);
  const result = str(values, 'result');
  if (result !== undefined && shard === null) throw new InputError('--result: only with --shard');
  const plan = {
    seeds: intFlag('--seeds', str(values, 'seeds'), 1, 100_000_000) ?? 1000,
    first: intFlag('--first-seed', str(values, 'first-seed'), 0, Number.MAX_SAFE_INTEGER) ?? 1,
    workers: intFlag('--workers', str(values, 'workers'), 1, 256) ?? Math.max(1, availableParallelism()),
    shrink: !bool(values, 'no-shrink'),
    shard,
    resultPath: shard === null ? null : (result ?? `statevisor-shard-${shard.index}-of-${shard.count}.json`),
    mergedShards: null,
  };
  if (shard !== null) shardRange(plan.first, plan.seeds, shard);
  return plan;
}

export async function runRandom(opts: CheckOptions, plan: WalkPlan, io: Io): Promise<number> {
  const started = performance.now();
  const maxTimeMs = opts.maxTimeS !== undefined ? opts.maxTimeS * 1000 : CHECK_DEFAULTS.maxTimeMs;
  // One deadline for the whole check: walks stop being dealt at it, and shrinking stops at it too.
  const deadline = Date.now() + maxTimeMs;
  const range =
    plan.shard === null ? { first: plan.first, count: plan.seeds } : shardRange(plan.first, plan.seeds, plan.shard);
  const untilUs = opts.until !== undefined || !opts.full ? opts.untilUs : undefined;
  const params = opts.full ? opts.sets : opts.rawParams;
  const result = await searchOrSay(opts, untilUs, {
    scenario: opts.scenario,
    params,
    swarm: opts.mode === 'swarm',
    claims: coverageClaims({
      scenario: opts.scenario,
      config: opts.configs[0] ?? null,
      params: opts.sets,
      ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
      swarm: opts.mode === 'swarm',
    }),
    first: range.first,
    count: range.count,
    workers: plan.workers,
    maxTimeMs,
    ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
    ...(untilUs !== undefined ? { untilUs } : {}),
    ...(opts.progress
      ? {
          onProgress: (n: number) =>
            process.stderr.write(walkProgress(n, range.count, (performance.now() - started) / 1000)),
        }
      : {}),
  });
  if (opts.progress) process.stderr.write('\r\x1b[K');
  if (plan.shard !== null && plan.resultPath !== null) {
    writeAtomic(plan.resultPath, shardResultText(shardResult(opts, plan, plan.shard, range, params, untilUs, result)));
  }
  const target = {
    scenario: opts.scenario,
    mutant: opts.mutant,
    untilUs: untilUs ?? opts.scenario.untilUs,
    tracePath: opts.tracePath,
  };
  const reproduced = result.failure === null ? null : reproduce(target, plan.shrink, result.failure, deadline);
  const outcome: RandomOutcome = {
    search: result,
    reproduced,
    maxTimeMs,
    wallMs: performance.now() - started,
    expected: expectedOf(opts),
  };
  const walked = { ...plan, first: range.first, seeds: range.count };
  if (opts.json) io.out(randomJson(opts, walked, outcome));
  else randomText(opts, walked, outcome, io);
  return randomExit(outcome);
}

/**
 * Exit 1 for a counterexample and for walks that exercised too little to mean anything (randomVerdict); a
 * demonstration configuration instead passes exactly when the walks violated the spec it expects (randomAsExpected).
 */
export function randomExit(o: RandomOutcome): number {
  const met = randomAsExpected(o);
  if (met !== null) return met ? EXIT_OK : EXIT_FAIL;
  const v = randomVerdict(o);
  return v === 'violated' || v === 'vacuous' ? EXIT_FAIL : EXIT_OK;
}

/** A terminal progress line after `seconds` of walking: walks done, their rate, and the time the rest would take. */
export function walkProgress(done: number, total: number, seconds: number): string {
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = rate > 0 && done < total ? `, ~${Math.ceil((total - done) / rate)} s to go` : '';
  return `\r  ${done}/${total} walks, ${rate.toFixed(rate < 10 ? 1 : 0)} walks/s${eta}\x1b[K`;
}

/** The spec the walked configuration must violate (RandomOutcome.expected). */
function expectedOf(opts: CheckOptions): string | null {
  const config = opts.mode === 'random' ? (opts.configs[0] ?? null) : null;
  return opts.mutant === undefined ? (config?.expect?.violated ?? null) : null;
}

/**
 * The search; a walk whose machine broke the kernel contract or hit a run limit is reported as the same error with
 * the `statevisor run` command that repeats that walk (house style: every failure says how to reproduce it).
 */
async function searchOrSay(opts: CheckOptions, untilUs: number | undefined, req: SearchRequest): Promise<SearchResult> {
  try {
    return await search(req);
  } catch (err) {
    if (!isSeedError(err)) throw err;
    const again = reproduceCommand(opts.scenario, err.seed, resolveParams(opts.scenario, err.params), {
      mutant: opts.mutant,
      until: untilUs,
    });
    const message = `${err.message}; repeat it: ${again}`;
    throw err instanceof LimitError ? new LimitError(err.limit, message) : new KernelError(message);
  }
}

function shardResult(
  opts: CheckOptions,
  plan: WalkPlan,
  shard: Shard,
  range: { first: number; count: number },
  params: CheckOptions['sets'],
  untilUs: number | undefined,
  result: SearchResult,
): ShardResult {
  return {
    format: 'statevisor-shard-result',
    version: 2,
    scenario: opts.scenarioArg,
    mode: opts.mode === 'swarm' ? 'swarm' : 'random',
    mutant: opts.mutant ?? null,
    configNote: opts.configNote,
    params,
    untilUs: untilUs ?? null,
    seeds: { first: plan.first, count: plan.seeds },
    shard: { index: shard.index, count: shard.count, first: range.first, seeds: range.count },
    walks: result.walks,
    timedOut: result.timedOut,
    failure: result.failure,
    coverage: result.coverage,
    expectedViolation: expectedOf(opts),
  };
}

/** Shrinks a failing walk (unless --no-shrink), re-executes it with tracing, and writes the trace. */
export function reproduce(t: ReproduceTarget, shrinkOn: boolean, f: WalkFailure, deadline: number): Reproduced {
  const mutant = t.mutant !== undefined ? { mutant: t.mutant } : {};
  const shrunk = shrinkOn
    ? shrink({
        scenario: t.scenario,
        params: f.params,
        ...mutant,
        untilUs: t.untilUs,
        choices: f.choices,
        spec: f.violation.spec,
        budget: 400,
        deadline,
      })
    : null;
  const o = simulate({
    scenario: t.scenario,
    seed: f.seed,
    params: f.params,
    choices: shrunk?.choices ?? f.choices,
    untilUs: t.untilUs,
    trace: true,
    ...mutant,
  });
  writeAtomic(t.tracePath, o.trace?.text() ?? '');
  return {
    failure: f,
    shrunk,
    trace: { steps: o.result.state.step, hash: o.traceHash, violatedAtStep: o.result.violation?.step ?? null },
  };
}
