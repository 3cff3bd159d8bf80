// `statevisor check <scenario>`: the flags shared by both search modes, refusal of the other mode's flags, and
// dispatch to exhaustive search (bfs/dfs, exhaustive.ts) or randomized walks (random/swarm, random.ts).

import { InputError } from '../../kernel/errors.js';
import { findMutantFor } from '../../mutants/index.js';
import { findScenario } from '../../scenarios/index.js';
import { type RawParams, resolveParams, type Scenario } from '../../scenarios/types.js';
import { bool, type FlagSpec, type FlagValues, intFlag, onePositional, parse, str } from '../args.js';
import { help } from '../help.js';
import type { Io } from '../io.js';
import { prepareOutput } from '../output.js';
import { userParams } from '../params.js';
import { exhaustiveFlags, runExhaustive } from './exhaustive.js';
import { randomFlags, runRandom } from './random.js';

const CHECK_FLAGS: FlagSpec = {
  mode: { type: 'string' },
  set: { type: 'string', multiple: true },
  params: { type: 'string' },
  full: { type: 'boolean' },
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
  trace: { type: 'string' },
  json: { type: 'boolean' },
};

const MODES = ['bfs', 'dfs', 'random', 'swarm'] as const;
export type CheckMode = (typeof MODES)[number];

/** What both search modes share, validated before any work. */
export interface CheckOptions {
  readonly scenario: Scenario;
  readonly mode: CheckMode;
  readonly mutant: string | undefined;
  /** Start from the scenario's full defaults instead of its small check configuration. */
  readonly full: boolean;
  /** The user's parameters (--params, --set) and the same over the check configuration's. */
  readonly sets: RawParams;
  readonly rawParams: RawParams;
  /** --until as given, and the horizon in effect. */
  readonly until: number | undefined;
  readonly untilUs: number;
  readonly maxTimeS: number | undefined;
  readonly tracePath: string;
  readonly configNote: string;
  readonly json: boolean;
  readonly progress: boolean;
}

export async function cmdCheck(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse('check', args, CHECK_FLAGS);
  if (values.help) return help('check', io);
  const opts = checkOptions(values, positionals, io);
  if (opts.mode === 'random' || opts.mode === 'swarm') {
    const walks = randomFlags(values, opts.mode);
    prepareOutput('--trace', opts.tracePath);
    return await runRandom(opts, walks, io);
  }
  const bounds = exhaustiveFlags(values, opts.mode);
  prepareOutput('--trace', opts.tracePath);
  return runExhaustive(opts, bounds, io);
}

function checkOptions(values: FlagValues, positionals: readonly string[], io: Io): CheckOptions {
  const scenario = findScenario(onePositional('check', positionals, "missing scenario name (see 'statevisor list')"));
  const mode = str(values, 'mode') ?? 'bfs';
  if (!(MODES as readonly string[]).includes(mode)) {
    throw new InputError(`--mode: expected bfs, dfs, random or swarm, got '${mode}'`);
  }
  const mutant = str(values, 'mutant');
  if (mutant !== undefined) findMutantFor(mutant, scenario.name);
  const sets = userParams(scenario, values);
  const full = bool(values, 'full');
  const rawParams = { ...(full ? {} : (scenario.check?.params ?? {})), ...sets };
  resolveParams(scenario, rawParams);
  const until = intFlag('--until', str(values, 'until'), 0, Number.MAX_SAFE_INTEGER);
  const json = bool(values, 'json');
  return {
    scenario,
    mode: mode as CheckMode,
    mutant,
    full,
    sets,
    rawParams,
    until,
    untilUs: until ?? (full ? scenario.untilUs : (scenario.check?.untilUs ?? scenario.untilUs)),
    maxTimeS: intFlag('--max-time', str(values, 'max-time'), 1, 31_536_000),
    tracePath: str(values, 'trace') ?? `traces/${scenario.name}${mutant ? `-${mutant}` : ''}-counterexample.jsonl`,
    configNote: full ? 'full defaults' : (scenario.check?.note ?? 'scenario defaults'),
    json,
    progress: io.progress && !json,
  };
}
