// The shape of a spec: a monitor of what happened (src/kernel/observe.ts), plus `sometimes` reachability goals.
// Each property lives in its own file, prose first, and judges from observations, never from a machine's opinion.

import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';

export type { Violation } from '../kernel/judge.js';
export type {
  AnyMonitor,
  Deadline,
  DeliverObservation,
  FaultObservation,
  Monitor,
  MonitorView,
  Observation,
  SendObservation,
} from '../kernel/observe.js';
export { Fail, fail, isLiveness, payload } from '../kernel/observe.js';

/** Every spec is a monitor; the name stays for readers who know P's and TLA+'s word for it. */
export type Spec = import('../kernel/observe.js').AnyMonitor;

/**
 * A `sometimes` property (Stateright): a state the scenario must be able to reach, such as a failover
 * or a partition. The explorer reports where it first holds; never reaching it makes the verdict vacuous.
 */
export interface Sometimes {
  readonly name: string;
  readonly description: string;
  reached(kernel: Kernel, state: SystemState): boolean;
}
