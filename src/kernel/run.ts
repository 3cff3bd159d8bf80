// The run loop shared by simulation and replay: step until quiescent, a horizon or a bound, judging each step.
// Exploration (src/check) calls Kernel.step directly; this loop is the one-path-at-a-time case.

import type { Chooser } from './chooser.js';
import { MachineThrew, ReplayDivergence } from './errors.js';
import { thrownViolation, type Violation, violationAtEnd, violationOfStep } from './judge.js';
import type { Kernel } from './kernel.js';
import type { TraceSink } from './trace.js';
import { emptyStats, type FaultAction, type KernelStats, type StepResult, type SystemState } from './types.js';

export type { Violation } from './judge.js';

export type EndReason = 'quiescent' | 'horizon' | 'steps' | 'violation';

export interface RunOptions {
  /** Stop after this many steps (a bound, reported as such, not an error). */
  readonly maxSteps: number;
  /** Virtual-time horizon (µs): nothing due after it is delivered. */
  readonly untilUs: number;
  readonly sink?: TraceSink | null;
  /** Called every `progressEvery` steps, for terminal progress. */
  readonly onProgress?: (state: SystemState) => void;
  readonly progressEvery?: number;
  /** Called after every step with what happened: metric observers (latency, stun time) hang here. */
  readonly onStep?: (result: StepResult) => void;
  /** Lowered to each liveness spec's least time to spare before a deadline due by the horizon (judge.ts closestRecord). */
  readonly closest?: Float64Array;
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
  const initial = guard(0, () => kernel.initial(chooser, sink));
  let state = initial;
  const every = options.progressEvery ?? 0;
  const done = (reason: EndReason, violation: Violation | null): RunResult => {
    if (violation !== null) sink?.record({ type: '@statevisor.violation', ...violation });
    return { initial, faults, state, reason: violation === null ? reason : 'violation', violation, stats };
  };
  for (;;) {
    // The horizon comes first: a run whose step bound falls exactly on its last step still ended normally,
    // so its liveness obligations are judged (the explorer's counterexamples end that way).
    const head = state.pending[0];
    if (head === undefined || head.due > options.untilUs) {
      const end = head === undefined ? 'quiescent' : 'horizon';
      return done(end, violationAtEnd(kernel, state, end, options.untilUs));
    }
    if (state.step >= options.maxSteps) return done('steps', null);
    const current = state;
    let next: ReturnType<Kernel['step']>;
    try {
      next = guard(state.step + 1, () => kernel.step(current, chooser, sink, stats));
    } catch (err) {
      // The run ends in the state before the step that threw; the trace holds what that step did until it threw.
      if (err instanceof MachineThrew) return done('violation', thrownViolation(err));
      throw err;
    }
    if (next === null) return done('quiescent', violationAtEnd(kernel, state, 'quiescent', options.untilUs));
    state = next.state;
    options.onStep?.(next);
    if (next.kind === 'fault' && next.item.fault !== undefined) {
      faults.push({ t: state.time, step: state.step, fault: next.item.fault });
    }
    const violation = violationOfStep(kernel, current, state, next.failure, options.closest, options.untilUs);
    if (violation !== null) return done('violation', violation);
    if (every > 0 && state.step % every === 0) options.onProgress?.(state);
    yield state;
  }
}

function guard<T>(step: number, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ReplayDivergence) throw new StepDivergence(step, err);
    throw err;
  }
}
