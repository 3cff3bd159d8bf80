// Verdicts from the monitors: a safety failure on a step, a liveness deadline passed in virtual time, and a
// run that ends (quiet, or at its horizon) while an obligation is still owed. Shared by runs and the explorer.

import type { MachineThrew } from './errors.js';
import type { Kernel } from './kernel.js';
import { type AnyMonitor, type Deadline, isLiveness } from './observe.js';
import type { MonitorFailure, SystemState } from './types.js';

export interface Violation {
  readonly spec: string;
  readonly specId: string;
  /** safety: an observation broke the property; liveness: an obligation was not met in time. */
  readonly kind: 'safety' | 'liveness';
  readonly step: number;
  readonly t: number;
  readonly message: string;
}

/** The property every system has: no machine throws. A step on which one did violates it (MachineThrew). */
export const NO_MACHINE_EXCEPTION = 'no-machine-exception';

/** A machine's exception as the violation of its step, so a run and a search report it with the path to it. */
export function thrownViolation(err: MachineThrew): Violation {
  return {
    spec: NO_MACHINE_EXCEPTION,
    specId: 'kernel',
    kind: 'safety',
    step: err.step,
    t: err.t,
    message: `${err.who}: ${err.detail}`,
  };
}

/** A liveness monitor's obligation: its index and the deadline it owes. */
export interface Obligation {
  readonly monitor: number;
  readonly deadline: Deadline;
}

/**
 * The earliest unmet liveness obligation in `state` whose deadline has passed by `nowUs`, or null. With `closest`,
 * each obligation met in time that falls due by `horizonUs` also lowers its monitor's entry to the time it had to spare.
 */
export function overdue(
  kernel: Kernel,
  state: SystemState,
  nowUs: number,
  closest?: Float64Array,
  horizonUs = Number.POSITIVE_INFINITY,
): Obligation | null {
  const monitors = kernel.monitors;
  for (const i of kernel.monitorIndex.liveness) {
    const d = (monitors[i] as AnyMonitor).deadline?.(state.monitors[i]) ?? null;
    if (d === null) continue;
    if (d.atUs < nowUs) return { monitor: i, deadline: d };
    if (closest !== undefined && d.atUs <= horizonUs && d.atUs - nowUs < (closest[i] as number)) {
      closest[i] = d.atUs - nowUs;
    }
  }
  return null;
}

/** Any unmet liveness obligation at all (a hot monitor), deadline passed or not. */
export function hot(kernel: Kernel, state: SystemState): Obligation | null {
  const monitors = kernel.monitors;
  for (const i of kernel.monitorIndex.liveness) {
    const d = (monitors[i] as AnyMonitor).deadline?.(state.monitors[i]) ?? null;
    if (d !== null) return { monitor: i, deadline: d };
  }
  return null;
}

/**
 * The violation of the step from `before` to `state`: a deadline owed in `before` that the step's clock has passed
 * (whatever the step did — discharging an obligation late is still late), or a monitor's failure on the step. With
 * `closest`, each deadline owed in `before` and due by the horizon lowers its monitor's entry to the time it had to
 * spare at this step (overdue): how close each liveness spec came to failing (closestApproach).
 */
export function violationOfStep(
  kernel: Kernel,
  before: SystemState,
  state: SystemState,
  failure?: MonitorFailure,
  closest?: Float64Array,
  horizonUs?: number,
): Violation | null {
  const late = overdue(kernel, before, state.time, closest, horizonUs);
  if (late === null) {
    if (failure === undefined) return null;
    return make(kernel.monitors[failure.monitor] as AnyMonitor, 'safety', state, failure.message);
  }
  const m = kernel.monitors[late.monitor] as AnyMonitor;
  return make(
    m,
    'liveness',
    state,
    `${late.deadline.what}: owed by ${ms(late.deadline.atUs)}, still not done at ${ms(state.time)}`,
  );
}

/**
 * The violation of a run that ends: quiet (nothing left to deliver) with anything still owed — it can never
 * be done now — or at its horizon with a deadline already passed. Hot states, as P's liveness monitors have.
 */
export function violationAtEnd(
  kernel: Kernel,
  state: SystemState,
  end: 'quiescent' | 'horizon',
  untilUs: number,
): Violation | null {
  if (end === 'quiescent') {
    const owed = hot(kernel, state);
    if (owed === null) return null;
    const m = kernel.monitors[owed.monitor] as AnyMonitor;
    return make(
      m,
      'liveness',
      state,
      `stalled: nothing is left to happen, but ${owed.deadline.what} (owed by ${ms(owed.deadline.atUs)})`,
    );
  }
  const late = overdue(kernel, state, untilUs);
  if (late === null) return null;
  const m = kernel.monitors[late.monitor] as AnyMonitor;
  return make(
    m,
    'liveness',
    state,
    `did not converge: ${late.deadline.what}: owed by ${ms(late.deadline.atUs)}, still not done at the horizon ${ms(untilUs)}`,
  );
}

function make(m: AnyMonitor, kind: Violation['kind'], state: SystemState, message: string): Violation {
  return { spec: m.name, specId: m.specId, kind, step: state.step, t: state.time, message };
}

function ms(us: number): string {
  return `${(us / 1000).toFixed(3)} ms`;
}

/** How close a liveness spec came to failing in a search: the least time it had to spare, or null if never owed. */
export interface ClosestApproach {
  readonly spec: string;
  /** Least µs between a step and a deadline owed before it and due by the horizon; null: no such deadline. */
  readonly spareUs: number | null;
}

/** A fresh per-monitor record for violationOfStep's `closest` (nothing owed yet). */
export function closestRecord(kernel: Kernel): Float64Array {
  return new Float64Array(kernel.monitors.length).fill(Number.POSITIVE_INFINITY);
}

/** The liveness specs' entries of a `closest` record, in registration order (from the monitors themselves: a
 * parallel search's coordinator holds a kernel it never started, whose monitor index is still empty). */
export function closestApproach(kernel: Kernel, closest: Float64Array): ClosestApproach[] {
  return kernel.monitors.flatMap((m, i) => {
    if (!isLiveness(m)) return [];
    const spare = closest[i] as number;
    return [{ spec: m.name, spareUs: Number.isFinite(spare) ? spare : null }];
  });
}
