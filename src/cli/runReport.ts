// What `statevisor run` prints: a readable summary with every spec's verdict, or the same as JSON for tools;
// a violation also goes to stderr with the reproduce and replay commands. Returns the exit code.

import { nanoid } from 'nanoid';
import { closestApproach } from '../kernel/judge.js';
import { formatUs } from '../scenarios/format.js';
import type { SimulateOutcome } from '../simulate.js';
import { EXIT_FAIL, EXIT_OK, type Io } from './io.js';
import { endLine, reproduceCommand } from './report.js';
import type { RunOptions } from './run.js';

interface RunView {
  readonly runId: string;
  readonly reproduce: string;
  readonly replay: string | null;
  readonly wallMs: number;
}

export function reportRun(opts: RunOptions, outcome: SimulateOutcome, wallMs: number, io: Io): number {
  const view: RunView = {
    runId: nanoid(10),
    reproduce: reproduceCommand(opts.scenario, outcome.seed, outcome.params, opts),
    replay: opts.tracePath !== undefined ? `npx statevisor replay ${opts.tracePath}` : null,
    wallMs,
  };
  const violation = outcome.result.violation;
  if (opts.json) {
    io.out(runJson(opts, outcome, view));
    return violation === null ? EXIT_OK : EXIT_FAIL;
  }
  if (!opts.quiet) runText(opts, outcome, view, io);
  if (violation !== null) {
    io.err(
      `statevisor: spec '${violation.spec}' (${violation.specId}) violated at step ${violation.step}, t=${formatUs(violation.t)}: ${violation.message}`,
    );
    io.err(`  reproduce: ${view.reproduce}${view.replay ? `\n  replay:    ${view.replay}` : ''}`);
    return EXIT_FAIL;
  }
  if (opts.quiet) io.out(`ok ${opts.scenario.name} seed ${outcome.seed}: ${endLine(outcome)}`);
  return EXIT_OK;
}

function runJson(opts: RunOptions, outcome: SimulateOutcome, view: RunView): string {
  const violation = outcome.result.violation;
  return JSON.stringify(
    {
      runId: view.runId,
      scenario: opts.scenario.name,
      mutant: outcome.mutant,
      seed: outcome.seed,
      params: outcome.params,
      limits: outcome.limits,
      ok: violation === null,
      reason: outcome.result.reason,
      steps: outcome.result.state.step,
      virtualTimeUs: outcome.result.state.time,
      wallMs: Math.round(view.wallMs),
      stats: outcome.result.stats,
      specs: outcome.assembly.specs.map((s) => ({
        name: s.name,
        specId: s.specId,
        verdict: violation?.spec === s.name ? 'violated' : 'held',
        ...exercise(outcome, s.name),
      })),
      violation,
      choices: outcome.choices.length,
      stateHash: outcome.stateHash,
      trace:
        opts.tracePath !== undefined
          ? { path: opts.tracePath, records: outcome.trace?.lines.length, sha256: outcome.traceHash }
          : null,
      reproduce: view.reproduce,
      replay: view.replay,
      metrics: outcome.summary.metrics,
    },
    null,
    2,
  );
}

function runText(opts: RunOptions, outcome: SimulateOutcome, view: RunView, io: Io): void {
  const violation = outcome.result.violation;
  const mutant = opts.mutant !== undefined ? `  MUTANT ${opts.mutant}` : '';
  io.out(`statevisor run ${opts.scenario.name}  seed ${outcome.seed}${mutant}  (run ${view.runId})`);
  io.out(`  ${endLine(outcome)}; ${Math.round(view.wallMs)} ms wall`);
  for (const line of outcome.summary.lines) io.out(`  ${line}`);
  io.out('  specs');
  for (const s of outcome.assembly.specs) {
    const bad = violation?.spec === s.name;
    io.out(
      `    ${bad ? 'VIOLATED' : 'held    '} ${s.name} (${s.specId}): ${s.description}${bad ? '' : exerciseText(outcome, s.name)}`,
    );
  }
  if (outcome.assembly.specs.length === 0) io.out('    (this scenario declares none)');
  io.out(`  state hash ${outcome.stateHash}, ${outcome.choices.length} choices`);
  if (opts.tracePath !== undefined) {
    io.out(
      `  trace written to ${opts.tracePath} (${outcome.trace?.lines.length} records, sha256 ${outcome.traceHash?.slice(0, 16)}…)`,
    );
    io.out(`  replay it: ${view.replay}`);
  }
}

/**
 * What the run asked of a spec: whether it was handed any observation and, for a liveness spec, the least time it
 * had to spare before a deadline falling due by the horizon (null: none did). A "held" of either kind tested nothing.
 */
function exercise(outcome: SimulateOutcome, spec: string): { observed: boolean; closestSpareUs?: number | null } {
  const kernel = outcome.assembly.kernel;
  const i = kernel.monitors.findIndex((m) => m.name === spec);
  const observed = i >= 0 && (kernel.monitorIndex.observed[i] as number) > 0;
  const closest = outcome.closest === null ? [] : closestApproach(kernel, outcome.closest);
  const c = closest.find((x) => x.spec === spec);
  return c === undefined ? { observed } : { observed, closestSpareUs: c.spareUs };
}

function exerciseText(outcome: SimulateOutcome, spec: string): string {
  const e = exercise(outcome, spec);
  if (!e.observed) return ' [observed nothing on this run]';
  if (e.closestSpareUs === undefined) return '';
  return e.closestSpareUs === null
    ? ' [no deadline owed before the horizon]'
    : ` [closest approach ${formatUs(e.closestSpareUs)} before a deadline]`;
}
