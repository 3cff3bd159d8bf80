// Enumerates every successor of a system state: each combination of answers to the kernel's choice points
// within one step (which delivery, which link fate, which latency), found with a scripted chooser and an odometer.

import type { ChoiceLabel, Chooser } from '../kernel/chooser.js';
import { MachineThrew } from '../kernel/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import type { TraceSink } from '../kernel/trace.js';
import type { StepResult, SystemState } from '../kernel/types.js';

/** Answers from a script, then the first allowed option; records what it was asked so the caller can advance. */
export class ScriptChooser implements Chooser {
  readonly taken: number[] = [];
  readonly arity: number[] = [];
  readonly weights: (readonly number[] | undefined)[] = [];
  readonly labels: ChoiceLabel[] = [];

  constructor(private readonly script: readonly number[]) {}

  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number {
    const i = this.taken.length;
    const c = i < this.script.length ? (this.script[i] as number) : nextAllowed(n, weights, -1);
    this.taken.push(c);
    this.arity.push(n);
    this.weights.push(weights);
    this.labels.push(label);
    return c;
  }

  /** The script for the next combination (odometer over allowed options), or null when all were tried. */
  next(): number[] | null {
    for (let i = this.taken.length - 1; i >= 0; i--) {
      const c = nextAllowed(this.arity[i] as number, this.weights[i], this.taken[i] as number);
      if (c >= 0) return [...this.taken.slice(0, i), c];
    }
    return null;
  }
}

/** The next option after `current` that has a non-zero weight (all options are allowed without weights). */
export function nextAllowed(n: number, weights: readonly number[] | undefined, current: number): number {
  for (let c = current + 1; c < n; c++) if (weights === undefined || (weights[c] ?? 0) > 0) return c;
  return -1;
}

/** Calls `fn` for every initial state (fault instants drawn inside their windows are choices too). */
export function forEachInitial(
  kernel: Kernel,
  fn: (state: SystemState, choices: readonly number[]) => boolean | undefined,
): void {
  let script: number[] | null = [];
  while (script !== null) {
    const chooser: ScriptChooser = new ScriptChooser(script);
    const state = kernel.initial(chooser);
    if (fn(state, chooser.taken) === false) return;
    script = chooser.next();
  }
}

/**
 * Calls `fn` for every successor of `state`: one kernel step per combination of choices. Returns the
 * number of successors (0 when nothing is pending). `fn` may return false to stop early.
 */
export function forEachSuccessor(
  kernel: Kernel,
  state: SystemState,
  fn: (result: StepResult, choices: readonly number[], sink: TraceSink | null) => boolean | undefined,
  /** Optional: a fresh trace sink per successor (test generation records the transitions each step took). */
  sinkFor?: () => TraceSink,
): number {
  let count = 0;
  let script: number[] | null = [];
  let last: ScriptChooser | null = null;
  try {
    while (script !== null) {
      const chooser: ScriptChooser = new ScriptChooser(script);
      last = chooser;
      const sink = sinkFor?.() ?? null;
      const result = kernel.step(state, chooser, sink);
      if (result === null) return count;
      count++;
      if (fn(result, chooser.taken, sink) === false) return count;
      script = chooser.next();
    }
  } catch (err) {
    throw withStepChoices(err, last);
  }
  return count;
}

/** A machine's exception with the choices of the step that threw (the last chooser asked), for the path to it. */
export function withStepChoices(err: unknown, chooser: ScriptChooser | null): unknown {
  if (err instanceof MachineThrew && err.choices === null && chooser !== null) return err.at(chooser.taken);
  return err;
}
