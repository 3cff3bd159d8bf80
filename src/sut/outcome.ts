// What a generated test against an implementation runs under and what it concludes: the environment (scenario,
// configuration, bounds) and the outcome (verdict, the steps taken, replayable answers, coverage).

import type { Params, Scenario } from '../scenarios/types.js';
import type { CoverageRun } from './coverage.js';
import type { SutAdapter } from './types.js';

export interface SutEnv {
  readonly adapter: SutAdapter;
  readonly scenario: Scenario;
  /** The check configuration whose params, faults and horizon the test runs under (null: the scenario's defaults). */
  readonly config: string | null;
  readonly params: Params;
  readonly untilUs: number;
  /** A bound on steps: a liveness obligation still open there makes the test inconclusive, not failed. */
  readonly maxSteps: number;
  readonly variant: string | undefined;
  /** Wall-clock bound on one adapter call (ms): past it the adapter is reported flaky. */
  readonly settleMs: number;
  /** Wall-clock wait before a verdict, for answers that arrive late (ms). */
  readonly graceMs: number;
  /**
   * Judge by the stood-in charts too (the default): the code must send what its chart sends at each step. Without it
   * only the specs judge, and the code's sends go on the network whatever its chart would have sent.
   */
  readonly chartOracle: boolean;
}

/**
 * pass; inconclusive (a temporal obligation was still open at the step bound); spec (a monitor failed);
 * reference (the code sent what its chart does not); flaky (the adapter answered late or not at all, or a failure did
 * not reproduce); error (the adapter threw).
 */
export type SutVerdict = 'pass' | 'inconclusive' | 'spec' | 'reference' | 'flaky' | 'error';

export interface SutOutcome {
  readonly verdict: SutVerdict;
  readonly message: string;
  /** The spec that failed, for `spec`. */
  readonly spec: string | null;
  readonly step: number;
  readonly t: number;
  /** Every answer the kernel got: replays this exact run. */
  readonly answers: readonly number[];
  /** The run as readable lines: deliveries, faults, messages the wire lost. */
  readonly steps: readonly string[];
  readonly coverage: CoverageRun;
}

/** A bug in the implementation (as opposed to a pass, a bound, or trouble with the adapter). */
export function isBug(o: Pick<SutOutcome, 'verdict'>): boolean {
  return o.verdict === 'spec' || o.verdict === 'reference';
}
