// The deterministic actor kernel: owns every snapshot, in-flight message, timer and fault of a system.
// Steps machines with XState's pure transition; every non-deterministic decision goes through the chooser.

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import type { Chooser } from './chooser.js';
import { KernelError, LimitError } from './errors.js';
import { canonicalJson, hash64 } from './hash.js';
import { type FoldedAction, MachineStepper } from './stepper.js';
import type { TraceSink } from './trace.js';
import type {
  Address,
  FaultAction,
  FaultPlan,
  KernelStats,
  LinkConfig,
  Pending,
  StepResult,
  SystemState,
} from './types.js';
import { assertKernelCompatible } from './validate.js';

export const PERFECT_LINK: LinkConfig = {
  latencyUs: { min: 0, max: 0 },
  dropRate: 0,
  duplicateRate: 0,
  delayRate: 0,
  delayUs: 0,
  ordered: true,
};

export interface KernelConfig {
  /** Latency of messages between actors of the same group (µs). Local channels are always FIFO. */
  readonly localLatencyUs?: number;
  /** Link between any two groups unless `links` says otherwise. */
  readonly defaultLink?: Partial<LinkConfig>;
  /** Per pair of groups, keyed `a<->b` (both directions) or `a->b` (one direction). */
  readonly links?: Readonly<Record<string, Partial<LinkConfig>>>;
  readonly faults?: readonly FaultPlan[];
  /** Most pending deliveries allowed at once; past it the run fails with a LimitError. */
  readonly maxQueue?: number;
}

export interface ActorEntry {
  readonly index: number;
  readonly address: Address;
  readonly group: string;
  readonly groupIndex: number;
  readonly machine: AnyStateMachine;
  readonly input: unknown;
  readonly stepper: MachineStepper;
}

export interface RegisterOptions {
  readonly input?: unknown;
  /** Crash domain; defaults to the first segment of the address. */
  readonly group?: string;
}

const DEFAULT_MAX_QUEUE = 100_000;

/**
 * A system of machine instances under addresses. Registration is mutable (assembly time); once
 * `initial()` has been called the kernel is a pure function from (state, chooser) to the next state.
 */
export class Kernel {
  readonly actors: ActorEntry[] = [];
  readonly groups: string[] = [];
  private readonly byAddress = new Map<Address, number>();
  private readonly groupIndex = new Map<string, number>();
  private readonly steppers = new Map<AnyStateMachine, MachineStepper>();
  private readonly linkCache = new Map<string, LinkConfig>();
  private readonly localLatencyUs: number;
  private maxQueue: number;
  private sealed = false;
  /** Addresses in sorted order, for canonical hashing: indices into `actors`. */
  private sortedOrder: number[] = [];
  private readonly snapshotHashes = new WeakMap<AnyMachineSnapshot, string>();
  private readonly pendingHashes = new WeakMap<Pending, string>();
  private readonly stimuli: { to: number; event: AnyEventObject; atUs: number }[] = [];
  /** Fold context reused by every step (the kernel is not re-entrant): one allocation fewer per delivery. */
  private readonly ctx: FoldContext = {
    time: 0,
    step: 0,
    seq: 0,
    pending: [],
    cut: [],
    chooser: { choose: () => 0 },
    trace: null,
    stats: null,
  };

  constructor(readonly config: KernelConfig = {}) {
    this.localLatencyUs = config.localLatencyUs ?? 0;
    this.maxQueue = config.maxQueue ?? DEFAULT_MAX_QUEUE;
  }

  /** Registers a machine instance; rejects machines that use invoke, spawn, sendTo or sendParent. */
  register(address: Address, machine: AnyStateMachine, options: RegisterOptions = {}): number {
    if (this.sealed) throw new KernelError(`cannot register '${address}': the kernel has already started`);
    if (address.length === 0) throw new KernelError('actor address must not be empty');
    if (this.byAddress.has(address)) throw new KernelError(`actor address '${address}' is registered twice`);
    let stepper = this.steppers.get(machine);
    if (stepper === undefined) {
      assertKernelCompatible(machine);
      stepper = new MachineStepper(machine, options.input);
      this.steppers.set(machine, stepper);
    }
    const group = options.group ?? (address.split('/')[0] as string);
    let gi = this.groupIndex.get(group);
    if (gi === undefined) {
      gi = this.groups.length;
      this.groups.push(group);
      this.groupIndex.set(group, gi);
    }
    const index = this.actors.length;
    this.actors.push({ index, address, group, groupIndex: gi, machine, input: options.input, stepper });
    this.byAddress.set(address, index);
    return index;
  }

  /** Overrides the queue-depth limit (a run option); assembly time only. */
  setMaxQueue(limit: number): void {
    if (this.sealed) throw new KernelError('cannot change the queue limit: the kernel has already started');
    this.maxQueue = limit;
  }

  /** Schedules an event from the environment (no sender) to arrive at `atUs`; assembly time only. */
  schedule(address: Address, event: AnyEventObject, atUs = 0): void {
    if (this.sealed) throw new KernelError(`cannot schedule '${event.type}': the kernel has already started`);
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

  /** The initial system state: every machine's initial snapshot, entry actions folded, faults scheduled. */
  initial(chooser: Chooser, sink?: TraceSink | null): SystemState {
    this.seal();
    const trace = sink ?? null;
    const snapshots: AnyMachineSnapshot[] = [];
    const pending: Pending[] = [];
    const ctx: FoldContext = { time: 0, step: 0, seq: 0, pending, cut: [], chooser, trace, stats: null };
    for (const actor of this.actors) {
      let out: ReturnType<MachineStepper['initial']>;
      try {
        out = actor.stepper.initial(actor.input, trace !== null);
      } catch (err) {
        throw new KernelError(`actor '${actor.address}' failed to start: ${errorText(err)}`);
      }
      snapshots.push(out.snapshot);
      trace?.record({
        type: '@xstate.actor',
        t: 0,
        step: 0,
        sessionId: actor.address,
        id: actor.address,
        rootId: actor.address,
        machine: actor.machine.id,
        group: actor.group,
        snapshot: snapshotView(out.snapshot),
      });
      // Eventless transitions taken while starting (a `booting` choice) are part of the record too.
      for (const ms of out.microsteps ?? []) {
        if (ms.transitions.length === 0) continue;
        trace?.record({
          type: '@xstate.microstep',
          t: 0,
          step: 0,
          sessionId: actor.address,
          event: { type: 'xstate.init' },
          value: ms.value,
          transitions: ms.transitions,
        });
      }
      this.foldActions(actor.index, out.actions, out.actions.length, ctx);
    }
    for (const s of this.stimuli) {
      this.push(
        {
          seq: ctx.seq++,
          kind: 'message',
          due: s.atUs,
          sentAt: 0,
          from: -1,
          to: s.to,
          event: s.event,
          ordered: false,
          timerId: undefined,
          fault: undefined,
        },
        ctx,
      );
    }
    for (const plan of this.config.faults ?? []) this.scheduleFault(plan, ctx);
    this.checkQueue(pending.length, 0);
    return {
      time: 0,
      step: 0,
      seq: ctx.seq,
      snapshots,
      pending,
      down: this.groups.map(() => false),
      cut: [],
    };
  }

  /** Indices into `state.pending` of the deliveries that may go next (earliest due, FIFO per ordered channel). */
  enabled(state: SystemState): number[] {
    const pending = state.pending;
    const out: number[] = [];
    if (pending.length === 0) return out;
    const due = (pending[0] as Pending).due;
    for (let i = 0; i < pending.length && (pending[i] as Pending).due === due; i++) {
      if (!blockedAmongTies(pending, i)) out.push(i);
    }
    return out;
  }

  /**
   * Delivers one pending item, chosen by the chooser among the enabled ones, and returns the next
   * state (or null when nothing is pending: the system is quiescent). `state` is never modified.
   */
  step(state: SystemState, chooser: Chooser, sink?: TraceSink | null, stats?: KernelStats | null): StepResult | null {
    const pending = state.pending;
    const m = pending.length;
    if (m === 0) return null;
    const pick = this.pickDelivery(pending, chooser);
    const item = pending[pick] as Pending;
    const time = Math.max(item.due, state.time);
    const stepNo = state.step + 1;
    let nextPending: Pending[];
    if (pick === 0) nextPending = pending.slice(1);
    else {
      nextPending = pending.slice();
      nextPending.splice(pick, 1);
    }
    const trace = sink ?? null;
    const ctx = this.ctx;
    ctx.time = time;
    ctx.step = stepNo;
    ctx.seq = state.seq;
    ctx.pending = nextPending;
    ctx.cut = state.cut;
    ctx.chooser = chooser;
    ctx.trace = trace;
    ctx.stats = stats ?? null;

    if (item.kind === 'fault') {
      return this.applyFault(state, item, ctx);
    }

    const target = this.actors[item.to] as ActorEntry;
    const reason = this.dropReason(state, item, target);
    if (reason !== null) {
      if (ctx.stats) ctx.stats.droppedOnDelivery++;
      trace?.record({
        type: '@statevisor.drop',
        t: time,
        step: stepNo,
        seq: item.seq,
        sessionId: target.address,
        sourceId: item.from >= 0 ? (this.actors[item.from] as ActorEntry).address : null,
        event: item.event,
        reason,
      });
      const next: SystemState = { ...state, time, step: stepNo, pending: nextPending };
      return { state: next, kind: 'dropped', item, reason };
    }

    const snapshot = state.snapshots[item.to] as AnyMachineSnapshot;
    if (trace !== null) {
      trace.record({
        type: '@xstate.event',
        t: time,
        step: stepNo,
        seq: item.seq,
        sessionId: target.address,
        sourceId: item.from >= 0 ? (this.actors[item.from] as ActorEntry).address : null,
        event: item.event,
        ...(item.kind === 'timer' ? { timer: item.timerId } : {}),
      });
    }
    const stepper = target.stepper;
    let nextSnap: AnyMachineSnapshot;
    try {
      nextSnap = stepper.advance(snapshot, item.event, trace !== null);
    } catch (err) {
      throw new KernelError(
        `actor '${target.address}' (machine '${target.machine.id}') threw on '${item.event.type}' at step ${stepNo}: ${errorText(err)}`,
      );
    }
    // XState keeps the children object when nothing was spawned, so the key scan runs only on a change.
    if (nextSnap.children !== snapshot.children && Object.keys(nextSnap.children).length > 0) {
      throw new KernelError(
        `actor '${target.address}' (machine '${target.machine.id}') spawned a child on '${item.event.type}'; kernel components may not spawn`,
      );
    }
    if (nextSnap.status === 'error') {
      throw new KernelError(
        `actor '${target.address}' (machine '${target.machine.id}') failed on '${item.event.type}' at step ${stepNo}: ${errorText(nextSnap.error)}`,
      );
    }
    if (trace !== null) {
      for (const ms of stepper.lastMicrosteps ?? []) {
        trace.record({
          type: '@xstate.microstep',
          t: time,
          step: stepNo,
          sessionId: target.address,
          event: item.event,
          value: ms.value,
          transitions: ms.transitions,
        });
      }
      trace.record({
        type: '@xstate.snapshot',
        t: time,
        step: stepNo,
        sessionId: target.address,
        event: item.event,
        snapshot: snapshotView(nextSnap),
      });
    }
    if (ctx.stats) {
      if (item.kind === 'timer') ctx.stats.timersFired++;
      else ctx.stats.delivered++;
    }
    this.foldActions(item.to, stepper.actionBuffer, stepper.actionCount, ctx);
    this.checkQueue(nextPending.length, stepNo);
    const snapshots = state.snapshots.slice();
    snapshots[item.to] = nextSnap;
    const next: SystemState = {
      time,
      step: stepNo,
      seq: ctx.seq,
      snapshots,
      pending: nextPending,
      down: state.down,
      cut: state.cut,
    };
    return { state: next, kind: 'delivered', item };
  }

  /** Index of the delivery that goes next: the only enabled one, or the chooser's pick among them. */
  private pickDelivery(pending: readonly Pending[], chooser: Chooser): number {
    const m = pending.length;
    const due = (pending[0] as Pending).due;
    let ties = 1;
    while (ties < m && (pending[ties] as Pending).due === due) ties++;
    if (ties === 1) return 0;
    if (ties > 16) {
      const cand = this.enabled({ pending } as SystemState);
      return cand.length === 1 ? (cand[0] as number) : (cand[chooser.choose(cand.length, 'deliver')] as number);
    }
    // Few ties (the common case): count the enabled ones, then walk to the chosen one, allocating nothing.
    // An item is blocked when an earlier tie sits on the same ordered channel.
    let enabled = 0;
    for (let i = 0; i < ties; i++) if (!blockedAmongTies(pending, i)) enabled++;
    if (enabled === 1) {
      for (let i = 0; i < ties; i++) if (!blockedAmongTies(pending, i)) return i;
    }
    let c = chooser.choose(enabled, 'deliver');
    for (let i = 0; i < ties; i++) {
      if (blockedAmongTies(pending, i)) continue;
      if (c === 0) return i;
      c--;
    }
    return 0;
  }

  /**
   * Canonical state hash: time, every actor's (address, value, context, status), pending, faults.
   * With `mergeInterleavings` (the default) pending deliveries are hashed in a canonical order — by due
   * time, then channel — keeping send order only within a channel. Two states that differ only in how
   * sends on different channels were interleaved have the same successors (ties are all enabled, and
   * only per-channel order constrains delivery), so merging them is sound; it is the explorer's
   * commutation reduction, and `test/check/reduction.test.ts` compares verdicts with it on and off.
   */
  hashState(state: SystemState, mergeInterleavings = true): string {
    const parts: string[] = [String(state.time)];
    for (const i of this.sortedOrder) {
      const actor = this.actors[i] as ActorEntry;
      const down = state.down[actor.groupIndex] ? '!' : '';
      parts.push(`${actor.address}${down}=${this.hashSnapshot(state.snapshots[i] as AnyMachineSnapshot)}`);
    }
    parts.push('#');
    const pending = mergeInterleavings ? canonicalPending(state.pending) : state.pending;
    for (const p of pending) parts.push(this.hashPending(p));
    parts.push('#', state.cut.join(','));
    return hash64(parts.join('|'));
  }

  /** Hash of one actor's snapshot; cached per snapshot object, so unchanged actors cost nothing. */
  hashSnapshot(snapshot: AnyMachineSnapshot): string {
    let h = this.snapshotHashes.get(snapshot);
    if (h === undefined) {
      h = hash64(canonicalJson({ v: snapshot.value, c: snapshot.context, s: snapshot.status }));
      this.snapshotHashes.set(snapshot, h);
    }
    return h;
  }

  private hashPending(p: Pending): string {
    let h = this.pendingHashes.get(p);
    if (h === undefined) {
      // Absolute seq numbers are left out: two states that differ only in how many messages were
      // ever sent are the same state. Relative order survives as the order of the sorted list.
      h = hash64(
        canonicalJson({
          k: p.kind,
          d: p.due,
          f: p.from >= 0 ? (this.actors[p.from] as ActorEntry).address : null,
          t: p.to >= 0 ? (this.actors[p.to] as ActorEntry).address : null,
          e: p.event,
          i: p.timerId,
          x: p.fault,
        }),
      );
      this.pendingHashes.set(p, h);
    }
    return h;
  }

  /** Read access for specs, summaries and tests. */
  snapshotOf(state: SystemState, address: Address): AnyMachineSnapshot {
    return state.snapshots[this.indexOf(address)] as AnyMachineSnapshot;
  }

  isDown(state: SystemState, group: string): boolean {
    const gi = this.groupIndex.get(group);
    return gi !== undefined && state.down[gi] === true;
  }

  link(fromGroup: string, toGroup: string): LinkConfig {
    const key = `${fromGroup}->${toGroup}`;
    let link = this.linkCache.get(key);
    if (link === undefined) {
      const links = this.config.links ?? {};
      const [a, b] = fromGroup < toGroup ? [fromGroup, toGroup] : [toGroup, fromGroup];
      link = {
        ...PERFECT_LINK,
        ...this.config.defaultLink,
        ...links[`${a}<->${b}`],
        ...links[key],
      };
      this.linkCache.set(key, link);
    }
    return link;
  }

  private seal(): void {
    if (this.sealed) return;
    if (this.actors.length === 0) throw new KernelError('no actors registered');
    this.sealed = true;
    this.sortedOrder = this.actors
      .map((a) => a.index)
      .sort((x, y) => {
        const ax = (this.actors[x] as ActorEntry).address;
        const ay = (this.actors[y] as ActorEntry).address;
        return ax < ay ? -1 : ax > ay ? 1 : 0;
      });
    for (const plan of this.config.faults ?? []) {
      const groups = plan.kind === 'crash' ? [plan.group] : plan.groups;
      for (const g of groups) {
        if (!this.groupIndex.has(g)) {
          throw new KernelError(
            `fault plan names group '${g}', which has no actors (groups: ${this.groups.join(', ')})`,
          );
        }
      }
    }
  }

  private dropReason(state: SystemState, item: Pending, target: ActorEntry): string | null {
    if (state.down[target.groupIndex]) return 'target crashed';
    const snap = state.snapshots[item.to] as AnyMachineSnapshot;
    if (snap.status !== 'active') return `target ${snap.status}`;
    if (item.kind === 'message' && item.from >= 0) {
      const source = this.actors[item.from] as ActorEntry;
      if (
        source.group !== target.group &&
        state.cut.length > 0 &&
        state.cut.includes(pairKey(source.group, target.group))
      ) {
        return 'partitioned';
      }
    }
    return null;
  }

  private applyFault(state: SystemState, item: Pending, ctx: FoldContext): StepResult {
    const fault = item.fault as FaultAction;
    let down = state.down;
    let cut = state.cut;
    let pending = ctx.pending;
    if (fault.kind === 'crash') {
      const gi = this.groupIndex.get(fault.group) as number;
      if (!down[gi]) {
        const d = down.slice();
        d[gi] = true;
        down = d;
        // A crashed host's timers die with it, and nothing can be delivered to it any more.
        pending = pending.filter((p) => p.to < 0 || (this.actors[p.to] as ActorEntry).groupIndex !== gi);
      }
    } else if (fault.kind === 'partition') {
      const key = pairKey(fault.groups[0], fault.groups[1]);
      if (!cut.includes(key)) cut = [...cut, key].sort();
      if (fault.healAfterUs !== undefined) {
        ctx.pending = pending;
        this.push(
          {
            seq: ctx.seq++,
            kind: 'fault',
            due: ctx.time + fault.healAfterUs,
            sentAt: ctx.time,
            from: -1,
            to: -1,
            event: { type: 'fault.heal' },
            ordered: false,
            timerId: undefined,
            fault: { kind: 'heal', groups: fault.groups },
          },
          ctx,
        );
        pending = ctx.pending;
      }
    } else {
      const key = pairKey(fault.groups[0], fault.groups[1]);
      cut = cut.filter((k) => k !== key);
    }
    if (ctx.stats) ctx.stats.faults++;
    ctx.trace?.record({ type: '@statevisor.fault', t: ctx.time, step: ctx.step, fault });
    const next: SystemState = { ...state, time: ctx.time, step: ctx.step, seq: ctx.seq, pending, down, cut };
    return { state: next, kind: 'fault', item };
  }

  private scheduleFault(plan: FaultPlan, ctx: FoldContext): void {
    const { fromUs, toUs } = plan.at;
    const stepUs = plan.at.stepUs ?? 1;
    const options = Math.floor((toUs - fromUs) / stepUs) + 1;
    const at = options > 1 ? fromUs + stepUs * ctx.chooser.choose(options, 'fault.at') : fromUs;
    const fault: FaultAction =
      plan.kind === 'crash'
        ? { kind: 'crash', group: plan.group }
        : plan.healAfterUs === undefined
          ? { kind: 'partition', groups: plan.groups }
          : { kind: 'partition', groups: plan.groups, healAfterUs: plan.healAfterUs };
    this.push(
      {
        seq: ctx.seq++,
        kind: 'fault',
        due: at,
        sentAt: 0,
        from: -1,
        to: -1,
        event: { type: `fault.${plan.kind}` },
        ordered: false,
        timerId: undefined,
        fault,
      },
      ctx,
    );
  }

  /** Turns a machine's executable actions into pending messages, timers and cancellations. */
  private foldActions(from: number, actions: readonly FoldedAction[], count: number, ctx: FoldContext): void {
    for (let i = 0; i < count; i++) {
      const action = actions[i] as FoldedAction;
      switch (action.type) {
        case 'xstate.emit': {
          const ev = (action.params as { event: { type: string; to?: unknown; event?: unknown } }).event;
          if (ev.type !== 'send' || typeof ev.to !== 'string' || ev.event === null || typeof ev.event !== 'object') {
            throw new KernelError(
              `actor '${this.addressOf(from)}' emitted '${ev.type}'; components emit only {type: 'send', to: <address>, event}`,
            );
          }
          const to = this.byAddress.get(ev.to);
          if (to === undefined) {
            throw new KernelError(
              `actor '${this.addressOf(from)}' sent '${(ev.event as AnyEventObject).type}' to unknown address '${ev.to}'`,
            );
          }
          this.send(from, to, ev.event as AnyEventObject, ctx);
          break;
        }
        case 'xstate.raise': {
          const params = action.params as { event: AnyEventObject; id?: string; delay?: number };
          // A raise without delay was already handled inside the macrostep.
          if (params.delay === undefined) break;
          if (typeof params.delay !== 'number' || !(params.delay >= 0)) {
            throw new KernelError(
              `actor '${this.addressOf(from)}' raised a timer with delay ${String(params.delay)}; delays are virtual µs >= 0`,
            );
          }
          const timerId = params.id ?? `timer.${ctx.seq}`;
          // Re-arming a timer replaces the pending one with the same id.
          removeTimer(ctx, from, timerId);
          this.push(
            {
              seq: ctx.seq++,
              kind: 'timer',
              due: ctx.time + params.delay,
              sentAt: ctx.time,
              from,
              to: from,
              event: params.event,
              ordered: false,
              timerId,
              fault: undefined,
            },
            ctx,
          );
          break;
        }
        case 'xstate.cancel': {
          removeTimer(ctx, from, String((action.params as { sendId: unknown }).sendId));
          break;
        }
        case 'xstate.log':
          break;
        default:
          throw new KernelError(
            `actor '${this.addressOf(from)}' ran action '${action.type}', which needs a live actor; ` +
              'kernel components are pure: assign, emit a send, raise (optionally delayed), cancel',
          );
      }
    }
  }

  private send(from: number, to: number, event: AnyEventObject, ctx: FoldContext): void {
    const src = this.actors[from] as ActorEntry;
    const dst = this.actors[to] as ActorEntry;
    if (ctx.stats) ctx.stats.sent++;
    if (src.groupIndex === dst.groupIndex) {
      // Local latency is fixed, so a later send can never be due before an earlier one: FIFO without a scan.
      this.enqueueMessage(from, to, event, ctx.time + this.localLatencyUs, true, ctx, 'ok', false);
      return;
    }
    if (ctx.cut.length > 0 && ctx.cut.includes(pairKey(src.group, dst.group))) {
      if (ctx.stats) ctx.stats.droppedOnSend++;
      this.traceSend(from, to, event, ctx, -1, 'partitioned');
      return;
    }
    const link = this.link(src.group, dst.group);
    let fate = 0; // 0 deliver, 1 drop, 2 duplicate, 3 delay
    const pOk = 1 - link.dropRate - link.duplicateRate - link.delayRate;
    if (pOk < 1) {
      const weights = [pOk, link.dropRate, link.duplicateRate, link.delayRate];
      let positive = 0;
      for (const w of weights) if (w > 0) positive++;
      if (positive > 1) fate = ctx.chooser.choose(4, 'link.fault', weights);
      else fate = weights.findIndex((w) => w > 0);
    }
    if (fate === 1) {
      if (ctx.stats) ctx.stats.droppedOnSend++;
      this.traceSend(from, to, event, ctx, -1, 'dropped');
      return;
    }
    const copies = fate === 2 ? 2 : 1;
    if (fate === 2 && ctx.stats) ctx.stats.duplicated++;
    if (fate === 3 && ctx.stats) ctx.stats.delayed++;
    for (let c = 0; c < copies; c++) {
      const span = link.latencyUs.max - link.latencyUs.min;
      // Latency is drawn on a grid of latencyStepUs: a coarse grid keeps exhaustive exploration finite.
      const step = link.latencyStepUs ?? 1;
      const options = Math.floor(span / step) + 1;
      let due = ctx.time + link.latencyUs.min + (options > 1 ? step * ctx.chooser.choose(options, 'link.latency') : 0);
      if (fate === 3) due += link.delayUs;
      // An ordered link needs the scan only when a later send can be drawn due before an earlier one.
      const fifoScan = link.ordered && (span > 0 || link.delayRate > 0);
      const fateName = fate === 2 ? 'duplicated' : fate === 3 ? 'delayed' : 'ok';
      this.enqueueMessage(from, to, event, due, link.ordered, ctx, fateName, fifoScan);
    }
  }

  private enqueueMessage(
    from: number,
    to: number,
    event: AnyEventObject,
    dueDrawn: number,
    ordered: boolean,
    ctx: FoldContext,
    fate: string,
    fifoScan: boolean,
  ): void {
    let due = dueDrawn;
    if (fifoScan) {
      // FIFO per channel: never due before an earlier message on the same (from, to) pair.
      for (const p of ctx.pending)
        if (p.kind === 'message' && p.from === from && p.to === to && p.due > due) due = p.due;
    }
    const seq = ctx.seq++;
    // Every Pending has the same fields in the same order: one hidden class keeps the hot loops monomorphic.
    this.push(
      { seq, kind: 'message', due, sentAt: ctx.time, from, to, event, ordered, timerId: undefined, fault: undefined },
      ctx,
    );
    this.traceSend(from, to, event, ctx, seq, fate, due);
  }

  private traceSend(
    from: number,
    to: number,
    event: AnyEventObject,
    ctx: FoldContext,
    seq: number,
    fate: string,
    due?: number,
  ): void {
    if (ctx.trace === null) return;
    ctx.trace.record({
      type: '@statevisor.send',
      t: ctx.time,
      step: ctx.step,
      seq: seq >= 0 ? seq : null,
      sourceId: (this.actors[from] as ActorEntry).address,
      targetId: (this.actors[to] as ActorEntry).address,
      event,
      fate,
      ...(due !== undefined ? { due } : {}),
    });
  }

  /** Sorted insert by (due, seq); new items have the largest seq, so they go after equal dues. */
  private push(item: Pending, ctx: FoldContext): void {
    const arr = ctx.pending;
    const n = arr.length;
    if (n === 0 || (arr[n - 1] as Pending).due <= item.due) {
      arr.push(item);
      return;
    }
    let lo = 0;
    let hi = arr.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((arr[mid] as Pending).due <= item.due) lo = mid + 1;
      else hi = mid;
    }
    arr.splice(lo, 0, item);
  }

  private checkQueue(length: number, step: number): void {
    if (length > this.maxQueue) {
      throw new LimitError(
        'queue',
        `queue depth limit reached: ${length} pending deliveries > ${this.maxQueue} at step ${step} (raise it with --max-queue)`,
      );
    }
  }

  private addressOf(index: number): string {
    return (this.actors[index] as ActorEntry).address;
  }
}

interface FoldContext {
  time: number;
  step: number;
  seq: number;
  pending: Pending[];
  cut: readonly string[];
  chooser: Chooser;
  trace: TraceSink | null;
  stats: KernelStats | null;
}

function removeTimer(ctx: FoldContext, actor: number, timerId: string): void {
  const arr = ctx.pending;
  for (let i = 0; i < arr.length; i++) {
    const p = arr[i] as Pending;
    if (p.kind === 'timer' && p.to === actor && p.timerId === timerId) {
      arr.splice(i, 1);
      return;
    }
  }
}

function blockedAmongTies(pending: readonly Pending[], i: number): boolean {
  const p = pending[i] as Pending;
  if (p.kind !== 'message' || !p.ordered) return false;
  for (let j = 0; j < i; j++) {
    const q = pending[j] as Pending;
    if (q.kind === 'message' && q.from === p.from && q.to === p.to) return true;
  }
  return false;
}

/** Pending items by (due, receiver, sender, kind, timer id), stable: send order survives within a channel. */
function canonicalPending(pending: readonly Pending[]): readonly Pending[] {
  let sorted = true;
  for (let i = 1; i < pending.length && sorted; i++)
    if (comparePending(pending[i - 1] as Pending, pending[i] as Pending) > 0) sorted = false;
  if (sorted) return pending;
  return pending
    .map((p, i) => ({ p, i }))
    .sort((x, y) => comparePending(x.p, y.p) || x.i - y.i)
    .map((x) => x.p);
}

const KIND_RANK: Record<string, number> = { message: 0, timer: 1, fault: 2 };

function comparePending(a: Pending, b: Pending): number {
  if (a.due !== b.due) return a.due - b.due;
  if (a.to !== b.to) return a.to - b.to;
  if (a.from !== b.from) return a.from - b.from;
  if (a.kind !== b.kind) return (KIND_RANK[a.kind] as number) - (KIND_RANK[b.kind] as number);
  const ta = a.timerId ?? '';
  const tb = b.timerId ?? '';
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** The part of a snapshot that is model state (no XState session ids, no machine reference). */
export function snapshotView(s: AnyMachineSnapshot): { value: unknown; context: unknown; status: string } {
  return { value: s.value, context: s.context, status: s.status };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
