// What `statevisor check --mode random|swarm` prints: the JSON report and the text summary of the same outcome,
// including an honest "bound hit" when --max-time stopped the search before every seed was walked.

import type { Io } from '../io.js';
import type { CheckOptions } from './command.js';
import type { RandomOutcome, WalkPlan } from './random.js';

/** What the report names of the check: one run's options, or what `merge` read from the shards' result files. */
export type ReportOpts = Pick<CheckOptions, 'scenario' | 'mode' | 'mutant' | 'configNote' | 'tracePath'>;

function verdict(o: RandomOutcome): 'holds' | 'violated' | 'bound-hit' {
  if (o.search.failure !== null) return 'violated';
  return o.search.timedOut ? 'bound-hit' : 'holds';
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
      verdict: verdict(o),
      boundsHit: o.search.timedOut ? ['time'] : [],
      limits: { maxTimeMs: o.maxTimeMs },
      walks: o.search.walks,
      seeds: { first: plan.first, count: plan.seeds },
      shard: plan.shard === null ? null : { ...plan.shard, result: plan.resultPath },
      workers: o.search.workers,
      mergedShards: plan.mergedShards,
      wallMs: Math.round(o.wallMs),
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
}
