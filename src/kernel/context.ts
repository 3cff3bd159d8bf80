// The working state of one kernel step and the read-only core the step's helpers share.
// A step copies what it changes out of the immutable SystemState into a StepContext and seals it at the end.

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { Chooser } from './chooser.js';
import { InputError, KernelError } from './errors.js';
import type { Footprint } from './footprint.js';
import { Fail, type MonitorIndex, type MonitorView, type Observation } from './observe.js';
import type { StandIn } from './standIn.js';
import type { MachineStepper } from './stepper.js';
import type { TraceSink } from './trace.js';
import type { Address, BudgetUse, KernelStats, LinkConfig, MonitorFailure, Pending, SystemState } from './types.js';

export interface ActorEntry {
  readonly index: number;
  readonly address: Address;
  readonly group: string;
  readonly groupIndex: number;
  readonly machine: AnyStateMachine;
  readonly input: unknown;
  readonly stepper: MachineStepper;
  /** Keeps its snapshot across a crash and restart of its group (persisted state), instead of booting afresh. */
  readonly durable: boolean;
}

/** What the step helpers (network, faults, action folding) read from the kernel: fixed once it has started. */
export interface KernelCore {
  readonly actors: readonly ActorEntry[];
  readonly groups: readonly string[];
  readonly byAddress: ReadonlyMap<Address, number>;
  readonly groupIndexOf: ReadonlyMap<string, number>;
  readonly localLatencyUs: number;
  readonly monitorIndex: MonitorIndex;
  /** The run's fault budget as [drops, duplicates, delays] (Infinity where unlimited). */
  readonly budgetLimits: BudgetUse;
  /** Wire size of a message in bytes, for links with a bandwidth. */
  readonly messageBytes: (event: AnyEventObject) => number;
  /** True when some link has a bandwidth, so the state carries per-link busy times. */
  readonly hasBandwidth: boolean;
  link(fromGroup: string, toGroup: string): LinkConfig;
}

/** A draw an actor asked for (`emit({ type: 'draw', … })`): answered at once, inside the same step. */
export interface DrawRequest {
  readonly actor: number;
  readonly options: number;
  readonly label: string;
  readonly event: AnyEventObject;
  /** A clock read, not a choice: answered with the actor's own clock reading, no chooser involved. */
  readonly clock?: true;
}

/** Mutable working copy of a step; every array here is the step's own (copied on first write or up front). */
export interface StepContext {
  time: number;
  step: number;
  seq: number;
  pending: Pending[];
  snapshots: AnyMachineSnapshot[];
  down: readonly boolean[];
  cut: readonly string[];
  /** Copied on first write (see notify): most steps change no monitor. */
  monitors: readonly unknown[];
  monitorsOwned: boolean;
  drift: readonly number[];
  busy: number[];
  used: BudgetUse;
  chooser: Chooser;
  trace: TraceSink | null;
  stats: KernelStats | null;
  /** What the step reads and writes of shared state, recorded only when the explorer asks (sleep sets). */
  footprint: Footprint | null;
  failure: MonitorFailure | null;
  draws: DrawRequest[];
  /** Real code playing some actors this step (the `--sut` runner), or null: every actor is its chart. */
  standIn: StandIn | null;
  readonly view: MonitorView;
}

/** Opens a step on `state`: the working arrays start as copies, so the saved state is never touched. */
export function openContext(
  core: KernelCore,
  state: SystemState,
  chooser: Chooser,
  trace: TraceSink | null,
  stats: KernelStats | null,
): StepContext {
  const ctx: StepContext = {
    time: state.time,
    step: state.step,
    seq: state.seq,
    pending: state.pending.slice(),
    snapshots: state.snapshots.slice(),
    down: state.down,
    cut: state.cut,
    monitors: state.monitors,
    monitorsOwned: false,
    drift: state.drift,
    busy: state.busy.length === 0 ? (state.busy as number[]) : state.busy.slice(),
    used: state.used,
    chooser,
    trace,
    stats,
    footprint: null,
    failure: null,
    draws: [],
    standIn: null,
    view: undefined as unknown as MonitorView,
  };
  (ctx as { view: MonitorView }).view = new ContextView(core, ctx);
  return ctx;
}

/** Seals a step's working copy into the next immutable state. */
export function closeContext(ctx: StepContext): SystemState {
  return {
    time: ctx.time,
    step: ctx.step,
    seq: ctx.seq,
    snapshots: ctx.snapshots,
    pending: ctx.pending,
    down: ctx.down,
    cut: ctx.cut,
    monitors: ctx.monitors,
    drift: ctx.drift,
    busy: ctx.busy,
    used: ctx.used,
  };
}

/** What monitors may read during a step: one object per step, its methods on the prototype. */
class ContextView implements MonitorView {
  constructor(
    private readonly core: KernelCore,
    private readonly ctx: StepContext,
  ) {}

  get time(): number {
    return this.ctx.time;
  }

  snapshot(address: Address): AnyMachineSnapshot {
    const i = this.indexOf(address);
    this.ctx.footprint?.readActor(i);
    return this.ctx.snapshots[i] as AnyMachineSnapshot;
  }

  isDown(group: string): boolean {
    const gi = this.core.groupIndexOf.get(group);
    return gi !== undefined && this.ctx.down[gi] === true;
  }

  groupOf(address: Address): string {
    return (this.core.actors[this.indexOf(address)] as ActorEntry).group;
  }

  private indexOf(address: Address): number {
    const i = this.core.byAddress.get(address);
    if (i === undefined) throw new KernelError(`monitor asked for unknown address '${address}'`);
    return i;
  }
}

/** Hands one observation to the monitors listed; the first failure of the step is kept, the rest ignored. */
export function notify(core: KernelCore, ctx: StepContext, indices: readonly number[], obs: Observation): void {
  for (const i of indices) {
    const monitor = core.monitorIndex.monitors[i];
    if (monitor === undefined) continue;
    core.monitorIndex.observed[i] = (core.monitorIndex.observed[i] as number) + 1;
    ctx.footprint?.readMonitor(i);
    let next: unknown;
    try {
      next = monitor.on(ctx.monitors[i], obs, ctx.view);
    } catch (err) {
      // A user's scenario file fences its own specs (src/scenarios/load.ts): their failure names the file.
      if (err instanceof InputError) throw err;
      throw new KernelError(
        `monitor '${monitor.name}' threw at step ${ctx.step}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (next instanceof Fail) {
      if (ctx.failure === null) ctx.failure = { monitor: i, message: next.message };
      ctx.footprint?.writeMonitor(i);
      continue;
    }
    if (next === ctx.monitors[i]) continue;
    ctx.footprint?.writeMonitor(i);
    if (!ctx.monitorsOwned) {
      ctx.monitors = ctx.monitors.slice();
      ctx.monitorsOwned = true;
    }
    (ctx.monitors as unknown[])[i] = next;
  }
}

export function addressOf(core: KernelCore, index: number): Address {
  return (core.actors[index] as ActorEntry).address;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
