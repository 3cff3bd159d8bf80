// The deterministic actor kernel: owns every snapshot, in-flight message, timer, fault and monitor of a system.
// Steps machines with XState's pure transition; every non-deterministic decision goes through the chooser.

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { Chooser } from './chooser.js';
import { defaultStepperKind, makeStepper, type StepperKind, type StepperNote } from './compiled/compile.js';
import { type ActorEntry, closeContext, type KernelCore, notify, openContext, type StepContext } from './context.js';
import { answerDraws, bootActor, deliverPending, dropReason } from './deliver.js';
import { KernelError, LimitError } from './errors.js';
import { applyFault, scheduleFault, validatePlan } from './faults.js';
import { type Footprint, noteStepEffects } from './footprint.js';
import { PERFECT_LINK, validateLinks } from './network.js';
import { type AnyMonitor, type Monitor, MonitorIndex } from './observe.js';
import { enabledIndices, insertPending, pickDelivery } from './pending.js';
import type { StandIn } from './standIn.js';
import { StateHasher } from './stateHash.js';
import { assertStatisticsIn, statisticsOf } from './statistics.js';
import type { MachineStepper } from './stepper.js';
import { Symmetry, type SymmetryDeclaration } from './symmetry.js';
import type { TraceSink } from './trace.js';
import type {
  Address,
  BudgetUse,
  ClockConfig,
  FaultBudget,
  FaultPlan,
  KernelStats,
  LinkConfig,
  Pending,
  StepResult,
  SystemState,
} from './types.js';
import { assertKernelCompatible } from './validate.js';

export type { ActorEntry } from './context.js';
export { snapshotView } from './deliver.js';
export { PERFECT_LINK } from './network.js';
export { pairKey } from './pending.js';

export interface KernelConfig {
  /** Latency of messages between actors of the same group (µs). Local channels are always FIFO. */
  readonly localLatencyUs?: number;
  /** Link between any two groups unless `links` says otherwise. */
  readonly defaultLink?: Partial<LinkConfig>;
  /** Per pair of groups, keyed `a<->b` (both directions) or `a->b` (one direction). */
  readonly links?: Readonly<Record<string, Partial<LinkConfig>>>;
  readonly faults?: readonly FaultPlan[];
  /** Most message faults (drops, duplicates, late deliveries) of the whole run; default unlimited. */
  readonly faultBudget?: FaultBudget;
  /** Groups whose clocks drift, and by how much: each draws fast or slow at the start. */
  readonly clocks?: ClockConfig;
  /** Wire size of a message, for links with a bandwidth (default 64 bytes). */
  readonly messageBytes?: (event: AnyEventObject) => number;
  /** Most pending deliveries allowed at once; past it the run fails with a LimitError. */
  readonly maxQueue?: number;
  /** `compiled` steps charts over precomputed plans, `xstate` through XState's interpreter (default: STATEVISOR_STEPPER). */
  readonly stepper?: StepperKind;
  /** Sets of interchangeable actors (address prefixes): the explorer keeps one state per orbit (src/kernel/symmetry.ts). */
  readonly symmetry?: SymmetryDeclaration;
}

export interface RegisterOptions {
  readonly input?: unknown;
  /** Crash domain; defaults to the first segment of the address. */
  readonly group?: string;
  /** Keeps its state across a crash and restart of its group (persisted), instead of booting afresh. */
  readonly durable?: boolean;
}

const DEFAULT_MAX_QUEUE = 100_000;

/**
 * A system of machine instances under addresses, and the monitors that judge it. Registration is mutable
 * (assembly time); once `initial()` has been called the kernel is a pure function from (state, chooser)
 * to the next state.
 */
export class Kernel implements KernelCore {
  readonly actors: ActorEntry[] = [];
  readonly groups: string[] = [];
  readonly byAddress = new Map<Address, number>();
  readonly groupIndexOf = new Map<string, number>();
  readonly localLatencyUs: number;
  readonly budgetLimits: BudgetUse;
  readonly messageBytes: (event: AnyEventObject) => number;
  monitorIndex = new MonitorIndex([]);
  hasBandwidth = false;
  private readonly monitorList: AnyMonitor[] = [];
  private readonly steppers = new Map<AnyStateMachine, MachineStepper>();
  private readonly stepperNoteOf = new Map<AnyStateMachine, StepperNote>();
  private readonly stepperKind: StepperKind;
  private readonly linkCache = new Map<string, LinkConfig>();
  private readonly stimuli: { to: number; event: AnyEventObject; atUs: number }[] = [];
  private maxQueue: number;
  private sealed = false;
  private hasher: StateHasher | null = null;
  /** The declared symmetry, checked against the actors when the kernel starts; null when none is declared. */
  private symmetry: Symmetry | null = null;

  constructor(readonly config: KernelConfig = {}) {
    this.localLatencyUs = config.localLatencyUs ?? 0;
    this.maxQueue = config.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.stepperKind = config.stepper ?? defaultStepperKind();
    const b = config.faultBudget ?? {};
    this.budgetLimits = [b.drops ?? Infinity, b.duplicates ?? Infinity, b.delays ?? Infinity];
    this.messageBytes = config.messageBytes ?? (() => 64);
  }

  /** Registers a machine instance; rejects machines that use invoke, spawn, sendTo or sendParent. */
  register(address: Address, machine: AnyStateMachine, options: RegisterOptions = {}): number {
    this.assertOpen(`register '${address}'`);
    if (address.length === 0) throw new KernelError('actor address must not be empty');
    if (this.byAddress.has(address)) throw new KernelError(`actor address '${address}' is registered twice`);
    const stepper = this.stepperFor(machine, options.input);
    checkStatistics(machine, stepper, options.input);
    const group = options.group ?? (address.split('/')[0] as string);
    let gi = this.groupIndexOf.get(group);
    if (gi === undefined) {
      gi = this.groups.length;
      this.groups.push(group);
      this.groupIndexOf.set(group, gi);
    }
    const index = this.actors.length;
    const durable = options.durable === true;
    this.actors.push({ index, address, group, groupIndex: gi, machine, input: options.input, stepper, durable });
    this.byAddress.set(address, index);
    return index;
  }

  /**
   * Runs `replacement` wherever a registered actor runs a machine with its id (a planted bug, usually a
   * `machine.provide({...})`). A replacement no actor would run is refused: it would plant nothing, silently.
   */
  replaceMachines(replacements: Readonly<Record<string, AnyStateMachine>>): void {
    this.assertOpen('replace machines');
    for (const id of Object.keys(replacements)) {
      const machine = replacements[id] as AnyStateMachine;
      const hits = this.actors.filter((a) => a.machine.id === id);
      if (hits.length === 0) {
        const ids = [...new Set(this.actors.map((a) => a.machine.id))].join(', ');
        throw new KernelError(`replacement for machine '${id}': no actor runs it (machines: ${ids})`);
      }
      if (machine.id !== id) throw new KernelError(`replacement for machine '${id}' has id '${machine.id}'`);
      for (const entry of hits) {
        const stepper = this.stepperFor(machine, entry.input);
        checkStatistics(machine, stepper, entry.input);
        this.actors[entry.index] = { ...entry, machine, stepper };
      }
    }
  }

  /** One stepper per machine, made (and the machine checked against the kernel contract) on first use. */
  private stepperFor(machine: AnyStateMachine, input: unknown): MachineStepper {
    let stepper = this.steppers.get(machine);
    if (stepper === undefined) {
      assertKernelCompatible(machine);
      const made = makeStepper(machine, input, this.stepperKind);
      stepper = made.stepper;
      this.steppers.set(machine, stepper);
      this.stepperNoteOf.set(machine, made.note);
    }
    return stepper;
  }

  /** Which machines the actors run step compiled, and which on XState's interpreter and why (registration order). */
  stepperNotes(): readonly StepperNote[] {
    const machines = new Set(this.actors.map((a) => a.machine));
    return [...machines].map((m) => this.stepperNoteOf.get(m) as StepperNote);
  }

  /** Adds a monitor (a spec); its state lives in the system state from `initial()` on. Returns its index. */
  monitor<S>(m: Monitor<S>): number {
    this.assertOpen(`add monitor '${m.name}'`);
    if (this.monitorList.some((x) => x.name === m.name)) throw new KernelError(`monitor '${m.name}' is added twice`);
    this.monitorList.push(m as AnyMonitor);
    return this.monitorList.length - 1;
  }

  get monitors(): readonly AnyMonitor[] {
    return this.monitorList;
  }

  /** Overrides the queue-depth limit (a run option); assembly time only. */
  setMaxQueue(limit: number): void {
    this.assertOpen('change the queue limit');
    this.maxQueue = limit;
  }

  /** Schedules an event from the environment (no sender) to arrive at `atUs`; assembly time only. */
  schedule(address: Address, event: AnyEventObject, atUs = 0): void {
    this.assertOpen(`schedule '${event.type}'`);
    this.stimuli.push({ to: this.indexOf(address), event, atUs });
  }

  indexOf(address: Address): number {
    const i = this.byAddress.get(address);
    if (i === undefined) throw new KernelError(`no actor at address '${address}'`);
    return i;
  }

  hasActor(address: Address): boolean {
    return this.byAddress.has(address);
  }

  /** The initial state: clocks drawn, every machine booted (entry actions folded), faults scheduled. */
  initial(chooser: Chooser, sink?: TraceSink | null, standIn?: StandIn | null): SystemState {
    this.seal();
    const empty: SystemState = {
      time: 0,
      step: 0,
      seq: 0,
      snapshots: [],
      pending: [],
      down: this.groups.map(() => false),
      cut: [],
      monitors: [],
      drift: this.groups.map(() => 0),
      busy: this.hasBandwidth ? this.groups.flatMap(() => this.groups.map(() => 0)) : [],
      used: [0, 0, 0],
    };
    const ctx = openContext(this, empty, chooser, sink ?? null, null);
    ctx.standIn = standIn ?? null;
    ctx.drift = this.drawClocks(ctx);
    // Monitors start first: they observe the sends actors make while booting.
    ctx.monitors = this.monitorList.map((m) => m.initial(ctx.view));
    ctx.monitorsOwned = true;
    for (const actor of this.actors) bootActor(this, ctx, actor);
    answerDraws(this, ctx);
    for (const s of this.stimuli) this.queueStimulus(ctx, s.to, s.event, s.atUs);
    for (const plan of this.config.faults ?? []) scheduleFault(ctx, plan);
    this.checkQueue(ctx.pending.length, 0);
    return closeContext(ctx);
  }

  /** Indices into `state.pending` of the deliveries that may go next (earliest due, FIFO per ordered channel). */
  enabled(state: SystemState): number[] {
    return enabledIndices(state.pending);
  }

  /**
   * Delivers one pending item, chosen by the chooser among the enabled ones, and returns the next
   * state (or null when nothing is pending: the system is quiescent). `state` is never modified.
   */
  step(
    state: SystemState,
    chooser: Chooser,
    sink?: TraceSink | null,
    stats?: KernelStats | null,
    standIn?: StandIn | null,
    /** Filled with what the step read and wrote of shared state (the explorer's sleep sets); null: not recorded. */
    footprint?: Footprint | null,
  ): StepResult | null {
    if (state.pending.length === 0) return null;
    const pick = pickDelivery(state.pending, chooser);
    const item = state.pending[pick] as Pending;
    const ctx = openContext(this, state, chooser, sink ?? null, stats ?? null);
    ctx.standIn = standIn ?? null;
    ctx.footprint = footprint ?? null;
    ctx.pending.splice(pick, 1);
    ctx.time = Math.max(item.due, state.time);
    ctx.step = state.step + 1;
    let kind: StepResult['kind'] = 'delivered';
    let reason: string | null = null;
    if (item.kind === 'fault') {
      applyFault(this, ctx, item.fault as NonNullable<Pending['fault']>);
      kind = 'fault';
    } else {
      reason = deliverPending(this, ctx, item);
      if (reason !== null) kind = 'dropped';
    }
    answerDraws(this, ctx);
    if (this.monitorIndex.steps.length > 0) notify(this, ctx, this.monitorIndex.steps, { kind: 'step', t: ctx.time });
    this.checkQueue(ctx.pending.length, ctx.step);
    const next = closeContext(ctx);
    if (footprint) noteStepEffects(footprint, state, next, item);
    return {
      state: next,
      kind,
      item,
      ...(reason !== null ? { reason } : {}),
      ...(ctx.failure !== null ? { failure: ctx.failure } : {}),
    };
  }

  /** Why the pending item at `index` would be dropped instead of delivered, or null (faults are never dropped). */
  dropReasonAt(state: SystemState, index: number): string | null {
    const item = state.pending[index] as Pending;
    return item.kind === 'fault' ? null : dropReason(this, state, item);
  }

  /**
   * Canonical state fingerprint (see StateHasher): the explorer's notion of "the same state". With `view` (the
   * default) the statistics machines declare are left out (src/kernel/statistics.ts); with `symmetric` (the default)
   * and a declared symmetry, every state of an orbit gets the orbit's least fingerprint.
   */
  fingerprint(state: SystemState, mergeInterleavings = true, view = true, symmetric = true): number {
    const hasher = this.hasher as StateHasher;
    if (!symmetric || this.symmetry === null) return hasher.fingerprint(state, mergeInterleavings, view);
    return this.symmetry.canonical(state, hasher, mergeInterleavings, view);
  }

  /** The symmetry the system declares, checked against its actors (which closes registration); null when none. */
  declaredSymmetry(): Symmetry | null {
    this.seal();
    return this.symmetry;
  }

  /** Checks the declared symmetry against the actors registered so far, without closing registration. */
  checkSymmetry(): void {
    Symmetry.of(this.actors, this.groups, this.config.symmetry);
  }

  /** The actors whose machines declare statistics, and the keys, in registration order. */
  statistics(): readonly { readonly address: Address; readonly keys: readonly string[] }[] {
    return this.actors.flatMap((a) => {
      const keys = statisticsOf(a.machine);
      return keys === null ? [] : [{ address: a.address, keys }];
    });
  }

  /** The same fingerprint as hex digits, for traces and reports. */
  hashState(state: SystemState, mergeInterleavings = true): string {
    return (this.hasher as StateHasher).hashState(state, mergeInterleavings);
  }

  /** Read access for specs, summaries and tests. */
  snapshotOf(state: SystemState, address: Address): AnyMachineSnapshot {
    return state.snapshots[this.indexOf(address)] as AnyMachineSnapshot;
  }

  /** A monitor's own state, by name (summaries and `sometimes` properties read it). */
  monitorState<S>(state: SystemState, name: string): S {
    const i = this.monitorList.findIndex((m) => m.name === name);
    if (i < 0) throw new KernelError(`no monitor named '${name}'`);
    return state.monitors[i] as S;
  }

  isDown(state: SystemState, group: string): boolean {
    const gi = this.groupIndexOf.get(group);
    return gi !== undefined && state.down[gi] === true;
  }

  link(fromGroup: string, toGroup: string): LinkConfig {
    const key = `${fromGroup}->${toGroup}`;
    let link = this.linkCache.get(key);
    if (link === undefined) {
      const links = this.config.links ?? {};
      // `a<->b` in either order (validateLinks refuses a pair given both ways), then the one-way `from->to`.
      const both = links[`${fromGroup}<->${toGroup}`] ?? links[`${toGroup}<->${fromGroup}`];
      link = { ...PERFECT_LINK, ...this.config.defaultLink, ...both, ...links[key] };
      this.linkCache.set(key, link);
    }
    return link;
  }

  private drawClocks(ctx: StepContext): number[] {
    const drift = this.groups.map(() => 0);
    const clocks = this.config.clocks;
    if (clocks === undefined || clocks.driftPpm === 0) return drift;
    for (const g of clocks.groups) {
      const gi = this.groupIndexOf.get(g) as number;
      drift[gi] = ctx.chooser.choose(2, 'clock.drift') === 0 ? -clocks.driftPpm : clocks.driftPpm;
    }
    return drift;
  }

  private queueStimulus(ctx: StepContext, to: number, event: AnyEventObject, atUs: number): void {
    insertPending(ctx.pending, {
      seq: ctx.seq++,
      kind: 'message',
      due: atUs,
      sentAt: 0,
      from: -1,
      to,
      event,
      ordered: false,
      timerId: undefined,
      fault: undefined,
    });
  }

  private seal(): void {
    if (this.sealed) return;
    if (this.actors.length === 0) throw new KernelError('no actors registered');
    this.sealed = true;
    const sortedOrder = this.actors
      .map((a) => a.index)
      .sort((x, y) => {
        const ax = (this.actors[x] as ActorEntry).address;
        const ay = (this.actors[y] as ActorEntry).address;
        return ax < ay ? -1 : ax > ay ? 1 : 0;
      });
    this.hasher = new StateHasher(this.actors, sortedOrder);
    this.symmetry = Symmetry.of(this.actors, this.groups, this.config.symmetry);
    this.monitorIndex = new MonitorIndex(this.monitorList);
    for (const plan of this.config.faults ?? []) validatePlan(plan, this.groupIndexOf, this.groups);
    validateLinks(this.config.links ?? {}, this.groupIndexOf, this.groups);
    for (const g of this.config.clocks?.groups ?? []) {
      if (!this.groupIndexOf.has(g)) throw new KernelError(`clocks name group '${g}', which has no actors`);
    }
    this.hasBandwidth = this.groups.some((a) =>
      this.groups.some((b) => a !== b && (this.link(a, b).bytesPerUs ?? 0) > 0),
    );
  }

  private assertOpen(what: string): void {
    if (this.sealed) throw new KernelError(`cannot ${what}: the kernel has already started`);
  }

  private checkQueue(length: number, step: number): void {
    if (length > this.maxQueue) {
      throw new LimitError(
        'queue',
        `queue depth limit reached: ${length} pending deliveries > ${this.maxQueue} at step ${step} (raise it with --max-queue)`,
      );
    }
  }
}

/** A machine's declared statistics are keys of the context it boots with from `input` (a misspelt one leaves out nothing). */
function checkStatistics(machine: AnyStateMachine, stepper: MachineStepper, input: unknown): void {
  const statistics = statisticsOf(machine);
  if (statistics !== null) assertStatisticsIn(machine, statistics, stepper.initial(input).snapshot.context);
}
