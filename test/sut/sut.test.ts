// The runner of generated tests against real code: every outcome class on a hand-written ponger (pass, a bug caught
// by the chart, a bug shrunk by fast-check, a late adapter called flaky, a throwing one called an error), replay.

import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';
import { runCase } from '../../src/sut/runCase.js';
import { envOf, testImplementation } from '../../src/sut/testImplementation.js';
import ponger from './pongerAdapter.js';

const WALKS = { generators: ['walks'] as const, runs: 15, graceMs: 2 };

describe('testImplementation on a hand-written ponger', () => {
  it('passes the correct one, every walk under the lossy configuration, and counts the specs it exercised', async () => {
    const r = await testImplementation(ponger, WALKS);
    expect(r.verdict).toBe('pass');
    expect(r.tests).toHaveLength(15);
    expect(r.tests.every((t) => t.outcome.verdict === 'pass')).toBe(true);
    const m = r.coverage.machines[0];
    expect(m?.machine).toBe('ponger');
    expect([...(m?.transitions.covered ?? [])].sort()).toEqual([
      'ponger.serving --ping.echo--> (self)',
      'ponger.serving --ping.echo--> (self) [isNewPing]',
    ]);
    // Both outcomes of isNewPing: retransmits and link duplicates make a repeat arrive.
    expect([...(m?.guards.covered ?? [])].sort()).toEqual([
      'ponger.serving --ping.echo--> (self) [isNewPing]: false',
      'ponger.serving --ping.echo--> (self) [isNewPing]: true',
    ]);
    expect(r.coverage.specs.get('reply-matches-ping')).toBeGreaterThan(0);
  });

  it('catches an off-by-one echo at its first answer, as a departure from the chart', async () => {
    const r = await testImplementation(ponger, { ...WALKS, variant: 'off-by-one' });
    expect(r.verdict).toBe('bug');
    const shrunk = r.tests.find((t) => t.shrunk !== undefined);
    expect(shrunk?.outcome.verdict).toBe('reference');
    expect(shrunk?.outcome.message).toMatch(
      /sent ping\.echoed \{"seq":2,.*where its chart sends ping\.echoed \{"seq":1/,
    );
  });

  it('shrinks a bug only some walks reach to a short run that replays exactly', async () => {
    const r = await testImplementation(ponger, { ...WALKS, runs: 40, variant: 'ignores-repeats' });
    expect(r.verdict).toBe('bug');
    const first = r.tests.find((t) => t.outcome.verdict === 'reference' && t.shrunk === undefined);
    const shrunk = r.tests.find((t) => t.shrunk !== undefined);
    expect(first).toBeDefined();
    expect(shrunk?.outcome.step).toBeLessThanOrEqual(first?.outcome.step ?? 0);
    // A repeat needs the ping sent twice: the shortest run is the ping, its duplicate, then the unanswered one.
    expect(shrunk?.outcome.steps[0]).toMatch(/hostA\/pinger → hostB\/ponger .*"seq":1/);
    const env = await envOf(ponger, { variant: 'ignores-repeats', graceMs: 2 });
    const again = await runCase(env, shrunk?.outcome.answers ?? [], 'exact');
    expect([again.verdict, again.step, again.message]).toEqual([
      shrunk?.outcome.verdict,
      shrunk?.outcome.step,
      shrunk?.outcome.message,
    ]);
  });

  it('gives the same report for the same seed (and a different one for another)', async () => {
    const a = await testImplementation(ponger, { ...WALKS, runs: 5, seed: 7 });
    const b = await testImplementation(ponger, { ...WALKS, runs: 5, seed: 7 });
    const c = await testImplementation(ponger, { ...WALKS, runs: 5, seed: 8 });
    const steps = (r: typeof a) => r.tests.map((t) => t.outcome.steps.join('\n'));
    expect(steps(a)).toEqual(steps(b));
    expect(steps(a)).not.toEqual(steps(c));
  });

  it('calls an adapter that answers one observe() late flaky, not the implementation wrong', async () => {
    const r = await testImplementation(ponger, { ...WALKS, variant: 'adapter-late' });
    expect(r.verdict).toBe('flaky');
    expect(r.tests.some((t) => t.outcome.verdict === 'spec' || t.outcome.verdict === 'reference')).toBe(false);
    expect(r.tests[0]?.outcome.message).toMatch(/arrived after step 1 had been judged/);
  });

  it('calls a throwing adapter an error, naming the call', async () => {
    const r = await testImplementation(ponger, { ...WALKS, variant: 'adapter-throws' });
    expect(r.verdict).toBe('error');
    expect(r.tests[0]?.outcome.message).toBe("hand-ponger: send(ping.echo to 'hostB/ponger') threw: socket closed");
  });

  it('judges by the specs alone once the chart oracle is off, and no ping-pong spec judges an echo', async () => {
    // The wrong echo goes out on the wire (the code's send, not the chart's); the pinger ignores it and gives up,
    // which its specs allow. Only the chart oracle sees this bug: the reason it is on by default.
    const r = await testImplementation(ponger, { ...WALKS, variant: 'off-by-one', chartOracle: false });
    expect(r.verdict).toBe('pass');
    expect(r.coverage.specs.get('reply-matches-ping')).toBeGreaterThan(0);
  });

  it('calls an adapter that never answers flaky once its call has waited the settle bound', async () => {
    const hung = {
      ...ponger,
      start: async () => ({ ...(await ponger.start({ params: {} })), send: () => new Promise<void>(() => {}) }),
    };
    const r = await testImplementation(hung, { ...WALKS, runs: 1, settleMs: 50 });
    expect(r.verdict).toBe('flaky');
    expect(r.tests[0]?.outcome.message).toMatch(
      /^hand-ponger: send\(ping\.echo to 'hostB\/ponger'\) did not settle within 50 ms$/,
    );
  });

  it('is inconclusive, not passed, when the step bound cuts a run with a liveness obligation open', async () => {
    const r = await testImplementation(ponger, { ...WALKS, runs: 3, maxSteps: 2 });
    expect(r.verdict).toBe('inconclusive');
    expect(r.tests[0]?.outcome.message).toMatch(/^step bound 2 reached with .* still pending$/);
  });

  it('replays a seeded simulation step for step when the real code behaves as its chart', async () => {
    const scenario = findScenario('ping-pong');
    const params = scenario.checks?.find((c) => c.name === 'lossy')?.params ?? {};
    const sim = simulate({ scenario, seed: 3, params: resolveParams(scenario, params), untilUs: 20_000 });
    const env = await envOf(ponger, { graceMs: 2 });
    const o = await runCase(env, sim.choices, 'exact');
    expect(o.verdict).toBe('pass');
    expect(o.answers).toEqual(sim.choices);
    expect(o.step).toBe(sim.result.state.step);
  });
});
