// What `statevisor check --mode bfs|dfs` prints: the JSON report for tools and the text summary for people,
// from the same CheckReport; the exit code and the vacuity rule are decided in exhaustive.ts.

import { type CheckReport, expectationMet } from '../../check/check.js';
import { FINGERPRINT_BITS } from '../../kernel/stateHash.js';
import { describeSets } from '../../kernel/symmetry.js';
import { formatUs } from '../../scenarios/format.js';
import type { Io } from '../io.js';
import { expectationLine } from '../report.js';
import { type CheckOptions, configNote } from './command.js';
import type { ConfigOutcome } from './exhaustive.js';

function statesPerSec(report: CheckReport): number {
  const r = report.result;
  return Math.round(r.states / Math.max(0.001, r.elapsedMs / 1000));
}

/**
 * How close an exhausted search brought a liveness spec to failing: a spec never owed a deadline before the horizon, or
 * one that always had most of its bound to spare, held without being tested much (the configuration's faults may
 * postpone every deadline past the horizon).
 */
function closestText(report: CheckReport, spec: string): string {
  const c = report.result.closest.find((x) => x.spec === spec);
  if (c === undefined || report.result.unobserved.includes(spec)) return '';
  if (c.spareUs !== null) return ` — closest approach ${formatUs(c.spareUs)} before a deadline`;
  return report.result.untested.includes(spec)
    ? ' — no deadline owed before the horizon: VACUOUS'
    : ' — no deadline owed before the horizon; this configuration does not claim to test it';
}

function closestJson(report: CheckReport, spec: string): { closestSpareUs?: number | null } {
  const c = report.result.closest.find((x) => x.spec === spec);
  return c === undefined ? {} : { closestSpareUs: c.spareUs };
}

function specVerdict(report: CheckReport, spec: string): string {
  const r = report.result;
  const cex = r.counterexample;
  if (cex?.violation.spec === spec) return 'violated';
  if (r.untested.includes(spec)) return 'untested';
  if (r.verdict === 'holds') return 'held';
  // A liveness spec left untested takes nothing from the others, each judged on every reachable state.
  const exercised = r.unobserved.length === 0 && r.sometimes.every((x) => x.reachedAtStep !== null);
  if (r.verdict === 'vacuous') return exercised ? 'held' : 'held, vacuously';
  return cex ? 'not violated before the counterexample' : 'held on every visited state';
}

/** The overall verdict of several configurations: the worst of theirs. */
/** The worst verdict; a configuration whose known counterexample was found as expected counts as holding. */
function overall(outcomes: readonly ConfigOutcome[]): string {
  const order = ['violated', 'vacuous', 'bound-hit', 'holds'];
  let worst = 'holds';
  for (const o of outcomes) {
    const met = expectationMet(o.report);
    const v = met === null ? o.report.result.verdict : met ? 'holds' : 'violated';
    if (order.indexOf(v) < order.indexOf(worst)) worst = v;
  }
  return worst;
}

export function exhaustiveJson(opts: CheckOptions, outcomes: readonly ConfigOutcome[]): string {
  return JSON.stringify(
    {
      scenario: opts.scenario.name,
      mode: opts.mode,
      mutant: opts.mutant ?? null,
      verdict: overall(outcomes),
      hashBits: FINGERPRINT_BITS,
      configurations: outcomes.map((o) => configJson(o, opts)),
    },
    null,
    2,
  );
}

function configJson(o: ConfigOutcome, opts: CheckOptions): Record<string, unknown> {
  const { report, actors, tracePath } = o;
  const r = report.result;
  const cex = r.counterexample;
  return {
    name: o.config?.name ?? null,
    configuration: configNote(o.config, opts.sets),
    faults: report.faults,
    params: report.params,
    untilUs: report.untilUs,
    limits: report.limits,
    verdict: r.verdict,
    expectedViolation: o.config?.expect?.violated ?? null,
    asExpected: expectationMet(report),
    exhausted: r.exhausted,
    boundsHit: r.boundsHit,
    states: r.states,
    transitions: r.transitions,
    sleepSets: r.sleep,
    terminalStates: r.terminalStates,
    maxDepth: r.maxDepth,
    elapsedMs: Math.round(r.elapsedMs),
    statesPerSec: statesPerSec(report),
    heapBytesPerState: r.heapBytesPerState,
    heapMeasure: r.heapMeasure,
    steppers: report.steppers,
    statistics: report.statistics,
    symmetry: report.symmetry,
    sometimes: r.sometimes.map((x) => ({ name: x.name, description: x.description, reachedAtStep: x.reachedAtStep })),
    unobservedSpecs: r.unobserved,
    untestedSpecs: r.untested,
    specs: report.specs.map((s) => ({ ...s, verdict: specVerdict(report, s.name), ...closestJson(report, s.name) })),
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
              path: tracePath,
              sha256: report.trace?.hash,
              violatedAtStep: report.trace?.violatedAtStep,
            },
            replay: `npx statevisor replay ${tracePath}`,
          },
  };
}

export function exhaustiveText(opts: CheckOptions, o: ConfigOutcome, io: Io): void {
  const { report, actors, tracePath } = o;
  const r = report.result;
  const cex = r.counterexample;
  const mutant = opts.mutant ? `, MUTANT ${opts.mutant}` : '';
  io.out(`statevisor check ${opts.scenario.name}  (${opts.mode}${mutant}; ${configNote(o.config, opts.sets)})`);
  io.out(`  faults: ${report.faults.length > 0 ? report.faults.join('; ') : 'none'}`);
  io.out(
    `  ${r.states} distinct states, ${r.transitions} transitions, depth ${r.maxDepth}, ${r.terminalStates} terminal; ${(r.elapsedMs / 1000).toFixed(2)} s (${statesPerSec(report)} states/s, ${heapNote(r)})`,
  );
  io.out(`  ${stepperLine(report)}`);
  if (report.statistics.length > 0) {
    io.out(
      `  statistics left out of the state identity: ${report.statistics.join(', ')} (--with-statistics keeps them; --audit-statistics checks they decide nothing)`,
    );
  }
  if (report.symmetry !== null) {
    const sets = describeSets(report.symmetry.sets);
    io.out(
      `  symmetry: ${sets} interchangeable, one state kept per orbit of up to ${report.symmetry.order} (--no-symmetry keeps every one; --audit-symmetry proves the declaration)`,
    );
    for (const note of report.symmetry.notes) io.out(`    note: ${note}`);
  }
  if (r.sleep !== null) {
    io.out(
      `  sleep sets: ${r.sleep.slept} deliveries skipped as already explored in another order; ${r.sleep.reexpanded} states expanded again`,
    );
  }
  if (cex === null) {
    io.out(
      r.exhausted
        ? `  exhausted: every reachable state up to the horizon ${formatUs(report.untilUs)} was visited (${FINGERPRINT_BITS}-bit fingerprints: collision chance below ${collisionOdds(r.states)})`
        : `  BOUND HIT (${r.boundsHit.join(', ')}): not every reachable state was visited`,
    );
  }
  io.out('  specs');
  for (const s of report.specs) {
    const bad = cex?.violation.spec === s.name;
    const unfed = cex === null && r.unobserved.includes(s.name) ? ' — observed nothing: VACUOUS' : '';
    const status = bad ? 'VIOLATED' : r.untested.includes(s.name) ? 'UNTESTED' : r.exhausted ? 'held    ' : 'held*   ';
    io.out(`    ${status} ${s.name} (${s.specId}, ${s.kind})${unfed}${closestText(report, s.name)}`);
  }
  sometimesText(report, io);
  if (cex !== null) {
    io.out(
      `  VIOLATED ${cex.violation.spec} at step ${cex.violation.step}, t=${formatUs(cex.violation.t)}: ${cex.violation.message}`,
    );
    io.out(
      `  counterexample: ${cex.steps} steps${report.mode === 'bfs' ? ' (shortest: BFS)' : ''}, ${cex.choices.length} choices; actors involved: ${actors.join(', ')}`,
    );
    io.out(`  trace written to ${tracePath}; replay it: npx statevisor replay ${tracePath}`);
  }
  expectationText(report, io);
}

/** Which charts stepped compiled; those on XState's interpreter are named with the reason. */
export function stepperLine(report: CheckReport): string {
  const compiled = report.steppers.filter((n) => n.compiled).length;
  const rest = report.steppers.filter((n) => !n.compiled).map((n) => `${n.machine} (${n.reason})`);
  const total = report.steppers.length;
  if (rest.length === 0) return `stepper: all ${total} charts compiled`;
  if (compiled === 0 && report.steppers.every((n) => n.reason === report.steppers[0]?.reason)) {
    return `stepper: XState's interpreter for all ${total} charts (${report.steppers[0]?.reason})`;
  }
  return `stepper: ${compiled} of ${total} charts compiled; on XState's interpreter: ${rest.join(', ')}`;
}

/** What a configuration that demonstrates a known counterexample showed, and whether that is what it expects. */
function expectationText(report: CheckReport, io: Io): void {
  const met = expectationMet(report);
  const expected = report.config?.expect?.violated;
  if (met === null || expected === undefined) return;
  const r = report.result;
  const got =
    r.counterexample !== null ? `${r.counterexample.violation.spec} was violated` : `the verdict is ${r.verdict}`;
  io.out(expectationLine(expected, met, got));
}

/** Upper bound n² / 2^(bits+1) on the chance that two of n distinct states share a fingerprint. */
function collisionOdds(states: number): string {
  const p = (states * states) / 2 ** (FINGERPRINT_BITS + 1);
  return p < 1e-12 ? '1e-12' : p.toPrecision(2);
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

/** Memory per state, saying which figure it is: retained after a full collection, or growth with garbage. */
function heapNote(r: CheckReport['result']): string {
  return r.heapMeasure === 'retained'
    ? `${r.heapBytesPerState} bytes/state retained`
    : `~${r.heapBytesPerState} heap bytes/state`;
}
