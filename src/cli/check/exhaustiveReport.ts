// What `statevisor check --mode bfs|dfs` prints: the JSON report for tools and the text summary for people,
// from the same CheckReport; the exit code and the vacuity rule are decided in exhaustive.ts.

import type { CheckReport } from '../../check/check.js';
import { formatUs } from '../../scenarios/format.js';
import type { Io } from '../io.js';
import type { CheckOptions } from './command.js';

function statesPerSec(report: CheckReport): number {
  const r = report.result;
  return Math.round(r.states / Math.max(0.001, r.elapsedMs / 1000));
}

function specVerdict(report: CheckReport, spec: string): string {
  const r = report.result;
  const cex = r.counterexample;
  if (cex?.violation.spec === spec) return 'violated';
  if (r.verdict === 'holds') return 'held';
  return cex ? 'not violated before the counterexample' : 'held on every visited state';
}

export function exhaustiveJson(opts: CheckOptions, report: CheckReport, actors: readonly string[]): string {
  const r = report.result;
  const cex = r.counterexample;
  return JSON.stringify(
    {
      scenario: report.scenario,
      mode: report.mode,
      mutant: report.mutant,
      configuration: opts.configNote,
      params: report.params,
      untilUs: report.untilUs,
      limits: report.limits,
      verdict: r.verdict,
      exhausted: r.exhausted,
      boundsHit: r.boundsHit,
      states: r.states,
      transitions: r.transitions,
      terminalStates: r.terminalStates,
      maxDepth: r.maxDepth,
      elapsedMs: Math.round(r.elapsedMs),
      statesPerSec: statesPerSec(report),
      heapBytesPerState: r.heapBytesPerState,
      hashBits: 64,
      sometimes: r.sometimes.map((x) => ({ name: x.name, description: x.description, reachedAtStep: x.reachedAtStep })),
      specs: report.specs.map((s) => ({ ...s, verdict: specVerdict(report, s.name) })),
      counterexample:
        cex === null
          ? null
          : {
              violation: cex.violation,
              steps: cex.steps,
              shortest: report.mode === 'bfs',
              choices: cex.choices,
              actors,
              trace: {
                path: opts.tracePath,
                sha256: report.trace?.hash,
                violatedAtStep: report.trace?.violatedAtStep,
              },
              replay: `npx statevisor replay ${opts.tracePath}`,
            },
    },
    null,
    2,
  );
}

export function exhaustiveText(opts: CheckOptions, report: CheckReport, actors: readonly string[], io: Io): void {
  const r = report.result;
  const cex = r.counterexample;
  const mutant = opts.mutant ? `, MUTANT ${opts.mutant}` : '';
  io.out(`statevisor check ${opts.scenario.name}  (${opts.mode}${mutant}; ${opts.configNote})`);
  io.out(
    `  ${r.states} distinct states, ${r.transitions} transitions, depth ${r.maxDepth}, ${r.terminalStates} terminal; ${(r.elapsedMs / 1000).toFixed(2)} s (${statesPerSec(report)} states/s, ~${r.heapBytesPerState} heap bytes/state)`,
  );
  if (cex === null) {
    io.out(
      r.exhausted
        ? `  exhausted: every reachable state up to the horizon ${formatUs(opts.untilUs)} was visited`
        : `  BOUND HIT (${r.boundsHit.join(', ')}): not every reachable state was visited`,
    );
  }
  io.out('  specs');
  for (const s of report.specs) {
    const bad = cex?.violation.spec === s.name;
    io.out(`    ${bad ? 'VIOLATED' : r.exhausted ? 'held    ' : 'held*   '} ${s.name} (${s.specId}, ${s.kind})`);
  }
  sometimesText(report, io);
  if (cex !== null) {
    io.out(
      `  VIOLATED ${cex.violation.spec} at step ${cex.violation.step}, t=${formatUs(cex.violation.t)}: ${cex.violation.message}`,
    );
    io.out(
      `  counterexample: ${cex.steps} steps${report.mode === 'bfs' ? ' (shortest: BFS)' : ''}, ${cex.choices.length} choices; actors involved: ${actors.join(', ')}`,
    );
    io.out(`  trace written to ${opts.tracePath}; replay it: npx statevisor replay ${opts.tracePath}`);
  }
}

function sometimesText(report: CheckReport, io: Io): void {
  const r = report.result;
  if (r.sometimes.length === 0) return;
  io.out('  sometimes (states the checks must reach, or their verdicts are vacuous)');
  for (const x of r.sometimes) {
    const where =
      x.reachedAtStep !== null
        ? `reached at step ${x.reachedAtStep}`
        : r.counterexample === null && r.exhausted
          ? 'NEVER REACHED'
          : 'not reached';
    io.out(`    ${where}: ${x.name} (${x.description})`);
  }
}
