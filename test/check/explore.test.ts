// The explorer on the shipped models: exhausted configurations with pinned distinct-state counts (as Stateright
// pins unique_state_count) and the `sometimes` goals each reaches; bounds and vacuity reported as such.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { type ExploreProgress, MEMORY_EVERY_STATES, PROGRESS_EVERY_MS } from '../../src/check/explore.js';
import { findScenario } from '../../src/scenarios/index.js';

const now = () => 0;

function check(name: string, extra: Partial<Parameters<typeof runCheck>[0]> = {}) {
  return runCheck({ scenario: findScenario(name), mode: 'bfs', now, ...extra });
}

/**
 * The small configurations, explored to exhaustion in every test run. The larger ones (ha-steady lossy, ha-failover
 * crash, ha-partition isolate and degrade-then-isolate: 80–200 k states each; mem-switch grouped and crash,
 * mem-checkpoint m3: 17–53 k) are explored by `npm run soak`; the mutants test still exercises most
 * of them up to a counterexample.
 */
const PINNED: [scenario: string, config: string | undefined, states: number, transitions: number][] = [
  ['relay-ring', undefined, 318, 615],
  ['ha-mixed', 'shared-nic', 1036, 2066],
  ['ha-partition', 'cut', 3203, 3988],
  ['ha-failover', 'crash-for-good', 24105, 29986],
  ['mem-switch', 'tagged', 1824, 1829],
  ['mem-checkpoint', 'm2', 1082, 1448],
  ['mem-checkpoint', 'backup-crash', 9669, 12902],
  ['mem-trace', 'crash', 238, 239],
  ['latency-hiding', 'lossy', 480, 534],
  ['latency-hiding', 'storage-crash', 1816, 2024],
  ['snapshot-live', 'lossy', 1367, 1943],
  ['balloon-sweep', 'race', 1512, 2238],
  ['balloon-sweep', 'keep', 1469, 2165],
  ['balloon-sweep', 'checkpoint', 804, 1259],
  ['balloon-pressure', 'pool', 2535, 4216],
  ['faulty-device', 'diversion-lossy', 1038, 1472],
  ['faulty-device', 'faking-late', 632, 811],
  ['file-share', 'ring', 2849, 3423],
  ['file-share', 'malicious', 379, 487],
  ['rx-chains', 'wire', 2313, 3968],
  ['tagged-memory', 'dma', 679, 971],
  ['lockstep-steady', 'lossy', 2406, 4628],
  ['lockstep-divergence', 'diverge', 1792, 2859],
  ['lockstep-failover', 'crash', 1166, 1717],
  ['app-failure', 'exhaustion', 2706, 3824],
  ['app-failure', 'bug', 2287, 3912],
  ['replay-analysis', 'lossy', 982, 1091],
  ['replay-analysis', 'analysis-crash', 2267, 2628],
];

/** 40–52 k states, about 2–3 s each since the explorer's speed-up (they were 6–9 s and soak-only). */
const LARGER: typeof PINNED = [
  ['ping-pong', undefined, 40817, 123289],
  ['ha-failover', 'crash-lossy', 35582, 45571],
];

describe('explore', () => {
  for (const [name, config, states, transitions] of [...PINNED, ...LARGER]) {
    it(`Check: ${name}${config ? ` ${config}` : ''}: exhausted with ${states} distinct states, every goal reached`, () => {
      const r = check(name, config !== undefined ? { config } : {}).result;
      expect(r.verdict).toBe('holds');
      expect(r.exhausted).toBe(true);
      expect([r.states, r.transitions]).toEqual([states, transitions]);
      const unreached = r.sometimes.filter((s) => s.reachedAtStep === null).map((s) => s.name);
      expect(unreached).toEqual([]);
      expect(r.sometimes.length).toBeGreaterThan(name === 'relay-ring' ? -1 : 1);
    });
  }

  it('Check: DFS visits exactly the states BFS visits', () => {
    for (const [name, config] of [
      ['relay-ring', undefined],
      ['ha-partition', 'cut'],
    ] as const) {
      const extra = config !== undefined ? { config } : {};
      expect(check(name, { ...extra, mode: 'dfs' }).result.states).toBe(check(name, extra).result.states);
    }
  });

  it('Check: bounds are reported as hit, not as a proof', () => {
    const states = check('ping-pong', { maxStates: 50 }).result;
    expect([states.verdict, states.exhausted, states.boundsHit]).toEqual(['bound-hit', false, ['states']]);
    const depth = check('ha-failover', { config: 'crash-for-good', maxDepth: 10 }).result;
    expect([depth.verdict, depth.boundsHit]).toEqual(['bound-hit', ['depth']]);
  });

  // ha-partition isolate's deadlines restart when its isolation heals at 7.3 ms, past its 8 ms horizon: "held", but
  // output-liveness never came within 5.2 ms of its 6 ms bound. ha-steady lossy's came within 1.1 ms.
  it('Check: an exhausted search reports how close each liveness spec came to failing; a bounded one does not', () => {
    const isolate = check('ha-partition', { config: 'isolate' }).result;
    expect(isolate.closest).toEqual([
      { spec: 'output-liveness', spareUs: 5202 },
      { spec: 'protection-liveness', spareUs: 4790 },
    ]);
    // The least over every step explored: DFS explores the same steps in another order.
    const dfs = check('ha-partition', { config: 'isolate', mode: 'dfs' }).result;
    expect(dfs.closest).toEqual(isolate.closest);
    expect(check('ping-pong', { maxStates: 50 }).result.closest).toEqual([]);
  });

  it('Check: the memory bound is checked every few thousand states, with BFS and DFS', () => {
    // ping-pong explores 40 817 states; a bound checked only every 160 000 (as it once was) never fired here.
    for (const mode of ['bfs', 'dfs'] as const) {
      const r = check('ping-pong', { mode, maxMemoryBytes: 1 }).result;
      expect([r.verdict, r.boundsHit, r.states], mode).toEqual(['bound-hit', ['memory'], MEMORY_EVERY_STATES]);
    }
  });

  it('Check: progress comes every quarter second of wall time, whatever the state count', () => {
    // A clock that moves 25 ms at each reading (one every 256 states): progress at every 10th reading.
    let t = 0;
    const seen: ExploreProgress[] = [];
    const r = check('ping-pong', { maxStates: 20_000, now: () => (t += 25), onProgress: (p) => seen.push(p) }).result;
    expect(seen.length).toBeGreaterThan(5);
    for (const [i, p] of seen.entries()) {
      const prev = seen[i - 1];
      expect(p.elapsedMs - (prev?.elapsedMs ?? 0)).toBeGreaterThanOrEqual(PROGRESS_EVERY_MS);
      if (prev !== undefined) expect(p.states).toBeGreaterThan(prev.states);
      expect(p.states % 256).toBe(0);
      expect(p.states).toBeLessThanOrEqual(r.states);
    }
    // A clock that never moves shows none: progress is by time, not by states.
    const none: ExploreProgress[] = [];
    check('ping-pong', { maxStates: 5_000, onProgress: (p) => none.push(p) });
    expect(none).toEqual([]);
  });

  it('Check: an exhausted search that misses a `sometimes` goal is vacuous, not a proof', () => {
    // Without the witness ever crashing, a configuration that must reach `witness-crashed` cannot.
    const r = check('ha-failover', { config: 'crash-for-good', params: { crashFromUs: '-1' } }).result;
    expect(r.verdict).toBe('vacuous');
    expect(r.exhausted).toBe(true);
    expect(r.sometimes.filter((s) => s.reachedAtStep === null).map((s) => s.name)).toEqual([
      'backup-crashed',
      'ran-unprotected',
    ]);
  });

  // ha-mixed's horizon was 2.1 ms, under its 6 ms liveness bounds: every goal reached, every spec fed, "held" — and
  // two registered mutants passed it. Its 8 ms horizon catches both.
  it('Check: an exhausted search in which a liveness spec owes no deadline due by the horizon is vacuous', () => {
    const short = check('ha-mixed', { untilUs: 2100 }).result;
    expect([short.verdict, short.exhausted, short.unobserved]).toEqual(['vacuous', true, []]);
    expect(short.sometimes.every((s) => s.reachedAtStep !== null)).toBe(true);
    expect(short.untested).toEqual(['output-liveness', 'protection-liveness']);
    const missed = check('ha-mixed', { untilUs: 2100, mutant: 'resume-epoch-off-by-one' }).result;
    expect([missed.verdict, missed.untested.length]).toEqual(['vacuous', 2]);
    for (const [mutant, spec] of [
      ['resume-epoch-off-by-one', 'protection-liveness'],
      ['runs-while-stunned', 'output-commit'],
    ]) {
      const r = check('ha-mixed', { mutant }).result;
      expect([r.verdict, r.counterexample?.violation.spec], mutant).toEqual(['violated', spec]);
    }
    const full = check('ha-mixed').result;
    expect([full.verdict, full.untested]).toEqual(['holds', []]);
  });

  it("Check: a configuration's `liveness` leaves out a spec it cannot test; a name it does not know is refused", () => {
    // latency-hiding blocking de-schedules nothing, so rescheduled-after-completion never owes a deadline there.
    const r = check('latency-hiding', { config: 'blocking' }).result;
    expect([r.verdict, r.untested]).toEqual(['holds', []]);
    expect(r.closest.find((c) => c.spec === 'rescheduled-after-completion')?.spareUs).toBeNull();
    const scenario = findScenario('latency-hiding');
    const blocking = scenario.checks?.find((c) => c.name === 'blocking');
    if (blocking === undefined) throw new Error('latency-hiding lost its blocking configuration');
    for (const [field, bad, message] of [
      ['liveness', { liveness: ['processes-finsh'] }, "no liveness spec named 'processes-finsh'"],
      ['liveness', { liveness: ['descheduled-never-runs'] }, "no liveness spec named 'descheduled-never-runs'"],
      ['reach', { reach: ['vcpu-stall'] }, "no sometimes goal named 'vcpu-stall'"],
    ] as const) {
      const typo = { ...scenario, checks: [{ ...blocking, ...bad }] };
      expect(() => runCheck({ scenario: typo, mode: 'bfs', now }), field).toThrow(
        `check configuration 'blocking' ${field}: ${message}`,
      );
    }
  });
});
