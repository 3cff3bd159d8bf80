// `statevisor check`: explores a scenario's configuration and turns a violation into a replayable trace.
// The counterexample is re-executed through the same simulate() path as `run`, so replay means the same thing.

import type { StepperNote } from '../kernel/compiled/compile.js';
import { InputError } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { isLiveness } from '../kernel/observe.js';
import { describeFaults } from '../scenarios/faultGrid.js';
import {
  assemble,
  type CheckConfig,
  mutantOverrides,
  type Params,
  type RawParams,
  resolveParams,
  type Scenario,
} from '../scenarios/types.js';
import { simulate } from '../simulate.js';
import type { Sometimes } from '../specs/spec.js';
import type { StepObserver } from './coverage.js';
import { type Bound, type ExploreProgress, type ExploreResult, explore } from './explore.js';

export interface CheckRequest {
  readonly scenario: Scenario;
  /** Parameter overrides on top of the scenario's check configuration (as from --set or a parameter file). */
  readonly params?: RawParams;
  /** Use the scenario's full defaults instead of its small check configuration. */
  readonly full?: boolean;
  /** Which of the scenario's check configurations (default: its first). */
  readonly config?: string;
  readonly mutant?: string;
  readonly mode: 'bfs' | 'dfs';
  /** Commutation merging of states (default on); off only to show it is sound. */
  readonly reduce?: boolean;
  /** Statistics left out of the state identity (default on; off: --with-statistics). */
  readonly view?: boolean;
  /** One state per orbit of the symmetry the system declares (default on; off: --no-symmetry). */
  readonly symmetry?: boolean;
  /** Sleep sets (src/check/sleep.ts): fewer transitions, the same states at the same depths (default off). */
  readonly sleepSets?: boolean;
  readonly untilUs?: number;
  readonly maxDepth?: number;
  readonly maxStates?: number;
  readonly maxTimeMs?: number;
  readonly maxMemoryBytes?: number;
  readonly now: () => number;
  readonly onProgress?: (p: ExploreProgress) => void;
  /** Makes an observer of every explored step for the kernel about to be explored (coverage). */
  readonly observe?: (kernel: Kernel) => StepObserver;
  /** Report the memory retained per state, measured after full collections (see ExploreOptions.measureHeap). */
  readonly measureHeap?: boolean;
}

export interface CheckReport {
  readonly scenario: string;
  /** The check configuration explored, or null with `full`. */
  readonly config: CheckConfig | null;
  readonly mutant: string | null;
  readonly mode: 'bfs' | 'dfs';
  readonly params: Params;
  readonly rawParams: RawParams;
  readonly untilUs: number;
  readonly limits: { maxDepth: number; maxStates: number; maxTimeMs: number; maxMemoryBytes: number };
  readonly result: ExploreResult;
  readonly specs: readonly { name: string; specId: string; kind: string }[];
  /** The counterexample re-executed with tracing, ready to write and replay. */
  readonly trace: { text: string; hash: string; steps: number; violatedAtStep: number | null } | null;
  /** Each machine's stepper as registered: compiled, or on XState's interpreter and why. */
  readonly steppers: readonly StepperNote[];
  /** `address.key` of each statistic left out of the state identity (none with `view: false`). */
  readonly statistics: readonly string[];
  /** The faults the system was built to suffer, in words, from its kernel configuration (describeFaults). */
  readonly faults: readonly string[];
  /** The symmetry the explorer applied (the sets of interchangeable address prefixes), or null (none, or off). */
  readonly symmetry: {
    readonly sets: readonly (readonly string[])[];
    readonly order: number;
    /** Where a context lists members in a fixed order, which merges little (Symmetry.notes). */
    readonly notes: readonly string[];
  } | null;
}

export const CHECK_DEFAULTS = {
  maxDepth: 100_000,
  maxStates: 2_000_000,
  maxTimeMs: 10 * 60_000,
  maxMemoryBytes: 8 * 1024 ** 3,
};

/** What a check explores: its configuration resolved, the system assembled, the goals it must reach. */
export interface PreparedCheck {
  readonly config: CheckConfig | null;
  readonly rawParams: RawParams;
  readonly params: Params;
  readonly untilUs: number;
  readonly mutant: string | null;
  readonly assembly: ReturnType<typeof assemble>;
  readonly sometimes: readonly Sometimes[];
  /** The liveness specs the configuration must test (ExploreOptions.liveness); null: every one. */
  readonly liveness: readonly string[] | null;
  readonly limits: CheckReport['limits'];
}

/** Resolves a request into what to explore (also run by each parallel worker, so all build the same system). */
export function prepareCheck(req: Omit<CheckRequest, 'mode' | 'now'>): PreparedCheck {
  const scenario = req.scenario;
  const config = req.full ? null : findCheck(scenario, req.config);
  const rawParams = { ...(config?.params ?? {}), ...(req.params ?? {}) };
  const params = resolveParams(scenario, rawParams);
  const untilUs = req.untilUs ?? config?.untilUs ?? scenario.untilUs;
  const mutant = req.mutant ?? null;
  const assembly = assemble(scenario, params, mutantOverrides(scenario, mutant));
  const limits = {
    maxDepth: req.maxDepth ?? CHECK_DEFAULTS.maxDepth,
    maxStates: req.maxStates ?? CHECK_DEFAULTS.maxStates,
    maxTimeMs: req.maxTimeMs ?? CHECK_DEFAULTS.maxTimeMs,
    maxMemoryBytes: req.maxMemoryBytes ?? CHECK_DEFAULTS.maxMemoryBytes,
  };
  const goals = assembly.sometimes ?? [];
  named(
    scenario,
    config,
    'reach',
    goals.map((g) => g.name),
    'sometimes goal',
  );
  named(
    scenario,
    config,
    'liveness',
    assembly.specs.filter(isLiveness).map((s) => s.name),
    'liveness spec',
  );
  const sometimes = goals.filter((g) => config?.reach?.includes(g.name) ?? true);
  const liveness = config?.liveness ?? null;
  return { config, rawParams, params, untilUs, mutant, assembly, sometimes, liveness, limits };
}

/** Refuses a configuration naming a goal or spec the system lacks: a misspelt name would drop it from the verdict. */
function named(
  scenario: Scenario,
  config: CheckConfig | null,
  field: 'reach' | 'liveness',
  known: readonly string[],
  what: string,
): void {
  const unknown = (config?.[field] ?? []).find((n) => !known.includes(n));
  if (config === null || unknown === undefined) return;
  const file = scenario.source !== undefined ? `${scenario.source.file}: ` : '';
  throw new InputError(
    `${file}check configuration '${config.name}' ${field}: no ${what} named '${unknown}' (there are: ${known.join(', ') || 'none'})`,
  );
}

export function runCheck(req: CheckRequest): CheckReport {
  const p = prepareCheck(req);
  if (req.sleepSets === true && symmetryApplied(req, p.assembly.kernel) !== null) {
    throw new InputError(
      '--sleep-sets: this system declares a symmetry, and sleep sets do not combine with it yet; add --no-symmetry',
    );
  }
  const result = explore(p.assembly.kernel, {
    mode: req.mode,
    untilUs: p.untilUs,
    ...p.limits,
    sometimes: p.sometimes,
    ...(p.liveness !== null ? { liveness: p.liveness } : {}),
    ...(req.reduce !== undefined ? { reduce: req.reduce } : {}),
    ...(req.view !== undefined ? { view: req.view } : {}),
    ...(req.symmetry !== undefined ? { symmetry: req.symmetry } : {}),
    ...(req.sleepSets === true ? { sleepSets: true } : {}),
    now: req.now,
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.observe !== undefined ? { observer: req.observe(p.assembly.kernel) } : {}),
    ...(req.measureHeap === true ? { measureHeap: true } : {}),
  });
  return checkReport(req, p, result);
}

/** The report of an exploration, its counterexample re-executed with tracing, ready to write and replay. */
export function checkReport(req: CheckRequest, p: PreparedCheck, result: ExploreResult): CheckReport {
  let trace: CheckReport['trace'] = null;
  const cex = result.counterexample;
  if (cex !== null) {
    // Re-execute the path with tracing; stopping at its last step reproduces the violation there.
    const o = simulate({
      scenario: req.scenario,
      seed: 0,
      params: p.rawParams,
      choices: cex.choices,
      maxSteps: cex.steps,
      untilUs: p.untilUs,
      trace: true,
      ...(p.mutant !== null ? { mutant: p.mutant } : {}),
    });
    trace = {
      text: o.trace?.text() ?? '',
      hash: o.traceHash ?? '',
      steps: o.result.state.step,
      violatedAtStep: o.result.violation?.step ?? null,
    };
  }
  return {
    scenario: req.scenario.name,
    config: p.config,
    mutant: p.mutant,
    mode: req.mode,
    params: p.params,
    rawParams: p.rawParams,
    untilUs: p.untilUs,
    limits: p.limits,
    result,
    specs: p.assembly.specs.map((s) => ({
      name: s.name,
      specId: s.specId,
      kind: isLiveness(s) ? 'liveness' : 'safety',
    })),
    trace,
    steppers: p.assembly.kernel.stepperNotes(),
    statistics: req.view === false ? [] : statisticNames(p.assembly.kernel),
    faults: describeFaults(p.assembly.kernel.config),
    symmetry: symmetryApplied(req, p.assembly.kernel),
  };
}

export type { Bound };

/**
 * Whether a check met its configuration's expected counterexample: null when there is no expectation (or a
 * mutant is planted, which makes every violation a finding), else whether the named spec was the one violated.
 */
export function expectationMet(report: CheckReport): boolean | null {
  const expected = report.config?.expect?.violated;
  if (expected === undefined || report.mutant !== null) return null;
  return report.result.verdict === 'violated' && report.result.counterexample?.violation.spec === expected;
}

/** Whether a check passed: its expectation met, or, without one, no violation and not vacuous. */
export function checkPassed(report: CheckReport): boolean {
  const met = expectationMet(report);
  if (met !== null) return met;
  return report.result.verdict !== 'violated' && report.result.verdict !== 'vacuous';
}

/** The named check configuration of a scenario (default: its first), or one line naming the choices. */
export function findCheck(scenario: Scenario, name?: string): CheckConfig | null {
  const checks = scenario.checks ?? [];
  if (name === undefined) return checks[0] ?? null;
  const c = checks.find((x) => x.name === name);
  if (c === undefined) {
    throw new InputError(
      `--config: scenario '${scenario.name}' has no check configuration '${name}' (it has: ${checks.map((x) => x.name).join(', ') || 'none'})`,
    );
  }
  return c;
}

/** `address.key` of every statistic the kernel's machines declare. */
export function statisticNames(kernel: Kernel): string[] {
  return kernel.statistics().flatMap((a) => a.keys.map((k) => `${a.address}.${k}`));
}

/** The declared symmetry unless the request turned it off. The kernel checks the declaration when it starts. */
export function symmetryApplied(req: Pick<CheckRequest, 'symmetry'>, kernel: Kernel): CheckReport['symmetry'] {
  if (req.symmetry === false) return null;
  const s = kernel.declaredSymmetry();
  return s === null ? null : { sets: s.sets, order: s.order, notes: s.notes };
}
