// Exhaustive exploration of a scenario's state space: BFS (shortest counterexample) or DFS (low memory),
// a visited set on the canonical state hash, and depth, state, time and memory bounds reported as such.

import { MachineThrew } from '../kernel/errors.js';
import {
  type ClosestApproach,
  closestApproach,
  closestRecord,
  thrownViolation,
  type Violation,
  violationAtEnd,
  violationOfStep,
} from '../kernel/judge.js';
import type { Kernel } from '../kernel/kernel.js';
import type { TraceSink } from '../kernel/trace.js';
import type { MonitorFailure, StepResult, SystemState } from '../kernel/types.js';
import type { Sometimes } from '../specs/spec.js';
import type { StepObserver } from './coverage.js';
import { FingerprintSet } from './fingerprintSet.js';
import { HeapGauge } from './heap.js';
import { NodeStore } from './nodeStore.js';
import { forEachSuccessorAsleep, type Sleep, SleepBook } from './sleep.js';
import { forEachInitial, forEachSuccessor } from './successors.js';

export interface ExploreOptions {
  readonly mode: 'bfs' | 'dfs';
  /** Virtual-time horizon: a state whose next delivery is due after it is terminal. */
  readonly untilUs: number;
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxTimeMs: number;
  readonly maxMemoryBytes: number;
  /** Properties that must hold in at least one reachable state (Stateright's `sometimes`). */
  readonly sometimes?: readonly Sometimes[];
  /**
   * The liveness specs the search must test: an exhausted search in which one owed no deadline falling due by the
   * horizon is vacuous, since no schedule could have failed it (default: every liveness spec).
   */
  readonly liveness?: readonly string[];
  /** Merge states that differ only in how sends on different channels interleaved (default true). */
  readonly reduce?: boolean;
  /** Leave the statistics machines declare out of the state identity (default true; src/kernel/statistics.ts). */
  readonly view?: boolean;
  /** One state per orbit of the symmetry the system declares (default true; src/kernel/symmetry.ts). */
  readonly symmetry?: boolean;
  /**
   * Sleep sets: skip a delivery that an explored path already took in another order (src/check/sleep.ts). The
   * same states at the same depths, fewer transitions. Needs `reduce` (the two orders must end in one state).
   */
  readonly sleepSets?: boolean;
  /** Wall clock for the time bound and progress; the exploration itself never reads it. */
  readonly now: () => number;
  /** Called every PROGRESS_EVERY_MS of wall time (read every 256 states) while the search runs. */
  readonly onProgress?: (p: ExploreProgress) => void;
  /** Sees every explored step's records (coverage); the kernel records only when given a sink, so this costs. */
  readonly observer?: StepObserver;
  /**
   * Measure the memory the search retains with a full garbage collection at every doubling of the visited count
   * (and at the end), instead of the heap's growth, which counts garbage not yet collected. The CLI and the bench
   * set it; tests leave it off, since each collection costs milliseconds.
   */
  readonly measureHeap?: boolean;
}

export interface ExploreProgress {
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly frontier: number;
  readonly elapsedMs: number;
  readonly heapBytes: number;
}

export type Bound = 'depth' | 'states' | 'time' | 'memory';

export interface Counterexample {
  readonly violation: Violation;
  /** Every choice from the initial state to the violating one: replayable with ReplayChooser. */
  readonly choices: readonly number[];
  /** Steps from the initial state (BFS: the fewest possible). */
  readonly steps: number;
}

export interface SometimesResult {
  readonly name: string;
  readonly description: string;
  /** Steps to the first state found where it holds (BFS: the fewest); null when never reached. */
  readonly reachedAtStep: number | null;
  readonly choices: readonly number[] | null;
}

/**
 * `holds`: every reachable state was visited and no spec failed, and every `sometimes` was reached.
 * `vacuous`: as `holds`, but some `sometimes` was never reached, some spec was never handed an observation, or some
 * liveness spec the search must test never owed a deadline that fell due by the horizon: the specs were not really
 * exercised.
 */
export type Verdict = 'holds' | 'violated' | 'bound-hit' | 'vacuous';

/** A search's verdict from what it found; the one-thread and the parallel search both decide by it. */
export function verdictOf(
  violated: boolean,
  exhausted: boolean,
  unreached: boolean,
  unobserved: readonly string[],
  untested: readonly string[],
): Verdict {
  if (violated) return 'violated';
  if (!exhausted) return 'bound-hit';
  return unreached || unobserved.length > 0 || untested.length > 0 ? 'vacuous' : 'holds';
}

/** The liveness specs among `required` (default: all) that no deadline due by the horizon ever tested. */
export function untestedOf(closest: readonly ClosestApproach[], required: readonly string[] | undefined): string[] {
  return closest.filter((c) => c.spareUs === null && (required?.includes(c.spec) ?? true)).map((c) => c.spec);
}

export interface ExploreResult {
  readonly verdict: Verdict;
  /** True when every reachable state (within the horizon) was visited. */
  readonly exhausted: boolean;
  readonly boundsHit: readonly Bound[];
  readonly states: number;
  readonly transitions: number;
  readonly terminalStates: number;
  readonly maxDepth: number;
  readonly elapsedMs: number;
  /** Memory per visited state: JS heap plus typed arrays' backing stores (the visited set, the search tree). */
  readonly heapBytesPerState: number;
  /** 'retained': measured after full collections (measureHeap); 'growth': peak growth, uncollected garbage included. */
  readonly heapMeasure: 'retained' | 'growth';
  readonly counterexample: Counterexample | null;
  readonly sometimes: readonly SometimesResult[];
  /** Specs that were handed no observation in the whole exploration: their "held" says nothing (verdict vacuous). */
  readonly unobserved: readonly string[];
  /**
   * Each liveness spec's least time to spare before a deadline, over the steps explored, once the search was exhausted
   * (empty otherwise): a spec that never came near failing, or was never owed anything, is barely tested.
   */
  readonly closest: readonly ClosestApproach[];
  /** Liveness specs the search had to test that never owed a deadline due by the horizon (verdict vacuous). */
  readonly untested: readonly string[];
  /** With sleep sets: deliveries skipped asleep, and visited states expanded again because a revisit woke some. */
  readonly sleep: { readonly slept: number; readonly reexpanded: number } | null;
}

/** A state waiting to be expanded; with sleep sets also its fingerprint, sleep set and which deliveries to take. */
interface FrontierItem {
  readonly state: SystemState;
  readonly node: number;
}

interface SleepingItem extends FrontierItem {
  readonly fp: number;
  readonly sleep: Sleep;
  /** The sleep set's mask when it was queued: the visited set's tag may have narrowed it since. */
  readonly mask: number;
  /** null: a first expansion; otherwise the canonical positions of the deliveries a revisit woke. */
  readonly only: number | null;
}

const NO_SLEEP: Sleep = [];

function sleeping(
  state: SystemState,
  node: number,
  fp: number,
  fitted: { sleep: Sleep; mask: number },
  only: number | null,
): SleepingItem {
  return { state, node, fp, sleep: fitted.sleep, mask: fitted.mask, only };
}

/** How often the wall clock is read: often enough that no bound overshoots by much, rarely enough to cost nothing. */
const CLOCK_EVERY_STATES = 256;
/**
 * How often the memory bound is checked: a multiple of the clock's cadence, so the two meet (a cadence of 20 000
 * met the clock's 256 only every 160 000 states, and a search at 32 KB a state overshot --max-memory by gigabytes).
 */
export const MEMORY_EVERY_STATES = 16 * CLOCK_EVERY_STATES;
/** Progress is shown this often in wall time, from a search's first second whatever its size. */
export const PROGRESS_EVERY_MS = 250;

/** Explores from every initial state; stops at the first violation (BFS: a shortest one). */
export function explore(kernel: Kernel, options: ExploreOptions): ExploreResult {
  const start = options.now();
  const gauge = new HeapGauge(options.measureHeap === true);
  const reduce = options.reduce ?? true;
  const view = options.view ?? true;
  const symmetric = options.symmetry ?? true;
  if (options.sleepSets === true && symmetric && kernel.declaredSymmetry() !== null) {
    throw new Error('explore: sleep sets do not combine with a symmetry yet (their tags name concrete deliveries)');
  }
  if (options.sleepSets === true && !reduce) throw new Error('explore: sleep sets need reduce (merged interleavings)');
  const visited = new FingerprintSet({ tagged: options.sleepSets === true });
  const closest = closestRecord(kernel);
  const book = options.sleepSets === true ? new SleepBook(visited) : null;
  const nodes = new NodeStore();
  const boundsHit = new Set<Bound>();
  let transitions = 0;
  let terminalStates = 0;
  let maxDepth = 0;
  let counterexample: Counterexample | null = null;
  // BFS reads from the front (an index into the array), DFS pops from the back.
  const frontier: (FrontierItem | undefined)[] = [];
  let head = 0;
  let progressAtMs = 0;
  const sometimes = (options.sometimes ?? []).map((s) => ({
    s,
    at: null as number | null,
    choices: null as number[] | null,
  }));

  const pathOf = (node: number): number[] => nodes.path(node);

  const found = (violation: Violation | null, state: SystemState, node: number): boolean => {
    if (violation === null) return false;
    counterexample = { violation, choices: pathOf(node), steps: state.step };
    return true;
  };

  /** Checks the bounds that need the wall clock or the heap; returns false when exploration must stop. */
  const withinBounds = (depth: number): boolean => {
    const n = visited.size;
    if (n % CLOCK_EVERY_STATES !== 0) return true;
    const elapsedMs = options.now() - start;
    if (elapsedMs > options.maxTimeMs) {
      boundsHit.add('time');
      return false;
    }
    gauge.atStates(n);
    const progress = options.onProgress !== undefined && elapsedMs - progressAtMs >= PROGRESS_EVERY_MS;
    if (n % MEMORY_EVERY_STATES !== 0 && !progress) return true;
    const used = gauge.sample();
    if (progress) {
      progressAtMs = elapsedMs;
      // What is in use now, garbage included: the retained figure is only known at the doublings' collections.
      const heapBytes = Math.max(gauge.peak, used - gauge.base);
      options.onProgress?.({ states: n, transitions, depth, frontier: frontier.length - head, elapsedMs, heapBytes });
    }
    if (used > options.maxMemoryBytes) {
      boundsHit.add('memory');
      return false;
    }
    return true;
  };

  /** Registers a state; returns false when exploration must stop. */
  const admit = (
    before: SystemState | null,
    state: SystemState,
    parent: number,
    choices: readonly number[],
    depth: number,
    failure: MonitorFailure | undefined,
    sleep: Sleep,
  ): boolean => {
    // Failures and late deadlines belong to the step, not the state: judged before the visited set merges it
    // with an equal state reached by a blameless step.
    const violation =
      before === null ? null : violationOfStep(kernel, before, state, failure, closest, options.untilUs);
    const hash = kernel.fingerprint(state, reduce, view, symmetric);
    if (violation === null && visited.has(hash)) {
      if (book === null) return true;
      const again = book.revisit(hash, state, sleep);
      // Woken deliveries are taken from this arrival's copy of the state, along this arrival's path (within the
      // depth bound: past it the search without sleep sets would take nothing from here either).
      if (again.woken !== 0 && depth < options.maxDepth)
        frontier.push(sleeping(state, nodes.add(parent, choices), hash, again, again.woken));
      return true;
    }
    if (visited.size >= options.maxStates) {
      boundsHit.add('states');
      return false;
    }
    if (depth !== state.step) throw new Error(`explore: a state at depth ${depth} counts ${state.step} steps`);
    const node = nodes.add(parent, choices);
    visited.add(hash);
    if (depth > maxDepth) maxDepth = depth;
    if (found(violation, state, node)) return false;
    for (const r of sometimes) {
      if (r.at === null && r.s.reached(kernel, state)) {
        r.at = state.step;
        r.choices = pathOf(node);
      }
    }
    frontier.push(book === null ? { state, node } : sleeping(state, node, hash, book.admit(hash, state, sleep), null));
    return withinBounds(depth);
  };

  let go = true;
  forEachInitial(kernel, (state, choices) => {
    go = admit(null, state, -1, choices, 0, undefined, NO_SLEEP);
    return go;
  });

  while (go && counterexample === null) {
    const item = options.mode === 'bfs' ? frontier[head++] : frontier.pop();
    if (item === undefined) break;
    if (options.mode === 'bfs') {
      // An expanded state is let go at once (its successors keep what they share with it), and the consumed
      // prefix of the queue is dropped now and then.
      frontier[head - 1] = undefined;
      if (head > 4096 && head * 2 > frontier.length) {
        frontier.splice(0, head);
        head = 0;
      }
    }
    const { state, node } = item;
    // A state's depth is its step count: initial states count 0, and every explored step adds one.
    const depth = state.step;
    const next = state.pending[0];
    if (next === undefined || next.due > options.untilUs) {
      terminalStates++;
      const end = next === undefined ? 'quiescent' : 'horizon';
      if (found(violationAtEnd(kernel, state, end, options.untilUs), state, node)) break;
      continue;
    }
    if (depth >= options.maxDepth) {
      boundsHit.add('depth');
      continue;
    }
    const observer = options.observer;
    const onStep = (
      result: StepResult,
      choices: readonly number[],
      sink: TraceSink | null,
      sleep: Sleep = NO_SLEEP,
    ): boolean => {
      transitions++;
      if (observer !== undefined && sink !== null) observer.observe(state, sink);
      go = admit(state, result.state, node, choices, depth + 1, result.failure, sleep);
      return go && counterexample === null;
    };
    const sinkFor = observer !== undefined ? () => observer.sink() : undefined;
    try {
      if (book === null) forEachSuccessor(kernel, state, onStep, sinkFor);
      else {
        const it = item as SleepingItem;
        const sleep = it.only === null ? book.expand(it.fp, state, it.sleep, it.mask) : it.sleep;
        book.slept += forEachSuccessorAsleep(kernel, state, sleep, it.only, onStep, sinkFor).slept;
      }
    } catch (err) {
      // A machine that threw ends the search like a violation, on the path to the step that threw (BFS: shortest).
      if (!(err instanceof MachineThrew) || err.choices === null) throw err;
      transitions++;
      counterexample = {
        violation: thrownViolation(err),
        choices: [...pathOf(node), ...err.choices],
        steps: depth + 1,
      };
    }
  }

  const elapsedMs = options.now() - start;
  gauge.finish(visited.bytes + nodes.bytes);
  const states = visited.size;
  const cex = counterexample as Counterexample | null;
  const exhausted = cex === null && boundsHit.size === 0;
  const unreached = sometimes.some((r) => r.at === null);
  const counts = kernel.monitorIndex.observed;
  const unobserved = kernel.monitors.filter((_m, i) => counts[i] === 0).map((m) => m.name);
  const approach = exhausted ? closestApproach(kernel, closest) : [];
  const untested = untestedOf(approach, options.liveness);
  return {
    verdict: verdictOf(cex !== null, exhausted, unreached, unobserved, untested),
    unobserved,
    closest: approach,
    untested,
    sleep: book === null ? null : { slept: book.slept, reexpanded: book.reexpanded },
    exhausted,
    boundsHit: [...boundsHit].sort(),
    states,
    transitions,
    terminalStates,
    maxDepth,
    elapsedMs,
    heapBytesPerState: states > 0 ? Math.round(gauge.peak / states) : 0,
    heapMeasure: gauge.measure,
    counterexample: cex,
    sometimes: sometimes.map((r) => ({
      name: r.s.name,
      description: r.s.description,
      reachedAtStep: r.at,
      choices: r.choices,
    })),
  };
}
