// `statevisor check --mode bfs|dfs`: explores each check configuration to exhaustion (or a bound), writes the
// counterexample trace, and fails on a violation or a vacuous verdict (a goal unreached, a spec unfed or untested).

import { type CheckReport, checkPassed, expectationMet } from '../../check/check.js';
import { coverageOfCheck, type StepObserver } from '../../check/coverage.js';
import type { ExploreProgress } from '../../check/explore.js';
import { runCheckWorkers } from '../../check/parallel/run.js';
import { InputError } from '../../kernel/errors.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { CheckConfig } from '../../scenarios/types.js';
import { bool, type FlagValues, intFlag, refuseFlags, str } from '../args.js';
import { EXIT_FAIL, EXIT_OK, type Io } from '../io.js';
import { writeAtomic } from '../output.js';
import { actorsNear } from '../report.js';
import { type CheckMode, type CheckOptions, counterexamplePath } from './command.js';
import { exhaustiveJson, exhaustiveText } from './exhaustiveReport.js';

/** The bounds only an exhaustive search has (--max-time is shared, in CheckOptions). */
export interface ExhaustiveBounds {
  readonly maxDepth: number | undefined;
  readonly maxStates: number | undefined;
  readonly maxMemoryMb: number | undefined;
  /** --coverage: where the exploration's per-machine transition and state counts go (one configuration only). */
  readonly coveragePath: string | undefined;
  /** --workers: BFS threads over one shared visited set (1: the one-thread explorer, with retained-memory figures). */
  readonly workers: number;
  /** --sleep-sets: skip deliveries an explored path already took in another order (one thread only). */
  readonly sleepSets: boolean;
  /** Statistics left out of the state identity (off with --with-statistics). */
  readonly view: boolean;
  /** One state per orbit of the system's declared symmetry (off with --no-symmetry). */
  readonly symmetry: boolean;
  /** --audit-statistics or --audit-symmetry: audit a declaration instead of checking the specs. */
  readonly audit: 'statistics' | 'symmetry' | null;
}

/** Reads the bfs/dfs bounds and refuses the random/swarm flags, which would do nothing here. */
export function exhaustiveFlags(values: FlagValues, mode: CheckMode): ExhaustiveBounds {
  refuseFlags(
    values,
    ['seeds', 'first-seed', 'no-shrink', 'shard', 'result'],
    `only with --mode random or swarm; --mode ${mode} walks no seeds`,
  );
  const workers = intFlag('--workers', str(values, 'workers'), 1, 64) ?? 1;
  if (workers > 1 && mode === 'dfs')
    throw new InputError('--workers: only BFS runs on several threads; drop --mode dfs');
  if (workers > 1 && str(values, 'coverage') !== undefined) {
    throw new InputError('--workers: coverage is counted by one thread; drop --workers or --coverage');
  }
  const sleepSets = bool(values, 'sleep-sets');
  if (workers > 1 && sleepSets) {
    throw new InputError('--sleep-sets: the threads of --workers keep no sleep sets yet; drop one of the two');
  }
  const audit = auditFlag(values, workers, mode);
  return {
    workers,
    sleepSets,
    view: !bool(values, 'with-statistics'),
    symmetry: !bool(values, 'no-symmetry'),
    audit,
    maxDepth: intFlag('--max-depth', str(values, 'max-depth'), 0, Number.MAX_SAFE_INTEGER),
    maxStates: intFlag('--max-states', str(values, 'max-states'), 1, Number.MAX_SAFE_INTEGER),
    maxMemoryMb: intFlag('--max-memory', str(values, 'max-memory'), 16, 1_048_576),
    coveragePath: str(values, 'coverage'),
  };
}

/** One configuration's outcome, as the renderers print it. */
export interface ConfigOutcome {
  readonly config: CheckConfig | null;
  readonly report: CheckReport;
  readonly tracePath: string;
  readonly actors: readonly string[];
}

/**
 * Explores each check configuration in turn and stops at the first counterexample. The verdict is the
 * library's: `vacuous` (an exhausted search that never reached a `sometimes` it must reach, or whose horizon let a
 * liveness spec owe nothing) fails like a violation, because the specs were never really exercised; a bound hit is
 * reported, not failed.
 */
export async function runExhaustive(opts: CheckOptions, bounds: ExhaustiveBounds, io: Io): Promise<number> {
  const outcomes: ConfigOutcome[] = [];
  for (const config of opts.configs) {
    const coverage = bounds.coveragePath === undefined ? null : coverageOfCheck();
    const report = await explore(opts, config, bounds, coverage?.observe);
    if (bounds.coveragePath !== undefined && coverage !== null) {
      const file = coverage.file({
        scenario: opts.scenario.name,
        config: config?.name ?? null,
        states: report.result.states,
      });
      writeAtomic(bounds.coveragePath, `${JSON.stringify(file, null, 1)}\n`);
    }
    const tracePath = opts.traceFlag ?? counterexamplePath(opts.scenario, config, opts.configs.length, opts.mutant);
    if (report.trace !== null) writeAtomic(tracePath, report.trace.text);
    const cex = report.result.counterexample;
    const actors = report.trace !== null ? actorsNear(report.trace.text, cex?.steps ?? 0) : [];
    const outcome = { config, report, tracePath, actors };
    outcomes.push(outcome);
    if (!opts.json) exhaustiveText(opts, outcome, io);
    if (!opts.json && bounds.coveragePath !== undefined) {
      io.out(`  coverage of the ${report.result.states} explored states written to ${bounds.coveragePath}`);
    }
    // A configuration's known counterexample, found as expected, does not stop the others.
    if (cex !== null && expectationMet(report) !== true) break;
  }
  if (opts.json) io.out(exhaustiveJson(opts, outcomes));
  const failed = outcomes.filter((o) => !checkPassed(o.report));
  for (const o of outcomes) {
    const r = o.report.result;
    if (r.verdict !== 'vacuous' || opts.json) continue;
    const where = `'${o.config?.name ?? 'full'}'`;
    const unreached = r.sometimes.filter((x) => x.reachedAtStep === null).map((x) => x.name);
    if (unreached.length > 0) {
      io.err(`statevisor: ${unreached.join(', ')} never reached in ${where}: the configuration does not exercise it`);
    }
    for (const name of r.untested) {
      io.err(
        `statevisor: liveness spec ${name} owed no deadline due by the horizon in ${where}: no schedule could fail it (lengthen the horizon with --until, or leave it out of the configuration's \`liveness\`)`,
      );
    }
    for (const name of r.unobserved) {
      io.err(
        `statevisor: spec ${name} was handed no observation in ${where}: it judged nothing (check the event types it observes)`,
      );
    }
  }
  return failed.length === 0 ? EXIT_OK : EXIT_FAIL;
}

async function explore(
  opts: CheckOptions,
  config: CheckConfig | null,
  bounds: ExhaustiveBounds,
  observe: ((kernel: Kernel) => StepObserver) | undefined,
): Promise<CheckReport> {
  const { maxDepth, maxStates, maxMemoryMb } = bounds;
  const untilUs = opts.until ?? config?.untilUs ?? opts.scenario.untilUs;
  const report = await runCheckWorkers({
    workers: bounds.workers,
    scenario: opts.scenario,
    params: opts.sets,
    full: opts.full,
    ...(config !== null ? { config: config.name } : {}),
    mode: opts.mode as 'bfs' | 'dfs',
    untilUs,
    ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
    ...(maxDepth !== undefined ? { maxDepth } : {}),
    ...(maxStates !== undefined ? { maxStates } : {}),
    ...(opts.maxTimeS !== undefined ? { maxTimeMs: opts.maxTimeS * 1000 } : {}),
    ...(maxMemoryMb !== undefined ? { maxMemoryBytes: maxMemoryMb * 1024 * 1024 } : {}),
    now: () => performance.now(),
    measureHeap: true,
    ...(bounds.sleepSets ? { sleepSets: true } : {}),
    ...(bounds.view ? {} : { view: false }),
    ...(bounds.symmetry ? {} : { symmetry: false }),
    ...(observe !== undefined ? { observe } : {}),
    ...(opts.progress
      ? {
          onProgress: (p: ExploreProgress) =>
            process.stderr.write(
              `\r  ${config?.name ?? 'full'}: ${p.states} states  ${Math.round(p.states / (p.elapsedMs / 1000))}/s  depth ${p.depth}  queue ${p.frontier}  heap ${Math.round(p.heapBytes / 1048576)} MiB   `,
            ),
        }
      : {}),
  });
  if (opts.progress) process.stderr.write('\r\x1b[K');
  return report;
}

/** Which declaration to audit, if any: each audit explores under the one it audits, one BFS thread, every state in full. */
function auditFlag(values: FlagValues, workers: number, mode: CheckMode): ExhaustiveBounds['audit'] {
  const statistics = bool(values, 'audit-statistics');
  const symmetry = bool(values, 'audit-symmetry');
  if (!statistics && !symmetry) return null;
  const flag = statistics ? '--audit-statistics' : '--audit-symmetry';
  if (statistics && symmetry)
    throw new InputError('--audit-symmetry: audit one declaration at a time; drop --audit-statistics');
  // Both audit under the statistics view (the symmetry audit takes it as given); the statistics audit leaves symmetry out.
  refuseFlags(values, ['with-statistics'], 'the audit explores with the declared statistics left out');
  if (symmetry) refuseFlags(values, ['no-symmetry'], 'the audit explores under the symmetry it audits');
  refuseFlags(values, ['sleep-sets', 'coverage'], 'the audit expands every state in full');
  if (workers > 1 || mode === 'dfs')
    throw new InputError(`${flag}: runs on one BFS thread; drop --workers and --mode dfs`);
  return statistics ? 'statistics' : 'symmetry';
}
