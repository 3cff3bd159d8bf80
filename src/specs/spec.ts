// The shape of a spec: a named property of the whole system, checked after every step of every run.
// Written like P monitors and Stateright properties; each property lives in its own file, prose first.

import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';

export interface Spec {
  /** Short kebab-case name used in reports, e.g. `output-commit`. */
  readonly name: string;
  /** SPEC.md id (M1…M19), or `kernel` for properties of the kernel's own demo scenarios. */
  readonly specId: string;
  /** The property in one plain-English sentence. */
  readonly description: string;
  /**
   * `always`: checked after every step (safety). `eventually`: a bounded liveness property, checked
   * once when a run ends at quiescence or its horizon (not when it stops at a step bound), like a
   * P monitor that must not be left in a hot state.
   */
  readonly kind: 'always' | 'eventually';
  /** Returns null when the property holds in `state`, else a one-line explanation naming the actors. */
  check(kernel: Kernel, state: SystemState): string | null;
}

export interface Violation {
  readonly spec: string;
  readonly specId: string;
  readonly step: number;
  readonly t: number;
  readonly message: string;
}

/**
 * A `sometimes` property (Stateright): a state the scenario must be able to reach, such as a failover
 * or a partition. The explorer reports where it first holds; never reaching it means the checks were vacuous.
 */
export interface Sometimes {
  readonly name: string;
  readonly description: string;
  reached(kernel: Kernel, state: SystemState): boolean;
}
