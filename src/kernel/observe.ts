// Monitors: specs as observers of what happened (deliveries, sends, faults), as P's `spec … observes` does.
// Each monitor keeps its own state inside the system state, so it is hashed, explored and replayed with the rest.

import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { Address, FaultAction } from './types.js';

/** What a link did with a send: in flight, lost, cut by a partition, sent twice, or held back (late). */
export type SendFate = 'ok' | 'dropped' | 'partitioned' | 'duplicated' | 'delayed';

/** An event delivered to an actor; observed after the actor has taken it, so a view shows the state it led to. */
export interface DeliverObservation {
  readonly kind: 'deliver';
  readonly t: number;
  readonly to: Address;
  readonly toGroup: string;
  /** The sender, or null for the environment (scheduled stimuli, restarts) and timers' own actor. */
  readonly from: Address | null;
  readonly event: AnyEventObject;
  readonly timer: boolean;
}

/** A message an actor emitted, with what its link did to it. Observed when it is sent, not when it arrives. */
export interface SendObservation {
  readonly kind: 'send';
  readonly t: number;
  readonly from: Address;
  readonly fromGroup: string;
  readonly to: Address;
  readonly toGroup: string;
  readonly event: AnyEventObject;
  readonly fate: SendFate;
}

/** A fault that fired: a crash (of the group named), a restart, a partition or its heal. */
export interface FaultObservation {
  readonly kind: 'fault';
  readonly t: number;
  readonly fault: FaultAction;
}

/** Called after every step: for invariants over the whole state (a user's `always`), not for HA specs. */
export interface StepObservation {
  readonly kind: 'step';
  readonly t: number;
}

export type Observation = DeliverObservation | SendObservation | FaultObservation | StepObservation;

/** Which observations a monitor wants: event types of deliveries and sends ('*' for all), faults, steps. */
export interface Observes {
  readonly deliver?: readonly string[];
  readonly send?: readonly string[];
  readonly faults?: boolean;
  readonly steps?: boolean;
}

/**
 * Read access for monitors. `snapshot` is for ground truth that lives in an actor — the bytes of a memory
 * image, the blocks of a disk — never for a field a machine keeps about itself for a spec to read.
 */
export interface MonitorView {
  readonly time: number;
  snapshot(address: Address): AnyMachineSnapshot;
  isDown(group: string): boolean;
  groupOf(address: Address): string;
}

/** A liveness obligation: what must happen, and the virtual time by which it must have happened. */
export interface Deadline {
  readonly atUs: number;
  readonly what: string;
}

/** Returned by a monitor's `on` to say the observation violates its property. */
export class Fail {
  constructor(readonly message: string) {}
}

export function fail(message: string): Fail {
  return new Fail(message);
}

/**
 * A spec as a monitor. Safety: `on` returns `fail(…)` the moment an observation breaks the property.
 * Liveness: `deadline` says what is owed and by when, in virtual time; a run whose clock passes the
 * deadline, or that goes quiet or reaches its horizon with the deadline passed, violates it (P's hot states).
 */
export interface Monitor<S = unknown> {
  /** Short kebab-case name used in reports, e.g. `output-commit`. */
  readonly name: string;
  /** The behaviour catalogue id (M1…M19), or `kernel` for properties of the kernel's own demo scenarios. */
  readonly specId: string;
  /** The property in one plain-English sentence. */
  readonly description: string;
  /** What it judges from, in a phrase (the README lists it per spec). */
  readonly observesText: string;
  readonly observes: Observes;
  initial(view: MonitorView): S;
  on(state: S, obs: Observation, view: MonitorView): S | Fail;
  /** Liveness monitors only: the earliest unmet obligation, or null when nothing is owed. */
  deadline?(state: S): Deadline | null;
}

export type AnyMonitor = Monitor<unknown>;

export function isLiveness(m: AnyMonitor): boolean {
  return typeof m.deadline === 'function';
}

/** Which monitors observe which event types: computed once per kernel, read on every delivery and send. */
export class MonitorIndex {
  private readonly deliverCache = new Map<string, readonly number[]>();
  private readonly sendCache = new Map<string, readonly number[]>();
  readonly faults: readonly number[];
  readonly steps: readonly number[];
  readonly liveness: readonly number[];
  /**
   * Observations handed to each monitor since the kernel was built: a report, never a decision. A spec that saw
   * nothing in a whole exploration judged nothing, so its "held" would be vacuous (a misspelt event type, say).
   */
  readonly observed: number[];

  constructor(readonly monitors: readonly AnyMonitor[]) {
    this.observed = monitors.map(() => 0);
    this.faults = indicesWhere(monitors, (m) => m.observes.faults === true);
    this.steps = indicesWhere(monitors, (m) => m.observes.steps === true);
    this.liveness = indicesWhere(monitors, isLiveness);
  }

  forDeliver(eventType: string): readonly number[] {
    return this.lookup(this.deliverCache, eventType, (m) => m.observes.deliver);
  }

  forSend(eventType: string): readonly number[] {
    return this.lookup(this.sendCache, eventType, (m) => m.observes.send);
  }

  private lookup(
    cache: Map<string, readonly number[]>,
    eventType: string,
    list: (m: AnyMonitor) => readonly string[] | undefined,
  ): readonly number[] {
    let hit = cache.get(eventType);
    if (hit === undefined) {
      hit = indicesWhere(this.monitors, (m) => {
        const types = list(m);
        return types !== undefined && (types.includes('*') || types.includes(eventType));
      });
      cache.set(eventType, hit);
    }
    return hit;
  }
}

function indicesWhere(monitors: readonly AnyMonitor[], pred: (m: AnyMonitor) => boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < monitors.length; i++) if (pred(monitors[i] as AnyMonitor)) out.push(i);
  return out;
}

/** An observed event with its payload typed as the monitor expects (events are plain data; the monitor knows its protocol). */
export function payload<T>(event: AnyEventObject): T {
  return event as unknown as T;
}
