// Randomized checks split across machines: `--shard i/n` walks the i-th of n contiguous seed ranges (the index may
// come from a Kubernetes Indexed Job's JOB_COMPLETION_INDEX) and writes a result file that `statevisor merge` reads.

import type { WalkFailure } from '../../check/random.js';
import type { WalkCoverage, WalkGoal, WalkSpec } from '../../check/walkCoverage.js';
import { InputError } from '../../kernel/errors.js';
import type { RawParams } from '../../scenarios/types.js';
import type { Violation } from '../../specs/spec.js';

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** At most this many shards: a result file per shard, and merge reads them all at once. */
export const SHARDS_MAX = 4096;

const INDEX_ENV = 'JOB_COMPLETION_INDEX';

function shardInt(text: string, what: string, max: number): number {
  if (!/^\d{1,9}$/.test(text)) throw new InputError(`--shard: ${what} must be a whole number, got '${text}'`);
  const n = Number(text);
  if (n > max) throw new InputError(`--shard: ${what} ${n} is out of range (at most ${max})`);
  return n;
}

/**
 * `--shard i/n`, or `--shard n` with i from JOB_COMPLETION_INDEX (as a Kubernetes Indexed Job sets it for each
 * of its pods); null without the flag. Every range error is one line naming what is wrong.
 */
export function parseShard(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): Shard | null {
  if (flag === undefined) return null;
  const parts = flag.split('/');
  if (parts.length > 2) throw new InputError(`--shard: expected i/n or n, got '${flag}'`);
  const count = shardInt(parts[parts.length - 1] ?? '', 'the shard count', SHARDS_MAX);
  if (count < 1) throw new InputError('--shard: the shard count must be at least 1');
  let indexText = parts.length === 2 ? (parts[0] ?? '') : env[INDEX_ENV];
  if (indexText === undefined) {
    throw new InputError(`--shard ${flag}: no shard index (give i/n, or set ${INDEX_ENV} as an Indexed Job does)`);
  }
  indexText = indexText.trim();
  const index = shardInt(indexText, parts.length === 2 ? 'the shard index' : INDEX_ENV, SHARDS_MAX - 1);
  if (index >= count) throw new InputError(`--shard: index ${index} is not below the shard count ${count}`);
  return { index, count };
}

/** The seeds a shard walks: the i-th of n contiguous ranges of first..first+seeds-1, the last one shorter. */
export function shardRange(first: number, seeds: number, shard: Shard): { first: number; count: number } {
  if (shard.count > seeds) {
    throw new InputError(`--shard: ${shard.count} shards for ${seeds} seeds would leave shards with none`);
  }
  const size = Math.ceil(seeds / shard.count);
  const start = shard.index * size;
  return { first: first + start, count: Math.max(0, Math.min(size, seeds - start)) };
}

/** What one shard did, as its result file holds it: everything merge needs to report as one run would. */
export interface ShardResult {
  readonly format: 'statevisor-shard-result';
  /** 2 added `coverage`: a version 1 file cannot say whether its walks exercised anything. */
  readonly version: 2;
  /** A shipped scenario's name, or the scenario file's path as the command was given it. */
  readonly scenario: string;
  readonly mode: 'random' | 'swarm';
  readonly mutant: string | null;
  readonly configNote: string;
  /** The parameters each walk started from (swarm draws its fault options over them). */
  readonly params: RawParams;
  /** The horizon of every walk, or null for the scenario's own. */
  readonly untilUs: number | null;
  /** The whole search, which every shard must share, and this shard's part of it. */
  readonly seeds: { readonly first: number; readonly count: number };
  readonly shard: { readonly index: number; readonly count: number; readonly first: number; readonly seeds: number };
  readonly walks: number;
  readonly timedOut: boolean;
  /** This shard's lowest failing seed, as found (merge shrinks it), or null. */
  readonly failure: WalkFailure | null;
  /** What this shard's walks exercised; null when it walked none. */
  readonly coverage: WalkCoverage | null;
  /** The spec a demonstration configuration must violate (RandomOutcome.expected), or null. */
  readonly expectedViolation: string | null;
}

/** The result file's text (stable key order, so two runs of one shard write the same bytes). */
export function shardResultText(r: ShardResult): string {
  return `${JSON.stringify(r, null, 2)}\n`;
}

function field(record: Record<string, unknown>, name: string, source: string): unknown {
  if (!Object.hasOwn(record, name)) throw new InputError(`${source}: no '${name}' field`);
  return record[name];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parameter values as --params takes them: numbers, booleans or strings, nothing nested. */
function readParams(v: unknown, name: string, source: string): RawParams {
  if (!isRecord(v)) throw new InputError(`${source}: '${name}' is not an object`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'number' && typeof x !== 'boolean' && typeof x !== 'string') {
      throw new InputError(`${source}: '${name}.${k}' is not a number, a boolean or a string`);
    }
  }
  return v as RawParams;
}

function natural(v: unknown, name: string, source: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new InputError(`${source}: '${name}' is not a count`);
  return v as number;
}

/** Checks a failure's shape (seed, params, choices, violation) without trusting anything in it. */
function readFailure(v: unknown, source: string): WalkFailure | null {
  if (v === null) return null;
  if (!isRecord(v)) throw new InputError(`${source}: 'failure' is not an object`);
  const choices = field(v, 'choices', source);
  if (!Array.isArray(choices) || !choices.every((c) => Number.isSafeInteger(c) && c >= 0)) {
    throw new InputError(`${source}: 'failure.choices' is not a list of choices`);
  }
  const params = readParams(field(v, 'params', source), 'failure.params', source);
  const violation = field(v, 'violation', source);
  if (!isRecord(violation) || typeof violation.spec !== 'string' || typeof violation.message !== 'string') {
    throw new InputError(`${source}: 'failure.violation' names no spec`);
  }
  return {
    seed: natural(field(v, 'seed', source), 'failure.seed', source),
    params,
    choices: choices as number[],
    violation: violation as unknown as Violation,
    steps: natural(field(v, 'steps', source), 'failure.steps', source),
  };
}

/** A parsed result file, checked field by field: one line naming the file and the field for anything wrong. */
export function readShardResult(value: unknown, source: string): ShardResult {
  if (!isRecord(value) || value.format !== 'statevisor-shard-result') {
    throw new InputError(`${source}: not a statevisor shard result (no format 'statevisor-shard-result')`);
  }
  if (value.version === 1) {
    throw new InputError(`${source}: version 1 (no coverage of what the walks exercised); run the shard again`);
  }
  if (value.version !== 2) throw new InputError(`${source}: unsupported version ${String(value.version)}`);
  const str = (name: string): string => text(field(value, name, source), name, source);
  const mode = str('mode');
  if (mode !== 'random' && mode !== 'swarm') throw new InputError(`${source}: 'mode' is not random or swarm`);
  const seeds = field(value, 'seeds', source);
  const shard = field(value, 'shard', source);
  const params = readParams(field(value, 'params', source), 'params', source);
  const mutant = field(value, 'mutant', source);
  const untilUs = field(value, 'untilUs', source);
  if (!isRecord(seeds) || !isRecord(shard)) throw new InputError(`${source}: 'seeds' and 'shard' must be objects`);
  if (mutant !== null && typeof mutant !== 'string') throw new InputError(`${source}: 'mutant' is not a name`);
  return {
    format: 'statevisor-shard-result',
    version: 2,
    scenario: str('scenario'),
    mode,
    mutant,
    configNote: str('configNote'),
    params,
    untilUs: untilUs === null ? null : natural(untilUs, 'untilUs', source),
    seeds: { first: natural(seeds.first, 'seeds.first', source), count: natural(seeds.count, 'seeds.count', source) },
    shard: {
      index: natural(shard.index, 'shard.index', source),
      count: natural(shard.count, 'shard.count', source),
      first: natural(shard.first, 'shard.first', source),
      seeds: natural(shard.seeds, 'shard.seeds', source),
    },
    walks: natural(field(value, 'walks', source), 'walks', source),
    timedOut: field(value, 'timedOut', source) === true,
    failure: readFailure(field(value, 'failure', source), source),
    coverage: readCoverage(field(value, 'coverage', source), source),
    expectedViolation: nameOrNull(field(value, 'expectedViolation', source), 'expectedViolation', source),
  };
}

function nameOrNull(v: unknown, name: string, source: string): string | null {
  if (v !== null && typeof v !== 'string') throw new InputError(`${source}: '${name}' is not a spec's name or null`);
  return v;
}

/** Goals, specs or liveness entries a coverage may list: far more than any system declares. */
const COVERAGE_ENTRIES_MAX = 10_000;

function list(v: unknown, name: string, source: string): Record<string, unknown>[] {
  if (!Array.isArray(v) || v.length > COVERAGE_ENTRIES_MAX || !v.every(isRecord)) {
    throw new InputError(`${source}: 'coverage.${name}' is not a list of objects`);
  }
  return v;
}

function text(v: unknown, name: string, source: string): string {
  if (typeof v !== 'string') throw new InputError(`${source}: '${name}' is not a string`);
  return v;
}

function flag(v: unknown, name: string, source: string): boolean {
  if (typeof v !== 'boolean') throw new InputError(`${source}: '${name}' is not true or false`);
  return v;
}

function countOrNull(v: unknown, name: string, source: string): number | null {
  return v === null ? null : natural(v, name, source);
}

/** A shard's coverage, field by field (WalkCoverage). */
function readCoverage(v: unknown, source: string): WalkCoverage | null {
  if (v === null) return null;
  if (!isRecord(v)) throw new InputError(`${source}: 'coverage' is not an object`);
  const goals = list(field(v, 'goals', source), 'goals', source).map(
    (g, i): WalkGoal => ({
      name: text(g.name, `coverage.goals[${i}].name`, source),
      description: text(g.description, `coverage.goals[${i}].description`, source),
      required: flag(g.required, `coverage.goals[${i}].required`, source),
      seed: countOrNull(g.seed, `coverage.goals[${i}].seed`, source),
      step: countOrNull(g.step, `coverage.goals[${i}].step`, source),
    }),
  );
  const specs = list(field(v, 'specs', source), 'specs', source).map((s, i): WalkSpec => {
    if (s.kind !== 'safety' && s.kind !== 'liveness') {
      throw new InputError(`${source}: 'coverage.specs[${i}].kind' is not safety or liveness`);
    }
    const name = text(s.name, `coverage.specs[${i}].name`, source);
    const specId = text(s.specId, `coverage.specs[${i}].specId`, source);
    return { name, specId, kind: s.kind, observed: flag(s.observed, `coverage.specs[${i}].observed`, source) };
  });
  const liveness = list(field(v, 'liveness', source), 'liveness', source).map((l, i) => {
    const spare = l.spareUs;
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare) && spare >= 0)) {
      throw new InputError(`${source}: 'coverage.liveness[${i}].spareUs' is not a time in µs or null`);
    }
    const spec = text(l.spec, `coverage.liveness[${i}].spec`, source);
    return {
      spec,
      claimed: flag(l.claimed, `coverage.liveness[${i}].claimed`, source),
      spareUs: spare as number | null,
    };
  });
  return { goals, specs, liveness };
}
