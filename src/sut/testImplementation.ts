// `testImplementation(adapter, options)`: every generated test against a real implementation, under each of the
// scenario's check configurations, with one verdict, the failures shrunk, and coverage merged over all tests.

import { InputError } from '../kernel/errors.js';
import { loadScenario } from '../scenarios/load.js';
import { assemble, resolveParams, type Scenario } from '../scenarios/types.js';
import { type CoverageRun, mergeCoverage, newCoverageRun } from './coverage.js';
import { pathTests, type SutTest, walkTests } from './generate.js';
import { isBug, type SutEnv } from './outcome.js';
import { coverageShape } from './runCase.js';
import type { SutAdapter } from './types.js';

export interface TestImplementationOptions {
  readonly generators?: readonly ('paths' | 'walks')[];
  /** Check configurations to test under (default: the adapter's `configs`, else every one of the scenario's). */
  readonly configs?: readonly string[];
  readonly variant?: string;
  /** Walks per configuration (default 50) and fast-check's seed (default 1). */
  readonly runs?: number;
  readonly seed?: number;
  readonly walkLength?: number;
  readonly maxShrinkRuns?: number;
  readonly maxSteps?: number;
  readonly settleMs?: number;
  readonly graceMs?: number;
  /** Judge by the charts as well as the specs (default true); false: the specs alone. */
  readonly chartOracle?: boolean;
  /** Called after every test, for progress on a terminal. */
  readonly onTest?: (test: SutTest) => void;
}

/** bug: some test found one; flaky/error: the adapter misbehaved (nothing is concluded); else pass or inconclusive. */
export type ImplementationVerdict = 'pass' | 'inconclusive' | 'bug' | 'flaky' | 'error';

export interface ImplementationReport {
  readonly adapter: string;
  readonly scenario: string;
  readonly actors: readonly string[];
  readonly variant: string | null;
  readonly verdict: ImplementationVerdict;
  readonly tests: readonly SutTest[];
  readonly coverage: CoverageRun;
}

export const SUT_DEFAULTS = {
  runs: 50,
  seed: 1,
  walkLength: 200,
  maxShrinkRuns: 300,
  maxSteps: 5_000,
  settleMs: 5_000,
  graceMs: 20,
};

export async function testImplementation(
  adapter: SutAdapter,
  options: TestImplementationOptions = {},
): Promise<ImplementationReport> {
  const o = { ...SUT_DEFAULTS, ...options };
  const scenario =
    typeof adapter.scenario === 'string' ? await loadScenario(adapter.scenario, 'scenario') : adapter.scenario;
  checkVariant(adapter, o.variant);
  const configs = configsOf(scenario, options.configs ?? adapter.configs);
  const generators = o.generators ?? ['paths', 'walks'];
  const tests: SutTest[] = [];
  let coverage: CoverageRun | null = null;
  for (const [i, config] of configs.entries()) {
    const env = envFor(adapter, scenario, config, o);
    const shape = coverageShape(env);
    coverage ??= newCoverageRun(shape.machines, shape.specs);
    const onTest = (t: SutTest): void => {
      mergeCoverage(coverage as CoverageRun, t.outcome.coverage);
      options.onTest?.(t);
    };
    if (generators.includes('paths')) tests.push(...(await pathTests(env, onTest)));
    if (generators.includes('walks')) {
      const walk = { runs: o.runs, seed: o.seed + i, length: o.walkLength, maxShrinkRuns: o.maxShrinkRuns };
      tests.push(...(await walkTests(env, walk, onTest)));
    }
  }
  return {
    adapter: adapter.name,
    scenario: scenario.name,
    actors: adapter.actors,
    variant: o.variant ?? null,
    verdict: verdictOf(tests),
    tests,
    coverage: coverage as CoverageRun,
  };
}

/** The adapter's scenario and the configurations to test under, each checked (one line naming the field). */
async function prepare(
  adapter: SutAdapter,
  options: TestImplementationOptions,
): Promise<{ scenario: Scenario; configs: (string | null)[] }> {
  const scenario =
    typeof adapter.scenario === 'string' ? await loadScenario(adapter.scenario, 'scenario') : adapter.scenario;
  checkVariant(adapter, options.variant);
  return { scenario, configs: configsOf(scenario, options.configs ?? adapter.configs) };
}

/** The environment of one test under `config` (default: the first configuration tested), for replaying one run. */
export async function envOf(
  adapter: SutAdapter,
  options: TestImplementationOptions & { config?: string },
): Promise<SutEnv> {
  const { scenario, configs } = await prepare(adapter, {
    ...options,
    ...(options.config !== undefined ? { configs: [options.config] } : {}),
  });
  return envFor(adapter, scenario, configs[0] ?? null, { ...SUT_DEFAULTS, ...options });
}

function verdictOf(tests: readonly SutTest[]): ImplementationVerdict {
  const v = tests.map((t) => t.outcome.verdict);
  if (v.includes('flaky')) return 'flaky';
  if (v.includes('error')) return 'error';
  if (tests.some((t) => isBug(t.outcome))) return 'bug';
  return v.includes('inconclusive') ? 'inconclusive' : 'pass';
}

function checkVariant(adapter: SutAdapter, variant: string | undefined): void {
  if (variant === undefined) return;
  const names = (adapter.variants ?? []).map((v) => v.name);
  if (!names.includes(variant)) {
    throw new InputError(
      `--variant: '${variant}' is not a variant of ${adapter.name} (variants: ${names.join(', ') || 'none'})`,
    );
  }
}

function configsOf(scenario: Scenario, wanted: readonly string[] | undefined): (string | null)[] {
  const names = (scenario.checks ?? []).map((c) => c.name);
  if (wanted === undefined) return names.length > 0 ? names : [null];
  for (const w of wanted) {
    if (!names.includes(w))
      throw new InputError(`--config: '${w}' is not a check configuration of ${scenario.name} (${names.join(', ')})`);
  }
  return [...wanted];
}

function envFor(
  adapter: SutAdapter,
  scenario: Scenario,
  config: string | null,
  o: typeof SUT_DEFAULTS & TestImplementationOptions,
): SutEnv {
  const check = (scenario.checks ?? []).find((c) => c.name === config);
  const params = resolveParams(scenario, { ...adapter.params, ...check?.params });
  const { kernel } = assemble(scenario, params);
  for (const a of adapter.actors) {
    if (typeof a === 'string' && kernel.hasActor(a)) continue;
    const known = kernel.actors.map((x) => x.address).join(', ');
    throw new InputError(`${adapter.name}: actors: '${String(a)}' is no actor of ${scenario.name} (actors: ${known})`);
  }
  return {
    adapter,
    scenario,
    config,
    params,
    untilUs: check?.untilUs ?? scenario.untilUs,
    maxSteps: o.maxSteps,
    variant: o.variant,
    settleMs: o.settleMs,
    graceMs: o.graceMs,
    chartOracle: o.chartOracle ?? true,
  };
}
