// The kernel's data types: immutable system state, pending deliveries, links, fault plans and budgets.
// Kept apart from kernel.ts so specs, scenarios and the trace code can import types without the engine.

import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';

/** Where an actor lives, e.g. `hostA/vm1/vcpu`. The first segment is its group (host) unless given. */
export type Address = string;

/** What a component emits to send a message: the kernel puts `event` on the network, addressed to `to`. */
export interface SendEmit<E extends { readonly type: string } = { readonly type: string }> {
  readonly type: 'send';
  readonly to: Address;
  readonly event: E;
}

/**
 * What a component emits to ask the chooser: `event` comes back to it with `value` in [0, options), so the
 * explorer tries every answer and a seeded run draws one. The label names the draw in traces.
 */
export interface DrawEmit<E extends { readonly type: string } = { readonly type: string }> {
  readonly type: 'draw';
  readonly options: number;
  readonly label?: string;
  readonly event: E;
}

/**
 * What a component emits to read its own clock: `event` comes back to it at once with `nowUs`, the reading of its
 * host's clock (which drifts as its timers do, started at 0). Leases compare such readings instead of counting.
 */
export interface ClockEmit<E extends { readonly type: string } = { readonly type: string }> {
  readonly type: 'clock';
  readonly event: E;
}

/** Told to every actor of a group when it restarts after a crash (a durable actor keeps its snapshot). */
export interface HostRestarted {
  readonly type: 'host.restarted';
}

/** A latency or fault configuration of the link between two groups (hosts), one direction or both. */
export interface LinkConfig {
  /** Latency drawn uniformly (by the chooser) from [min, max] virtual microseconds. */
  readonly latencyUs: { readonly min: number; readonly max: number };
  /** Granularity of the latency draw (default 1 µs): the number of options is floor((max - min) / step) + 1. */
  readonly latencyStepUs?: number;
  /** Probability that a message is lost. */
  readonly dropRate: number;
  /** Probability that a message arrives twice (the copy gets its own latency draw). */
  readonly duplicateRate: number;
  /** Probability that a message is held back `delayUs` longer than its latency draw (a late message). */
  readonly delayRate: number;
  readonly delayUs: number;
  /** FIFO per (sender, receiver) pair, as TCP gives; unordered links may reorder. */
  readonly ordered: boolean;
  /**
   * Bandwidth in bytes per virtual µs (undefined or 0: unlimited). A message occupies the link for
   * bytes / bytesPerUs µs after the previous one left it, so a big checkpoint delays what follows it.
   */
  readonly bytesPerUs?: number;
}

/** A window of virtual time in which a scheduled fault fires; the chooser picks the instant. */
export interface FaultWindow {
  readonly fromUs: number;
  readonly toUs: number;
  /** Granularity of the draw; the number of candidate instants is floor((to - from) / step) + 1. */
  readonly stepUs?: number;
}

/**
 * Faults planned for a run (P's failure injector): the chooser picks the victim among those listed as
 * well as the instant inside the window, so one plan covers "any of these hosts, at any of these times".
 */
export type FaultPlan =
  | {
      readonly kind: 'crash';
      /** The groups that may be the victim; the chooser picks one. */
      readonly victims: readonly string[];
      readonly at: FaultWindow;
      /** Restart the victim this long after the crash; omitted = it stays down. */
      readonly restartAfterUs?: number;
      /** The victims that restart (default: all of them); the others stay down. */
      readonly restartable?: readonly string[];
    }
  | {
      readonly kind: 'partition';
      /** The group pairs that may be cut; the chooser picks one. */
      readonly pairs: readonly (readonly [string, string])[];
      readonly at: FaultWindow;
      /** Heal this long after the partition starts; omitted = never heals. */
      readonly healAfterUs?: number;
    }
  | {
      /** Cut one host (the chooser picks it) from every other host at once: a network isolation. */
      readonly kind: 'isolate';
      readonly victims: readonly string[];
      /** Groups the isolation leaves connected (e.g. the clients, when only the cluster network fails). */
      readonly spare?: readonly string[];
      readonly at: FaultWindow;
      readonly healAfterUs?: number;
    };

/** What a fault delivery does when its time comes. */
export type FaultAction =
  | { readonly kind: 'crash'; readonly group: string; readonly restartAfterUs?: number }
  | { readonly kind: 'restart'; readonly group: string }
  | { readonly kind: 'partition'; readonly groups: readonly [string, string]; readonly healAfterUs?: number }
  | { readonly kind: 'heal'; readonly groups: readonly [string, string] }
  | {
      readonly kind: 'isolate';
      readonly group: string;
      readonly spare?: readonly string[];
      readonly healAfterUs?: number;
    }
  | { readonly kind: 'reconnect'; readonly group: string; readonly spare?: readonly string[] };

/**
 * Most message faults a run may suffer, summed over every link (undefined: no limit). A budget keeps
 * exhaustive exploration finite — "at most one lost and one late message" — the way a fault injector's
 * budget does, while every message remains a candidate for the fault.
 */
export interface FaultBudget {
  readonly drops?: number;
  readonly duplicates?: number;
  readonly delays?: number;
}

/** Per-group clock drift: each listed group's clock runs fast or slow by `driftPpm`, a chooser draw. */
export interface ClockConfig {
  readonly driftPpm: number;
  readonly groups: readonly string[];
}

export type PendingKind = 'message' | 'timer' | 'fault';

/** Something the kernel will deliver: a message between actors, a timer, or a scheduled fault. */
export interface Pending {
  /** Global send order; breaks ties and keeps ordered channels FIFO. Not part of the state hash. */
  readonly seq: number;
  readonly kind: PendingKind;
  /** Virtual time (µs) at which it becomes deliverable. */
  readonly due: number;
  readonly sentAt: number;
  /** Sender's actor index; -1 for the environment (faults, scheduled stimuli, restarts). */
  readonly from: number;
  /** Receiver's actor index; -1 for faults. */
  readonly to: number;
  readonly event: AnyEventObject;
  /** Messages on ordered channels are delivered FIFO per (from, to). */
  readonly ordered: boolean;
  readonly timerId: string | undefined;
  readonly fault: FaultAction | undefined;
}

/** Faults spent against the run's FaultBudget so far: drops, duplicates, delays. */
export type BudgetUse = readonly [number, number, number];

/**
 * The whole system at one instant. Immutable: saving a state is keeping the reference, restoring
 * it is using it again. Arrays are indexed by actor index (registration order) and group index.
 */
export interface SystemState {
  readonly time: number;
  readonly step: number;
  readonly seq: number;
  readonly snapshots: readonly AnyMachineSnapshot[];
  /** Sorted by (due, seq). */
  readonly pending: readonly Pending[];
  /** Crashed groups, by group index. */
  readonly down: readonly boolean[];
  /** Partitioned group pairs as `a|b` with a < b, sorted. */
  readonly cut: readonly string[];
  /** Each monitor's own state, by monitor index: hashed, explored and replayed with the rest. */
  readonly monitors: readonly unknown[];
  /** Clock drift of each group in ppm (drawn at the start; 0 for groups without drift). */
  readonly drift: readonly number[];
  /** Per directed group pair (from * groups + to): when the link is free again (bandwidth). Empty without bandwidth. */
  readonly busy: readonly number[];
  readonly used: BudgetUse;
}

/** A monitor that judged the step a violation: which one, and its one-line explanation. */
export interface MonitorFailure {
  readonly monitor: number;
  readonly message: string;
}

/** One step: the next state and what happened (a delivery, a drop with its reason, or a fault). */
export interface StepResult {
  readonly state: SystemState;
  readonly kind: 'delivered' | 'dropped' | 'fault';
  readonly item: Pending;
  /** Why a dropped item was not delivered. */
  readonly reason?: string;
  /** Set when a monitor failed on this step. */
  readonly failure?: MonitorFailure;
}

/** Counters a step adds to; the run loop owns one and passes it to every step. */
export interface KernelStats {
  delivered: number;
  timersFired: number;
  sent: number;
  droppedOnSend: number;
  droppedOnDelivery: number;
  duplicated: number;
  delayed: number;
  faults: number;
  draws: number;
}

export function emptyStats(): KernelStats {
  return {
    delivered: 0,
    timersFired: 0,
    sent: 0,
    droppedOnSend: 0,
    droppedOnDelivery: 0,
    duplicated: 0,
    delayed: 0,
    faults: 0,
    draws: 0,
  };
}
