// What `statevisor check --mode random|swarm` prints: the JSON report and the text summary of the same outcome,
// including an honest "bound hit" when --max-time stopped it, and "vacuous" when the walks exercised too little.

import { type Verdict, verdictOf } from '../../check/explore.js';
import { isVacuous, type Vacuity, vacuityOf, type WalkCoverage } from '../../check/walkCoverage.js';
import { formatUs } from '../../scenarios/format.js';
import type { Io } from '../io.js';
import { expectationLine } from '../report.js';
import type { CheckOptions } from './command.js';
import type { RandomOutcome, WalkPlan } from './random.js';

/** What the report names of the check: one run's options, or what `merge` read from the shards' result files. */
export type ReportOpts = Pick<CheckOptions, 'scenario' | 'mode' | 'mutant' | 'configNote' | 'tracePath'>;

/**
 * `vacuous`: every seed was walked and no spec failed, but some goal was never reached, some spec was never handed an
 * observation, or some liveness spec the configuration claims never owed a deadline due by the horizon on any walk.
 */
export function randomVerdict(o: RandomOutcome): Verdict {
  const v = vacuityOf(o.search.coverage);
  return verdictOf(o.search.failure !== null, !o.search.timedOut, v.unreached.length > 0, v.unobserved, v.untested);
}

/** Whether a demonstration configuration's walks violated the spec it expects; null for any other check. */
export function randomAsExpected(o: RandomOutcome): boolean | null {
  if (o.expected === null) return null;
  return o.search.failure?.violation.spec === o.expected;
}

/** What a demonstration configuration showed, and whether that is what it expects (exhaustiveReport's wording). */
function expectationText(o: RandomOutcome, io: Io): void {
  const met = randomAsExpected(o);
  if (met === null) return;
  const f = o.search.failure;
  const got = f !== null ? `${f.violation.spec} was violated` : `the verdict is ${randomVerdict(o)}`;
  io.out(expectationLine(o.expected as string, met, got));
}

/** Each spec's verdict over the walks, as the exhaustive report words them. */
function specVerdict(o: RandomOutcome, v: Vacuity, spec: string): string {
  const failed = o.search.failure?.violation.spec ?? null;
  if (spec === failed) return 'violated';
  if (failed !== null) return 'not violated before the counterexample';
  if (v.untested.includes(spec)) return 'untested';
  if (o.search.timedOut) return 'held on the walks run';
  return v.unobserved.length === 0 && v.unreached.length === 0 ? 'held' : 'held, vacuously';
}

function coverageJson(o: RandomOutcome): Record<string, unknown> {
  const c = o.search.coverage;
  if (c === null) return { sometimes: null, unobservedSpecs: null, untestedSpecs: null, specs: null };
  const v = vacuityOf(c);
  return {
    sometimes: c.goals.map((g) => ({
      name: g.name,
      description: g.description,
      required: g.required,
      reachedOnSeed: g.seed,
      atStep: g.step,
    })),
    unobservedSpecs: v.unobserved,
    untestedSpecs: v.untested,
    specs: c.specs.map((s) => ({
      name: s.name,
      specId: s.specId,
      kind: s.kind,
      verdict: specVerdict(o, v, s.name),
      ...closestOf(c, s.name),
    })),
  };
}

function closestOf(c: WalkCoverage, spec: string): { closestSpareUs?: number | null } {
  const l = c.liveness.find((x) => x.spec === spec);
  return l === undefined ? {} : { closestSpareUs: l.spareUs };
}

export function randomJson(opts: ReportOpts, plan: WalkPlan, o: RandomOutcome): string {
  const r = o.reproduced;
  const f = r?.failure ?? null;
  return JSON.stringify(
    {
      scenario: opts.scenario.name,
      mode: opts.mode,
      mutant: opts.mutant ?? null,
      configuration: opts.configNote,
      verdict: randomVerdict(o),
      boundsHit: o.search.timedOut ? ['time'] : [],
      limits: { maxTimeMs: o.maxTimeMs },
      walks: o.search.walks,
      seeds: { first: plan.first, count: plan.seeds },
      shard: plan.shard === null ? null : { ...plan.shard, result: plan.resultPath },
      workers: o.search.workers,
      mergedShards: plan.mergedShards,
      wallMs: Math.round(o.wallMs),
      expectedViolation: o.expected,
      asExpected: randomAsExpected(o),
      ...coverageJson(o),
      counterexample:
        r === null || f === null
          ? null
          : {
              seed: f.seed,
              params: f.params,
              violation: f.violation,
              foundSteps: f.steps,
              foundChoices: f.choices.length,
              shrunkChoices: r.shrunk?.choices.length ?? null,
              shrinkAttempts: r.shrunk?.attempts ?? 0,
              shrinkTimedOut: r.shrunk?.timedOut ?? false,
              trace: { path: opts.tracePath, ...r.trace },
              replay: `npx statevisor replay ${opts.tracePath}`,
            },
    },
    null,
    2,
  );
}

export function randomText(opts: ReportOpts, plan: WalkPlan, o: RandomOutcome, io: Io): void {
  const mutant = opts.mutant ? `, MUTANT ${opts.mutant}` : '';
  io.out(`statevisor check ${opts.scenario.name}  (${opts.mode}${mutant}; ${opts.configNote})`);
  const seconds = (o.wallMs / 1000).toFixed(2);
  io.out(
    plan.mergedShards === null
      ? `  ${o.search.walks} walks from seed ${plan.first} on ${o.search.workers} worker(s) in ${seconds} s`
      : // The shards' walking time is in their own reports: this process only merged (and shrank and wrote the trace).
        `  ${o.search.walks} walks from seed ${plan.first}, merged from ${plan.mergedShards} shard result(s) in ${seconds} s`,
  );
  if (plan.shard !== null) {
    io.out(
      `  shard ${plan.shard.index}/${plan.shard.count}; result written to ${plan.resultPath} (statevisor merge combines the shards)`,
    );
  }
  const r = o.reproduced;
  if (r === null) {
    io.out(
      o.search.timedOut
        ? `  BOUND HIT (time): --max-time ${o.maxTimeMs / 1000} s passed after ${o.search.walks} of ${plan.seeds} walks; every spec held on the walks run`
        : `  every spec held on every walk (${plan.seeds} seeds)`,
    );
    coverageText(o, io);
    expectationText(o, io);
    return;
  }
  const f = r.failure;
  io.out(`  VIOLATED ${f.violation.spec} (${f.violation.specId}) on seed ${f.seed}: ${f.violation.message}`);
  const s = r.shrunk;
  const stopped = s?.timedOut ? '; shrinking stopped at --max-time' : '';
  // "Shrunk to" the very length it was found at would read as progress: say none of the runs tried was shorter.
  const shrunk =
    s === null
      ? ''
      : s.choices.length === f.choices.length && r.trace.steps === f.steps
        ? `, not shrunk: none of the ${s.attempts} smaller choice lists tried kept the violation${stopped}`
        : `, shrunk to ${s.choices.length} choices / ${r.trace.steps} steps (${s.attempts} runs${stopped})`;
  io.out(`  counterexample: found after ${f.steps} steps with ${f.choices.length} choices${shrunk}`);
  io.out(`  trace written to ${opts.tracePath}; replay it: npx statevisor replay ${opts.tracePath}`);
  expectationText(o, io);
}

/** What the walks exercised, spec by spec and goal by goal, and why a "held" says nothing when it does. */
function coverageText(o: RandomOutcome, io: Io): void {
  const c = o.search.coverage;
  if (c === null) return;
  const v = vacuityOf(c);
  io.out('  specs (over every walk)');
  for (const s of c.specs) {
    const status = v.untested.includes(s.name) ? 'UNTESTED' : 'held    ';
    const unfed = s.observed ? '' : ' — observed nothing on any walk: VACUOUS';
    io.out(`    ${status} ${s.name} (${s.specId}, ${s.kind})${unfed}${approachText(c, v, s.name)}`);
  }
  if (c.goals.length > 0) {
    io.out(
      c.goals.some((g) => g.required)
        ? '  sometimes (states some walk must reach, or the verdict is vacuous)'
        : '  sometimes (a swarm draws its own faults and claims no goal: reported, not required)',
    );
  }
  for (const g of c.goals) {
    const where =
      g.seed !== null ? `reached on seed ${g.seed} at step ${g.step}` : g.required ? 'NEVER REACHED' : 'not reached';
    io.out(`    ${where}: ${g.name} (${g.description})`);
  }
  if (o.search.timedOut || !isVacuous(v)) return;
  io.out(
    `  VACUOUS: these walks did not exercise what they must (${vacuousWhat(v)}); walk more seeds (--seeds), a longer horizon (--until), or a configuration whose faults reach it`,
  );
}

function approachText(c: WalkCoverage, v: Vacuity, spec: string): string {
  const l = c.liveness.find((x) => x.spec === spec);
  if (l === undefined || c.specs.find((s) => s.name === spec)?.observed === false) return '';
  if (l.spareUs !== null) return ` — closest approach ${formatUs(l.spareUs)} before a deadline`;
  return v.untested.includes(spec)
    ? ' — no deadline owed before the horizon on any walk: VACUOUS'
    : ' — no deadline owed before the horizon on any walk; this configuration does not claim to test it';
}

function vacuousWhat(v: Vacuity): string {
  const parts = [
    v.unreached.length > 0 ? `never reached ${v.unreached.join(', ')}` : '',
    v.unobserved.length > 0 ? `observed nothing for ${v.unobserved.join(', ')}` : '',
    v.untested.length > 0 ? `owed no deadline for ${v.untested.join(', ')}` : '',
  ];
  return parts.filter((p) => p !== '').join('; ');
}
