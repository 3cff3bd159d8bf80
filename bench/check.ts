// Explorer benchmark: distinct states/s of BFS on a fixed small HA configuration, side by side with the bare
// cost of the kernel's transitions on the same states, so the explorer's own overhead shows as a ratio.

import { performance } from 'node:perf_hooks';
import { type ExploreResult, explore } from '../src/check/explore.js';
import { forEachInitial, forEachSuccessor } from '../src/check/successors.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { SystemState } from '../src/kernel/types.js';
import { findScenario } from '../src/scenarios/index.js';
import { assemble, type CheckConfig, defaultCheck, resolveParams, type Scenario } from '../src/scenarios/types.js';
import { median, sig } from './stats.js';

/** A scenario's default check configuration, which it must have: the benchmarks explore nothing else. */
export function benchCheckConfig(name: string): { scenario: Scenario; check: CheckConfig } {
  const scenario = findScenario(name);
  const check = defaultCheck(scenario);
  if (check === undefined) throw new Error(`${name} has no check configuration`);
  return { scenario, check };
}

/**
 * One exhaustive BFS of a check configuration, timed from the assembled kernel on. Explorer defaults as
 * `statevisor check` has them (commutation merging on); a violation or an unexhausted search is an error,
 * since a rate measured on either would not be the rate of checking the model.
 */
export function timedExplore(
  scenario: Scenario,
  check: CheckConfig,
  measureHeap = false,
  sleepSets = false,
): { result: ExploreResult; ms: number } {
  const a = assemble(scenario, resolveParams(scenario, check.params));
  const t0 = performance.now();
  const result = explore(a.kernel, {
    mode: 'bfs',
    untilUs: check.untilUs,
    maxDepth: 1e9,
    maxStates: 1e9,
    maxTimeMs: 1e9,
    maxMemoryBytes: 1e12,
    now: () => performance.now(),
    measureHeap,
    sleepSets,
  });
  const ms = performance.now() - t0;
  if (result.counterexample !== null) {
    throw new Error(
      `${scenario.name} (${check.name}): ${result.counterexample.violation.spec} violated; not benchmarked`,
    );
  }
  if (!result.exhausted) throw new Error(`${scenario.name} (${check.name}): exploration not exhausted`);
  return { result, ms };
}

/** Every state reachable within the horizon, one per identity `id` gives, in BFS order. */
export function reachableStates(kernel: Kernel, untilUs: number, id: (s: SystemState) => unknown): SystemState[] {
  const states: SystemState[] = [];
  const seen = new Set<unknown>();
  const queue: SystemState[] = [];
  forEachInitial(kernel, (s) => {
    queue.push(s);
    return undefined;
  });
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i] as SystemState;
    const h = id(s);
    if (seen.has(h)) continue;
    seen.add(h);
    states.push(s);
    const next = s.pending[0];
    if (next === undefined || next.due > untilUs) continue;
    forEachSuccessor(kernel, s, (res) => {
      queue.push(res.state);
      return undefined;
    });
  }
  return states;
}

/**
 * The kernel's own cost of a search's transitions: every successor of every state stepped (machines, network,
 * monitors), with no fingerprint, visited set, judge or frontier. No explorer on this kernel can go faster.
 */
export function bareSteps(
  kernel: Kernel,
  states: readonly SystemState[],
  untilUs: number,
): { transitions: number; ms: number } {
  let transitions = 0;
  const t0 = performance.now();
  for (const s of states) {
    const next = s.pending[0];
    if (next === undefined || next.due > untilUs) continue;
    transitions += forEachSuccessor(kernel, s, () => undefined);
  }
  return { transitions, ms: performance.now() - t0 };
}

export function benchCheck(progress: (line: string) => void) {
  const { scenario, check } = benchCheckConfig('ha-failover');
  const params = resolveParams(scenario, check.params);
  const rounds: { statesPerSec: number; transitionsPerSec: number; bareTransitionsPerSec: number; hashUs: number }[] =
    [];
  for (let round = 0; round < 4; round++) {
    const { result: r, ms: exploreMs } = timedExplore(scenario, check);
    // The same states again, with nothing but the kernel: enumerate every successor of every reachable state.
    const b = assemble(scenario, params);
    const states = reachableStates(b.kernel, check.untilUs, (s) => b.kernel.hashState(s));
    const { transitions: bare, ms: bareMs } = bareSteps(b.kernel, states, check.untilUs);
    // Cold hashing of the same states (a fresh kernel has no cached snapshot hashes). Its hasher exists only once
    // the kernel is sealed, which its first initial state does; that state's fresh snapshots are not hashed below.
    const c = assemble(scenario, params);
    forEachInitial(c.kernel, () => false);
    const t2 = performance.now();
    for (const s of states) c.kernel.hashState(s);
    const hashMs = performance.now() - t2;
    const row = {
      statesPerSec: Math.round(r.states / (exploreMs / 1000)),
      transitionsPerSec: Math.round(r.transitions / (exploreMs / 1000)),
      bareTransitionsPerSec: Math.round(bare / (bareMs / 1000)),
      hashUs: sig((hashMs * 1000) / states.length),
    };
    if (round > 0) rounds.push(row);
    progress(
      `check bfs round ${round}: ${r.states} states, ${row.statesPerSec} states/s, bare ${row.bareTransitionsPerSec} transitions/s`,
    );
  }
  const med = (k: keyof (typeof rounds)[number]) => {
    const v = rounds.map((x) => x[k]).sort((p, q) => p - q);
    return v[v.length >> 1] as number;
  };
  return {
    configuration: `ha-failover check configuration (${check.note})`,
    distinctStatesPerSec: med('statesPerSec'),
    explorerTransitionsPerSec: med('transitionsPerSec'),
    bareKernelTransitionsPerSec: med('bareTransitionsPerSec'),
    explorerOverheadRatio: sig(med('bareTransitionsPerSec') / med('transitionsPerSec')),
    coldHashUsPerState: med('hashUs'),
    rounds,
  };
}

/** Rounds of each way of exploring a configuration, alternating so drift on a shared machine hits all alike. */
const ROUNDS = 4;

/**
 * Explores `check` ROUNDS times each way, alternating: every way's states/s per round (the first round warms up
 * and is left out) and every round's result, for the caller to hold to the same search.
 */
function sideBySide<K extends string>(
  label: string,
  kinds: readonly K[],
  { scenario, check }: { scenario: Scenario; check: CheckConfig },
  progress: (line: string) => void,
  run: (kind: K) => { result: ExploreResult; ms: number },
): { rates: Record<K, number[]>; results: Record<K, ExploreResult[]> } {
  const rates = Object.fromEntries(kinds.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const results = Object.fromEntries(kinds.map((k) => [k, [] as ExploreResult[]])) as Record<K, ExploreResult[]>;
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of kinds) {
      const { result, ms } = run(kind);
      const rate = Math.round(result.states / (ms / 1000));
      results[kind].push(result);
      if (round > 0) rates[kind].push(rate);
      progress(`${label} ${scenario.name} ${kind} round ${round}: ${rate} states/s (${check.name})`);
    }
  }
  return { rates, results };
}

/**
 * The compiled stepper against XState's interpreter (STATEVISOR_STEPPER=xstate) on the same exhaustive searches,
 * rounds alternating so drift on a shared machine hits both alike; same states and transitions or it is an error.
 */
export function benchStepper(progress: (line: string) => void) {
  const out: Record<string, unknown> = {};
  for (const name of ['ha-failover', 'ha-steady', 'ping-pong']) {
    const c = benchCheckConfig(name);
    const { rates, results } = sideBySide('stepper', ['compiled', 'xstate'] as const, c, progress, (kind) => {
      process.env.STATEVISOR_STEPPER = kind;
      try {
        return timedExplore(c.scenario, c.check);
      } finally {
        delete process.env.STATEVISOR_STEPPER;
      }
    });
    const counts = new Set([...results.compiled, ...results.xstate].map((r) => `${r.states}/${r.transitions}`));
    if (counts.size !== 1) throw new Error(`${name}: the two steppers explored different spaces: ${[...counts]}`);
    out[name] = {
      configuration: `${c.check.name}: ${c.check.note}`,
      statesAndTransitions: [...counts][0],
      compiledStatesPerSec: median(rates.compiled),
      xstateStatesPerSec: median(rates.xstate),
      speedup: sig(median(rates.compiled) / median(rates.xstate)),
      rounds: rates,
    };
  }
  return out;
}

/**
 * Sleep sets (`check --sleep-sets`) against the default search on the same configurations, rounds alternating: the
 * same states or it is an error; what they buy is the transitions not taken, and the states/s that follow.
 */
export function benchSleepSets(progress: (line: string) => void) {
  const out: Record<string, unknown> = {};
  for (const name of ['ha-failover', 'ha-steady', 'ping-pong']) {
    const c = benchCheckConfig(name);
    const { rates, results } = sideBySide('sleep sets', ['off', 'on'] as const, c, progress, (kind) =>
      timedExplore(c.scenario, c.check, false, kind === 'on'),
    );
    const states = new Set([...results.off, ...results.on].map((r) => r.states));
    if (states.size !== 1) throw new Error(`${name}: sleep sets changed the states visited: ${[...states]}`);
    out[name] = {
      configuration: `${c.check.name}: ${c.check.note}`,
      states: [...states][0],
      transitionsOff: (results.off[0] as ExploreResult).transitions,
      transitionsOn: (results.on[0] as ExploreResult).transitions,
      statesPerSecOff: median(rates.off),
      statesPerSecOn: median(rates.on),
      speedup: sig(median(rates.on) / median(rates.off)),
      rounds: rates,
    };
  }
  return out;
}
