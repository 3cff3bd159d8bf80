// The gen-tests --sut bench (issue 18): what a generated test against real code over real sockets costs, next to the
// same test's choices run on the model alone, measured side by side in one run on the path a user runs.

import { performance } from 'node:perf_hooks';
import proxy from '../impls/outputCommit/adapter.js';
import { simulate } from '../src/simulate.js';
import type { SutTest } from '../src/sut/generate.js';
import { envOf, SUT_DEFAULTS, testImplementation } from '../src/sut/testImplementation.js';
import { median, sig } from './stats.js';

const CONFIG = 'lossy';
const WALKS = 50;

/** The proxy's walks under one configuration (the user's path, testImplementation), timed per test. */
async function realSide(): Promise<{ tests: SutTest[]; msPerTest: number[]; totalMs: number }> {
  const msPerTest: number[] = [];
  let last = performance.now();
  const t0 = last;
  const r = await testImplementation(proxy, {
    generators: ['walks'],
    configs: [CONFIG],
    runs: WALKS,
    onTest: () => {
      const now = performance.now();
      msPerTest.push(now - last);
      last = now;
    },
  });
  if (r.verdict !== 'pass') throw new Error(`bench sut: the correct proxy did not pass (${r.verdict})`);
  return { tests: [...r.tests], msPerTest, totalMs: performance.now() - t0 };
}

/** The same tests' answers on the charts alone (simulate replaying them), timed per test. */
async function modelSide(tests: readonly SutTest[]): Promise<number[]> {
  const env = await envOf(proxy, { config: CONFIG });
  return tests.map((t) => {
    const t0 = performance.now();
    const o = simulate({
      scenario: env.scenario,
      seed: 0,
      params: env.params,
      untilUs: env.untilUs,
      maxSteps: env.maxSteps,
      choices: t.outcome.answers,
    });
    if (o.result.state.step !== t.outcome.step) throw new Error('bench sut: the model ran a different number of steps');
    return performance.now() - t0;
  });
}

export async function benchSut(progress: (msg: string) => void) {
  // One untimed round first, as in the other sections: sockets, modules and V8 warm up.
  await realSide();
  const real = await realSide();
  const model = await modelSide(real.tests);
  const steps = real.tests.map((t) => t.outcome.step);
  const realMs = median(real.msPerTest);
  const modelMs = median(model);
  progress(`sut: ${real.tests.length} proxy tests, ${sig(realMs)} ms each; the model alone ${sig(modelMs)} ms`);
  return {
    adapter: proxy.name,
    config: CONFIG,
    tests: real.tests.length,
    medianSteps: median(steps),
    msPerTest: sig(realMs),
    testsPerSecond: sig((1000 * real.tests.length) / real.totalMs),
    modelMsPerTest: sig(modelMs),
    realOverModel: sig(realMs / modelMs),
    // The end-of-run wait for late answers, per test: a floor the adapter's speed cannot lower.
    graceMsPerTest: SUT_DEFAULTS.graceMs,
  };
}
