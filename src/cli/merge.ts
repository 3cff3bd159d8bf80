// `statevisor merge`: combines the result files of a randomized check split with --shard into the report one machine
// would have printed — the same verdict, coverage and lowest-seed counterexample, shrunk and written as a trace.

import { mergeCoverage, type WalkCoverage } from '../check/walkCoverage.js';
import { readUserFile } from '../input/files.js';
import { assertJsonDepth } from '../input/json.js';
import { InputError } from '../kernel/errors.js';
import { loadScenario } from '../scenarios/load.js';
import { findMutantFor, resolveParams } from '../scenarios/types.js';
import { bool, intFlag, parse, str } from './args.js';
import { type RandomOutcome, randomExit, reproduce, type WalkPlan } from './check/random.js';
import { randomJson, randomText } from './check/randomReport.js';
import { readShardResult, SHARDS_MAX, type ShardResult, shardRange } from './check/shard.js';
import { help } from './help.js';
import type { Io } from './io.js';
import { prepareOutput } from './output.js';

const FLAGS = {
  trace: { type: 'string' },
  json: { type: 'boolean' },
  'no-shrink': { type: 'boolean' },
  'max-time': { type: 'string' },
} as const;

/** A result file is a few kilobytes; anything far larger is not one. */
const RESULT_MAX_BYTES = 16 * 1024 * 1024;

export async function cmdMerge(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('merge', args, FLAGS);
  if (values.help) return help('merge', io);
  if (positionals.length === 0) throw new InputError('merge: give the result files the shards wrote (--result)');
  if (positionals.length > SHARDS_MAX) throw new InputError(`merge: more than ${SHARDS_MAX} result files`);
  const results = positionals.map((path) => readShardResult(readJson(path), path));
  const first = consistent(results, positionals);
  const scenario = await loadScenario(first.scenario);
  if (first.mutant !== null) findMutantFor(scenario, first.mutant);
  results.forEach((r, i) => {
    resolveParams(scenario, r.params, `${positionals[i]}: params: `);
    if (r.failure !== null) resolveParams(scenario, r.failure.params, `${positionals[i]}: failure.params: `);
  });
  const mutant = first.mutant ?? undefined;
  const tracePath =
    str(values, 'trace') ?? `traces/${scenario.name}${mutant !== undefined ? `-${mutant}` : ''}-counterexample.jsonl`;
  prepareOutput('--trace', tracePath);
  const started = performance.now();
  const maxTimeMs = (intFlag('--max-time', str(values, 'max-time'), 1, 31_536_000) ?? 600) * 1000;
  const failure = lowestFailure(results);
  const target = { scenario, mutant, untilUs: first.untilUs ?? scenario.untilUs, tracePath };
  const shrinkOn = !bool(values, 'no-shrink');
  const reproduced = failure === null ? null : reproduce(target, shrinkOn, failure, Date.now() + maxTimeMs);
  const walks = results.reduce((n, r) => n + r.walks, 0);
  const timedOut = failure === null && results.some((r) => r.timedOut);
  const outcome: RandomOutcome = {
    search: { failure, walks, workers: results.length, timedOut, coverage: mergedCoverage(results, positionals) },
    reproduced,
    maxTimeMs,
    wallMs: performance.now() - started,
    expected: first.expectedViolation,
  };
  const opts = { scenario, mode: first.mode, mutant, configNote: first.configNote, tracePath };
  const plan: WalkPlan = {
    seeds: first.seeds.count,
    first: first.seeds.first,
    workers: results.length,
    shrink: shrinkOn,
    shard: null,
    resultPath: null,
    mergedShards: results.length,
  };
  if (bool(values, 'json')) io.out(randomJson(opts, plan, outcome));
  else randomText(opts, plan, outcome, io);
  return randomExit(outcome);
}

/** The shards' coverage as one machine's: each goal's lowest seed, any observation, each spec's least spare time. */
function mergedCoverage(results: readonly ShardResult[], paths: readonly string[]): WalkCoverage | null {
  let merged: WalkCoverage | null = null;
  results.forEach((r, i) => {
    try {
      merged = mergeCoverage(merged, r.coverage);
    } catch {
      throw new InputError(`merge: ${paths[i]}: its coverage names other goals or specs than the shards before it`);
    }
  });
  return merged;
}

function readJson(path: string): unknown {
  const text = readUserFile(path, RESULT_MAX_BYTES, `merge: cannot read '${path}'`);
  assertJsonDepth(text, path, false);
  try {
    return JSON.parse(text);
  } catch {
    throw new InputError(`merge: '${path}' is not valid JSON`);
  }
}

/** Every file is one shard of the same search, every shard is there once, and each walked its own range. */
function consistent(results: readonly ShardResult[], paths: readonly string[]): ShardResult {
  const head = results[0];
  if (head === undefined) throw new InputError('merge: no result files');
  const key = (r: ShardResult) =>
    JSON.stringify([
      r.scenario,
      r.mode,
      r.mutant,
      r.configNote,
      r.expectedViolation,
      r.params,
      r.untilUs,
      r.seeds,
      r.shard.count,
    ]);
  const seen = new Map<number, string>();
  results.forEach((r, i) => {
    const path = paths[i] ?? '?';
    if (key(r) !== key(head)) {
      throw new InputError(
        `merge: ${path} is a shard of another search than ${paths[0]} (scenario, mode, mutant, configuration, parameters, horizon, seeds or shard count differ)`,
      );
    }
    const range = shardRange(r.seeds.first, r.seeds.count, { index: r.shard.index, count: r.shard.count });
    if (r.shard.index >= r.shard.count || range.first !== r.shard.first || range.count !== r.shard.seeds) {
      throw new InputError(
        `merge: ${path}: shard ${r.shard.index} of ${r.shard.count} does not walk seeds ${range.first}..${range.first + range.count - 1}`,
      );
    }
    const dup = seen.get(r.shard.index);
    if (dup !== undefined) throw new InputError(`merge: ${path} repeats shard ${r.shard.index} (also in ${dup})`);
    seen.set(r.shard.index, path);
  });
  for (let i = 0; i < head.shard.count; i++) {
    if (!seen.has(i)) throw new InputError(`merge: shard ${i} of ${head.shard.count} is missing`);
  }
  return head;
}

/**
 * The failure a single machine would report: the lowest failing seed. Shards walk contiguous ranges and each stops
 * at its own lowest failure, so the lowest of those is the lowest of all.
 */
function lowestFailure(results: readonly ShardResult[]): ShardResult['failure'] {
  let best: ShardResult['failure'] = null;
  for (const r of results) if (r.failure !== null && (best === null || r.failure.seed < best.seed)) best = r.failure;
  return best;
}
