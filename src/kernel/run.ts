// The run loop shared by simulation and replay: step until quiescent, a horizon or a bound, checking specs.
// Exploration (src/check) calls Kernel.step directly; this loop is the one-path-at-a-time case.

import type { Spec, Violation } from '../specs/spec.js';
import type { Chooser } from './chooser.js';
import { ReplayDivergence } from './errors.js';
import type { Kernel } from './kernel.js';
import type { TraceSink } from './trace.js';
import { emptyStats, type FaultAction, type KernelStats, type StepResult, type SystemState } from './types.js';

export type EndReason = 'quiescent' | 'horizon' | 'steps' | 'violation';

export interface RunOptions {
  /** Stop after this many steps (a bound, reported as such, not an error). */
  readonly maxSteps: number;
  /** Virtual-time horizon (µs): nothing due after it is delivered. */
  readonly untilUs: number;
  readonly specs: readonly Spec[];
  readonly sink?: TraceSink | null;
  /** Called every `progressEvery` steps, for terminal progress. */
  readonly onProgress?: (state: SystemState) => void;
  readonly progressEvery?: number;
  /** Called after every step with what happened: metric observers (latency, stun time) hang here. */
  readonly onStep?: (result: StepResult) => void;
}

/** A fault that fired during the run, for summaries. */
export interface FaultEvent {
  readonly t: number;
  readonly step: number;
  readonly fault: FaultAction;
}

export interface RunResult {
  readonly initial: SystemState;
  readonly faults: readonly FaultEvent[];
  readonly state: SystemState;
  readonly reason: EndReason;
  readonly violation: Violation | null;
  readonly stats: KernelStats;
}

/** Thrown when replay diverges inside the loop: carries the step at which the bad choice was asked for. */
export class StepDivergence extends Error {
  override name = 'StepDivergence';
  constructor(
    readonly step: number,
    override readonly cause: ReplayDivergence,
  ) {
    super(`${cause.message} (at step ${step})`);
  }
}

export function runSystem(kernel: Kernel, chooser: Chooser, options: RunOptions): RunResult {
  const run = runSteps(kernel, chooser, options);
  for (;;) {
    const r = run.next();
    if (r.done === true) return r.value;
  }
}

/**
 * The run loop as a generator: yields the state after every step and returns the result. `runSystem`
 * drains it; the live inspector awaits between steps, so a page can watch (and pause) a run as it goes.
 */
export function* runSteps(kernel: Kernel, chooser: Chooser, options: RunOptions): Generator<SystemState, RunResult> {
  const sink = options.sink ?? null;
  const stats = emptyStats();
  const faults: FaultEvent[] = [];
  let state: SystemState;
  try {
    state = kernel.initial(chooser, sink);
  } catch (err) {
    if (err instanceof ReplayDivergence) throw new StepDivergence(0, err);
    throw err;
  }
  const initial = state;
  const always = options.specs.filter((s) => s.kind === 'always');
  const eventually = options.specs.filter((s) => s.kind === 'eventually');
  const onStep = options.onStep;
  let violation = checkSpecs(kernel, state, always, sink);
  if (violation !== null) return { initial, faults, state, reason: 'violation', violation, stats };
  const every = options.progressEvery ?? 0;
  for (;;) {
    // The horizon comes first: a run whose step bound falls exactly on its last step still ended normally,
    // so its `eventually` specs are checked (the explorer's counterexamples end that way).
    const head = state.pending[0];
    if (head === undefined || head.due > options.untilUs) {
      const reason = head === undefined ? 'quiescent' : 'horizon';
      violation = checkSpecs(kernel, state, eventually, sink);
      return { initial, faults, state, reason: violation === null ? reason : 'violation', violation, stats };
    }
    if (state.step >= options.maxSteps) return { initial, faults, state, reason: 'steps', violation: null, stats };
    let next: ReturnType<Kernel['step']>;
    try {
      next = kernel.step(state, chooser, sink, stats);
    } catch (err) {
      if (err instanceof ReplayDivergence) throw new StepDivergence(state.step + 1, err);
      throw err;
    }
    if (next === null) return { initial, faults, state, reason: 'quiescent', violation: null, stats };
    state = next.state;
    onStep?.(next);
    if (next.kind === 'fault' && next.item.fault !== undefined) {
      faults.push({ t: state.time, step: state.step, fault: next.item.fault });
    }
    violation = checkSpecs(kernel, state, always, sink);
    if (violation !== null) return { initial, faults, state, reason: 'violation', violation, stats };
    if (every > 0 && state.step % every === 0) options.onProgress?.(state);
    yield state;
  }
}

function checkSpecs(
  kernel: Kernel,
  state: SystemState,
  specs: readonly Spec[],
  sink: TraceSink | null,
): Violation | null {
  for (const spec of specs) {
    const message = spec.check(kernel, state);
    if (message !== null) {
      const v: Violation = { spec: spec.name, specId: spec.specId, step: state.step, t: state.time, message };
      sink?.record({ type: '@statevisor.violation', ...v });
      return v;
    }
  }
  return null;
}
