// The two generators of tests against an implementation, one runner: graph paths (the explorer's shortest paths that
// together take every transition its actors can take) and property-based walks (fast-check, shrunk when one fails).

import fc from 'fast-check';
import { generateProtocolTests } from '../testgen/protocol.js';
import { DRAW_RANGE } from './chooser.js';
import { isBug, type SutEnv, type SutOutcome } from './outcome.js';
import { runCase } from './runCase.js';

/** One test as reported: which generator made it, under which configuration, and how it ended. */
export interface SutTest {
  readonly name: string;
  readonly generator: 'paths' | 'walks';
  readonly config: string | null;
  readonly outcome: SutOutcome;
  /** For a walk that failed: how fast-check shrank it. */
  readonly shrunk?: { readonly from: number; readonly to: number; readonly shrinks: number; readonly seed: number };
}

export type GenerateProgress = (test: SutTest) => void;

/** Graph paths: every vector that takes a transition of one of the adapter's actors; stops at the first bug. */
export async function pathTests(env: SutEnv, onTest: GenerateProgress): Promise<SutTest[]> {
  const rawParams = env.adapter.params ?? {};
  const protocol = generateProtocolTests(env.scenario, {
    ...(env.config !== null ? { config: env.config } : {}),
    params: rawParams,
  });
  const mine = protocol.vectors.filter((v) =>
    v.covers.some((p) => env.adapter.actors.some((a) => p.startsWith(`${a}: `))),
  );
  const tests: SutTest[] = [];
  for (const v of mine) {
    const outcome = await confirmed(env, await runCase(env, v.choices, 'exact'));
    const test: SutTest = {
      name: `path ${tests.length + 1}/${mine.length}`,
      generator: 'paths',
      config: env.config,
      outcome,
    };
    tests.push(test);
    onTest(test);
    if (outcome.verdict !== 'pass' && outcome.verdict !== 'inconclusive') break;
  }
  return tests;
}

export interface WalkOptions {
  readonly runs: number;
  readonly seed: number;
  /** Most draws a walk's script holds (past them the run goes on with draw 0: nothing unusual). */
  readonly length: number;
  /** Most runs spent shrinking one failure: shrinking stops there with the smallest failure found so far. */
  readonly maxShrinkRuns: number;
}

/**
 * Property-based walks: fast-check draws scripts of random draws; the property is "no bug". A failing script is
 * shrunk (fast-check removes and lowers draws) to a minimal one that still fails, and re-run to confirm it replays.
 */
export async function walkTests(env: SutEnv, opts: WalkOptions, onTest: GenerateProgress): Promise<SutTest[]> {
  const tests: SutTest[] = [];
  let trouble: SutOutcome | null = null;
  let evaluations = 0;
  const property = fc.asyncProperty(
    fc.array(fc.integer({ min: 0, max: DRAW_RANGE - 1 }), { maxLength: opts.length }),
    async (script) => {
      evaluations++;
      if (trouble !== null || evaluations > opts.runs + opts.maxShrinkRuns) return true;
      const outcome = await runCase(env, script, 'draws');
      if (evaluations <= opts.runs) {
        const test: SutTest = { name: `walk ${evaluations}`, generator: 'walks', config: env.config, outcome };
        tests.push(test);
        onTest(test);
      }
      if (outcome.verdict === 'flaky' || outcome.verdict === 'error') trouble = outcome;
      return !isBug(outcome);
    },
  );
  const result = await fc.check(property, { numRuns: opts.runs, seed: opts.seed, endOnFailure: false });
  if (trouble !== null || !result.failed || result.counterexample === null) return tests;
  const script = result.counterexample[0] as number[];
  const first = await runCase(env, script, 'draws');
  const outcome = await confirmed(env, first);
  const original = tests.find((t) => isBug(t.outcome));
  const shrunk = {
    from: original?.outcome.step ?? first.step,
    to: first.step,
    shrinks: result.numShrinks,
    seed: opts.seed,
  };
  const test: SutTest = { name: 'walk (shrunk)', generator: 'walks', config: env.config, outcome, shrunk };
  tests.push(test);
  onTest(test);
  return tests;
}

/** A bug stands once the same answers give the same failure again; otherwise the run was not deterministic. */
async function confirmed(env: SutEnv, first: SutOutcome): Promise<SutOutcome> {
  if (!isBug(first)) return first;
  const again = await runCase(env, first.answers, 'exact');
  return sameFailure(first, again) ? first : notReproduced(first, again);
}

function sameFailure(a: SutOutcome, b: SutOutcome): boolean {
  return a.verdict === b.verdict && a.step === b.step && a.message === b.message;
}

/** The same answers gave a different end: the implementation (or its adapter) is not deterministic. */
function notReproduced(first: SutOutcome, again: SutOutcome): SutOutcome {
  return {
    ...first,
    verdict: 'flaky',
    message:
      `a failure did not reproduce from the same choices: first ${first.verdict} at step ${first.step} (${first.message}), ` +
      `then ${again.verdict} at step ${again.step} (${again.message})`,
  };
}
