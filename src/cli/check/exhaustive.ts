// `statevisor check --mode bfs|dfs`: explores the configuration to exhaustion (or a bound), writes the
// counterexample trace, and applies the vacuity rule: an exhausted search that never reached a "sometimes" fails.

import { type CheckReport, runCheck } from '../../check/check.js';
import type { ExploreProgress, ExploreResult } from '../../check/explore.js';
import { type FlagValues, intFlag, refuseFlags, str } from '../args.js';
import { EXIT_FAIL, EXIT_OK, type Io } from '../io.js';
import { writeAtomic } from '../output.js';
import { actorsNear } from '../report.js';
import type { CheckMode, CheckOptions } from './command.js';
import { exhaustiveJson, exhaustiveText } from './exhaustiveReport.js';

/** The bounds only an exhaustive search has (--max-time is shared, in CheckOptions). */
export interface ExhaustiveBounds {
  readonly maxDepth: number | undefined;
  readonly maxStates: number | undefined;
  readonly maxMemoryMb: number | undefined;
}

/** Reads the bfs/dfs bounds and refuses the random/swarm flags, which would do nothing here. */
export function exhaustiveFlags(values: FlagValues, mode: CheckMode): ExhaustiveBounds {
  refuseFlags(
    values,
    ['seeds', 'first-seed', 'workers', 'no-shrink'],
    `only with --mode random or swarm; --mode ${mode} walks no seeds`,
  );
  return {
    maxDepth: intFlag('--max-depth', str(values, 'max-depth'), 0, Number.MAX_SAFE_INTEGER),
    maxStates: intFlag('--max-states', str(values, 'max-states'), 1, Number.MAX_SAFE_INTEGER),
    maxMemoryMb: intFlag('--max-memory', str(values, 'max-memory'), 16, 1_048_576),
  };
}

/**
 * The "sometimes" states an exhausted, violation-free search never reached: the specs' verdicts are vacuous
 * there (the scenario does not exercise them), so the check fails. A bound hit or a counterexample says nothing.
 */
export function vacuousSometimes(r: ExploreResult): string[] {
  if (r.counterexample !== null || !r.exhausted) return [];
  return r.sometimes.filter((x) => x.reachedAtStep === null).map((x) => x.name);
}

export function runExhaustive(opts: CheckOptions, bounds: ExhaustiveBounds, io: Io): number {
  const report = explore(opts, bounds);
  const r = report.result;
  if (report.trace !== null) writeAtomic(opts.tracePath, report.trace.text);
  const actors = report.trace !== null ? actorsNear(report.trace.text, r.counterexample?.steps ?? 0) : [];
  if (opts.json) io.out(exhaustiveJson(opts, report, actors));
  else exhaustiveText(opts, report, actors, io);
  const vacuous = vacuousSometimes(r);
  if (vacuous.length > 0 && !opts.json) {
    io.err(`statevisor: ${vacuous.join(', ')} never reached: the scenario does not exercise it`);
  }
  return r.counterexample === null && vacuous.length === 0 ? EXIT_OK : EXIT_FAIL;
}

function explore(opts: CheckOptions, bounds: ExhaustiveBounds): CheckReport {
  const { maxDepth, maxStates, maxMemoryMb } = bounds;
  const report = runCheck({
    scenario: opts.scenario,
    params: opts.sets,
    full: opts.full,
    mode: opts.mode as 'bfs' | 'dfs',
    untilUs: opts.untilUs,
    ...(opts.mutant !== undefined ? { mutant: opts.mutant } : {}),
    ...(maxDepth !== undefined ? { maxDepth } : {}),
    ...(maxStates !== undefined ? { maxStates } : {}),
    ...(opts.maxTimeS !== undefined ? { maxTimeMs: opts.maxTimeS * 1000 } : {}),
    ...(maxMemoryMb !== undefined ? { maxMemoryBytes: maxMemoryMb * 1024 * 1024 } : {}),
    now: () => performance.now(),
    ...(opts.progress
      ? {
          onProgress: (p: ExploreProgress) =>
            process.stderr.write(
              `\r  ${p.states} states  ${Math.round(p.states / (p.elapsedMs / 1000))}/s  depth ${p.depth}  queue ${p.frontier}  heap ${Math.round(p.heapBytes / 1048576)} MiB   `,
            ),
        }
      : {}),
  });
  if (opts.progress) process.stderr.write('\r\x1b[K');
  return report;
}
