// The kernel's data types: immutable system state, pending deliveries, links and scheduled faults.
// Kept apart from kernel.ts so specs, scenarios and the trace code can import types without the engine.

import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';

/** Where an actor lives, e.g. `hostA/vm1/vcpu0`. The first segment is its group (host) unless given. */
export type Address = string;

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
  /** Probability that a message is held back `delayUs` longer than its latency draw. */
  readonly delayRate: number;
  readonly delayUs: number;
  /** FIFO per (sender, receiver) pair, as TCP gives; unordered links may reorder. */
  readonly ordered: boolean;
}

/** A window of virtual time in which a scheduled fault fires; the chooser picks the instant. */
export interface FaultWindow {
  readonly fromUs: number;
  readonly toUs: number;
  /** Granularity of the draw; the number of candidate instants is floor((to - from) / step) + 1. */
  readonly stepUs?: number;
}

/** Faults planned for a run. When each fires inside its window is a choice point. */
export type FaultPlan =
  | { readonly kind: 'crash'; readonly group: string; readonly at: FaultWindow }
  | {
      readonly kind: 'partition';
      readonly groups: readonly [string, string];
      readonly at: FaultWindow;
      /** Heal this long after the partition starts; omitted = never heals. */
      readonly healAfterUs?: number;
    };

/** What a fault delivery does when its time comes. */
export type FaultAction =
  | { readonly kind: 'crash'; readonly group: string }
  | { readonly kind: 'partition'; readonly groups: readonly [string, string]; readonly healAfterUs?: number }
  | { readonly kind: 'heal'; readonly groups: readonly [string, string] };

export type PendingKind = 'message' | 'timer' | 'fault';

/** Something the kernel will deliver: a message between actors, a timer, or a scheduled fault. */
export interface Pending {
  /** Global send order; breaks ties and keeps ordered channels FIFO. Not part of the state hash. */
  readonly seq: number;
  readonly kind: PendingKind;
  /** Virtual time (µs) at which it becomes deliverable. */
  readonly due: number;
  readonly sentAt: number;
  /** Sender's actor index; -1 for the environment (faults). */
  readonly from: number;
  /** Receiver's actor index; -1 for faults. */
  readonly to: number;
  readonly event: AnyEventObject;
  /** Messages on ordered channels are delivered FIFO per (from, to). */
  readonly ordered: boolean;
  readonly timerId: string | undefined;
  readonly fault: FaultAction | undefined;
}

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
}

/** One step: the next state and what happened (a delivery, a drop with its reason, or a fault). */
export interface StepResult {
  readonly state: SystemState;
  readonly kind: 'delivered' | 'dropped' | 'fault';
  readonly item: Pending;
  /** Why a dropped item was not delivered. */
  readonly reason?: string;
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
  };
}
