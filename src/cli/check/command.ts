// `statevisor check <scenario>`: the flags shared by both search modes, refusal of the other mode's flags, and
// dispatch to exhaustive search (bfs/dfs, exhaustive.ts) or randomized walks (random/swarm, random.ts).

import { findCheck } from '../../check/check.js';
import { InputError } from '../../kernel/errors.js';
import { loadScenario } from '../../scenarios/load.js';
import {
  type CheckConfig,
  findMutantFor,
  type RawParams,
  resolveParams,
  type Scenario,
} from '../../scenarios/types.js';
import {
  bool,
  type FlagSpec,
  type FlagValues,
  intFlag,
  onePositional,
  parse,
  refuseFlags,
  SCENARIO_MISSING,
  str,
} from '../args.js';
import { help } from '../help.js';
import type { Io } from '../io.js';
import { prepareOutput } from '../output.js';
import { userParams } from '../params.js';
import { runAudit } from './audit.js';
import { exhaustiveFlags, runExhaustive } from './exhaustive.js';
import { randomFlags, runRandom } from './random.js';

export const CHECK_FLAGS: FlagSpec = {
  mode: { type: 'string' },
  set: { type: 'string', multiple: true },
  params: { type: 'string' },
  full: { type: 'boolean' },
  config: { type: 'string' },
  mutant: { type: 'string' },
  until: { type: 'string' },
  'max-depth': { type: 'string' },
  'max-states': { type: 'string' },
  'max-time': { type: 'string' },
  'max-memory': { type: 'string' },
  seeds: { type: 'string' },
  'first-seed': { type: 'string' },
  workers: { type: 'string' },
  'no-shrink': { type: 'boolean' },
  'sleep-sets': { type: 'boolean' },
  'with-statistics': { type: 'boolean' },
  'audit-statistics': { type: 'boolean' },
  'no-symmetry': { type: 'boolean' },
  'audit-symmetry': { type: 'boolean' },
  shard: { type: 'string' },
  result: { type: 'string' },
  trace: { type: 'string' },
  coverage: { type: 'string' },
  json: { type: 'boolean' },
};

const MODES = ['bfs', 'dfs', 'random', 'swarm'] as const;
export type CheckMode = (typeof MODES)[number];

/** What both search modes share, validated before any work. */
export interface CheckOptions {
  readonly scenario: Scenario;
  /** The scenario as the command named it (a shipped name or a file path): what a shard's result file records. */
  readonly scenarioArg: string;
  readonly mode: CheckMode;
  readonly mutant: string | undefined;
  /** Start from the scenario's full defaults instead of its small check configurations. */
  readonly full: boolean;
  /**
   * The check configurations to explore, in order: every one the scenario declares, or the one --config names,
   * or [null] (the full defaults). Random and swarm walks use the first.
   */
  readonly configs: readonly (CheckConfig | null)[];
  /** The user's parameters (--params, --set), laid over each configuration's. */
  readonly sets: RawParams;
  /** The first configuration's parameters with the user's over them, and its horizon. */
  readonly rawParams: RawParams;
  /** --until as given, and the horizon in effect for the first configuration. */
  readonly until: number | undefined;
  readonly untilUs: number;
  readonly maxTimeS: number | undefined;
  /** --trace as given, or null: each configuration then writes its own default path. */
  readonly traceFlag: string | null;
  readonly tracePath: string;
  readonly configNote: string;
  readonly json: boolean;
  readonly progress: boolean;
}

export async function cmdCheck(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('check', args, CHECK_FLAGS);
  if (values.help) return help('check', io);
  const scenarioArg = onePositional('check', positionals, SCENARIO_MISSING);
  const scenario = await loadScenario(scenarioArg);
  const opts = { ...checkOptions(scenario, values, io), scenarioArg };
  if (opts.mode === 'random' || opts.mode === 'swarm') {
    refuseFlags(
      values,
      ['coverage', 'sleep-sets', 'with-statistics', 'audit-statistics', 'no-symmetry', 'audit-symmetry'],
      `only with --mode bfs or dfs; --mode ${opts.mode} explores no state space`,
    );
    const walks = randomFlags(values, opts.mode);
    prepareOutput('--trace', opts.tracePath);
    return await runRandom(opts, walks, io);
  }
  const bounds = exhaustiveFlags(values, opts.mode);
  prepareOutput('--trace', opts.tracePath);
  if (bounds.coveragePath !== undefined) {
    if (opts.configs.length > 1) {
      const names = opts.configs.map((c) => c?.name ?? 'full').join(', ');
      throw new InputError(
        `--coverage: counts one configuration; name one with --config (this scenario has: ${names})`,
      );
    }
    prepareOutput('--coverage', bounds.coveragePath);
  }
  return bounds.audit ? runAudit(opts, bounds, io) : runExhaustive(opts, bounds, io);
}

function checkOptions(scenario: Scenario, values: FlagValues, io: Io): Omit<CheckOptions, 'scenarioArg'> {
  const mode = str(values, 'mode') ?? 'bfs';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InputError(`--mode: expected bfs, dfs, random or swarm, got '${mode}'`);
  }
  const mutant = str(values, 'mutant');
  if (mutant !== undefined) findMutantFor(scenario, mutant);
  const sets = userParams(scenario, values);
  const named = str(values, 'config');
  // A swarm draws fault options a scenario made for its own defaults. A check configuration is another regime, its
  // deadlines and retries tuned to the faults it injects: drawn faults on top of them break those bounds (a swarm of
  // ha-failover `crash` over a 900 µs link, or of faulty-device `dev-crash` at 20% loss with its 3 retries, reported
  // the correct models as violating liveness). So swarm runs on the defaults, as `soak` and the Kubernetes Job do.
  if (mode === 'swarm' && named !== undefined) {
    throw new InputError(
      "--config: swarm draws its faults over the scenario's defaults, not over a check configuration tuned to its own (walk a configuration with --mode random)",
    );
  }
  const full = bool(values, 'full') || mode === 'swarm';
  if (full && named !== undefined) throw new InputError('--config: names a check configuration; --full uses none');
  const configs: (CheckConfig | null)[] = full
    ? [null]
    : named !== undefined
      ? [findCheck(scenario, named)]
      : scenario.checks !== undefined && scenario.checks.length > 0
        ? [...scenario.checks]
        : [null];
  for (const c of configs) resolveParams(scenario, { ...(c?.params ?? {}), ...sets });
  const first = configs[0] ?? null;
  const until = intFlag('--until', str(values, 'until'), 0, Number.MAX_SAFE_INTEGER);
  const json = bool(values, 'json');
  const traceFlag = str(values, 'trace') ?? null;
  return {
    scenario,
    mode: mode as CheckMode,
    mutant,
    full,
    configs,
    sets,
    rawParams: { ...(first?.params ?? {}), ...sets },
    until,
    untilUs: until ?? first?.untilUs ?? scenario.untilUs,
    maxTimeS: intFlag('--max-time', str(values, 'max-time'), 1, 31_536_000),
    traceFlag,
    tracePath: traceFlag ?? counterexamplePath(scenario, first, configs.length, mutant),
    configNote: configNote(first, sets),
    json,
    progress: io.progress && !json,
  };
}

/** `traces/<scenario>[-<config>][-<mutant>]-counterexample.jsonl`: the config is named when there are several. */
export function counterexamplePath(
  scenario: Scenario,
  config: CheckConfig | null,
  configCount: number,
  mutant: string | undefined,
): string {
  const c = config !== null && (scenario.checks?.length ?? 0) > 1 ? `-${config.name}` : '';
  return `traces/${scenario.name}${configCount >= 1 ? c : ''}${mutant ? `-${mutant}` : ''}-counterexample.jsonl`;
}

/**
 * The configuration as the header names it, with the user's parameters after it: a configuration's note describes
 * its own parameters, so a report of `--set maxOutstanding=1` must not read as the configuration's "2 in flight" alone.
 */
export function configNote(config: CheckConfig | null, sets: RawParams = {}): string {
  const base = config === null ? 'full defaults' : `${config.name}: ${config.note}`;
  const keys = Object.keys(sets).sort();
  return keys.length === 0 ? base : `${base}; with ${keys.map((k) => `${k}=${String(sets[k])}`).join(', ')}`;
}
