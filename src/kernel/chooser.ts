// The chooser: the one abstraction behind every non-deterministic decision the kernel makes.
// A seeded chooser simulates, a replaying chooser re-executes a recorded list, and the explorer scripts its own.

import { ReplayDivergence } from './errors.js';
import { Xoshiro128 } from './prng.js';

/**
 * What a decision is about. Labels go into traces and counterexample reports so a reader can
 * tell a delivery order from a fault draw; they never influence the result.
 */
export type ChoiceLabel =
  | 'deliver' // which of the enabled deliveries goes next
  | 'link.fault' // deliver / drop / duplicate / delay a message on a link
  | 'link.latency' // latency draw on a link
  | 'fault.at' // when a scheduled fault (crash, partition) fires, within its window
  | (string & {});

/**
 * Picks one of `n` options (n >= 2: the kernel never asks about a forced move).
 * `weights`, when given, has length n and says how likely each option is under simulation;
 * exhaustive exploration ignores it and tries every option with a non-zero weight.
 */
export interface Chooser {
  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number;
}

/** Simulation: draws from xoshiro128** seeded with the run's seed. */
export class SeededChooser implements Chooser {
  private readonly rng: Xoshiro128;

  constructor(readonly seed: number) {
    this.rng = new Xoshiro128(seed);
  }

  choose(n: number, _label: ChoiceLabel, weights?: readonly number[]): number {
    if (weights === undefined) return this.rng.nextBelow(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += weights[i] ?? 0;
    let r = this.rng.nextUnit() * total;
    for (let i = 0; i < n; i++) {
      const w = weights[i] ?? 0;
      if (r < w) return i;
      r -= w;
    }
    // Floating-point rounding can leave r a hair above the last bucket: take the last non-zero one.
    for (let i = n - 1; i >= 0; i--) if ((weights[i] ?? 0) > 0) return i;
    return 0;
  }
}

/** Wraps another chooser and records every answer, so any run can be replayed or shrunk. */
export class RecordingChooser implements Chooser {
  readonly choices: number[] = [];
  readonly labels: ChoiceLabel[] = [];

  constructor(
    private readonly inner: Chooser,
    private readonly keepLabels = false,
  ) {}

  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number {
    const c = this.inner.choose(n, label, weights);
    this.choices.push(c);
    if (this.keepLabels) this.labels.push(label);
    return c;
  }
}

/**
 * Replay: answers from a recorded list. An answer out of range, or a list that runs out, means
 * the recording is not of this run; that is reported with the index of the offending choice.
 */
export class ReplayChooser implements Chooser {
  private index = 0;

  constructor(
    private readonly recorded: readonly number[],
    /** What to do when the list runs out: throw (strict replay) or keep answering 0 (shrinking). */
    private readonly onExhausted: 'throw' | 'zero' = 'throw',
  ) {}

  get consumed(): number {
    return this.index;
  }

  choose(n: number, label: ChoiceLabel, weights?: readonly number[]): number {
    const i = this.index++;
    if (i >= this.recorded.length) {
      if (this.onExhausted === 'zero') return firstAllowed(n, weights);
      throw new ReplayDivergence(
        i,
        `recorded choices ran out at choice #${i} (${label} among ${n}); the run needs more choices than were recorded`,
      );
    }
    const c = this.recorded[i] as number;
    if (!Number.isInteger(c) || c < 0 || c >= n || (weights !== undefined && !((weights[c] ?? 0) > 0))) {
      throw new ReplayDivergence(
        i,
        `recorded choice #${i} is ${c}, but the run offers ${n} option(s) for ${label} here`,
      );
    }
    return c;
  }
}

function firstAllowed(n: number, weights?: readonly number[]): number {
  if (weights === undefined) return 0;
  for (let i = 0; i < n; i++) if ((weights[i] ?? 0) > 0) return i;
  return 0;
}
