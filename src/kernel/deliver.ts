// Running an actor: booting it (at the start, or when its crashed host restarts), delivering one pending item to it
// (or dropping it, and why), and answering its draws. Each records the trace, tells the monitors, folds the actions.

import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import { type ActorEntry, errorText, type KernelCore, notify, type StepContext } from './context.js';
import { KernelError, MachineThrew } from './errors.js';
import { clockReading, foldActions } from './fold.js';
import { noteDerived } from './hash.js';
import { pairKey } from './pending.js';
import type { MicrostepRecord } from './stepper.js';
import type { Pending, SystemState } from './types.js';

/** Most draws one step may answer: a machine that asks again on every answer would otherwise never stop. */
const MAX_DRAWS_PER_STEP = 64;

/** Starts an actor from its machine's initial state (entry actions folded, eventless transitions traced). */
export function bootActor(core: KernelCore, ctx: StepContext, actor: ActorEntry): void {
  const trace = ctx.trace;
  let out: ReturnType<ActorEntry['stepper']['initial']>;
  try {
    out = actor.stepper.initial(actor.input, trace !== null);
  } catch (err) {
    throw new KernelError(`actor '${actor.address}' failed to start: ${errorText(err)}`);
  }
  ctx.snapshots[actor.index] = out.snapshot;
  trace?.record({
    type: '@xstate.actor',
    t: ctx.time,
    step: ctx.step,
    sessionId: actor.address,
    id: actor.address,
    rootId: actor.address,
    machine: actor.machine.id,
    group: actor.group,
    snapshot: snapshotView(out.snapshot),
  });
  // Eventless transitions taken while starting (a `booting` choice) are part of the record too.
  recordMicrosteps(ctx, actor, { type: 'xstate.init' }, out.microsteps ?? null);
  foldActions(core, ctx, actor.index, out.actions, out.actions.length);
  ctx.standIn?.flush(core, ctx, actor.index);
}

/** Delivers one event to an actor that is up: steps its machine, traces, observes, folds the actions. */
export function deliverEvent(
  core: KernelCore,
  ctx: StepContext,
  actor: ActorEntry,
  event: AnyEventObject,
  source: ActorEntry | null,
  meta: { seq: number | null; timer: string | undefined },
): void {
  const trace = ctx.trace;
  trace?.record({
    type: '@xstate.event',
    t: ctx.time,
    step: ctx.step,
    seq: meta.seq,
    sessionId: actor.address,
    sourceId: source?.address ?? null,
    event,
    ...(meta.timer !== undefined ? { timer: meta.timer } : {}),
  });
  const snapshot = ctx.snapshots[actor.index] as AnyMachineSnapshot;
  const next = advance(actor, snapshot, event, ctx);
  ctx.snapshots[actor.index] = next;
  // The next context is the previous one with a few keys assigned: its fingerprint can be had by difference.
  if (next.context !== snapshot.context && next.context !== null && typeof next.context === 'object') {
    noteDerived(next.context as object, snapshot.context as object);
  }
  if (trace !== null) {
    recordMicrosteps(ctx, actor, event, actor.stepper.lastMicrosteps);
    trace.record({
      type: '@xstate.snapshot',
      t: ctx.time,
      step: ctx.step,
      sessionId: actor.address,
      event,
      snapshot: snapshotView(next),
    });
  }
  const indices = core.monitorIndex.forDeliver(event.type);
  if (indices.length > 0) {
    notify(core, ctx, indices, {
      kind: 'deliver',
      t: ctx.time,
      to: actor.address,
      toGroup: actor.group,
      from: source?.address ?? null,
      event,
      timer: meta.timer !== undefined,
    });
  }
  // Folding steps no machine (draws wait for answerDraws), so the stepper's reused buffer is still this step's.
  foldActions(core, ctx, actor.index, actor.stepper.actionBuffer, actor.stepper.actionCount);
  ctx.standIn?.flush(core, ctx, actor.index);
}

/**
 * Answers every draw asked for in this step, in order: the chooser picks one of the options and the asker
 * takes `{...event, value}` at once, as an interrupt would. Answers may ask again, up to a limit.
 */
export function answerDraws(core: KernelCore, ctx: StepContext): void {
  let answered = 0;
  while (ctx.draws.length > 0) {
    const draw = ctx.draws.shift();
    if (draw === undefined) break;
    if (++answered > MAX_DRAWS_PER_STEP) {
      throw new KernelError(`more than ${MAX_DRAWS_PER_STEP} draws in step ${ctx.step}: a draw answer asks again`);
    }
    const actor = core.actors[draw.actor] as ActorEntry;
    // A draw of a crashed actor is lost with it (it was asked in the step that crashed the host).
    if (ctx.down[actor.groupIndex]) continue;
    if (draw.clock === true) {
      readClock(core, ctx, actor, draw.event);
      continue;
    }
    const value = draw.options > 1 ? ctx.chooser.choose(draw.options, draw.label) : 0;
    if (ctx.stats) ctx.stats.draws++;
    ctx.trace?.record({
      type: '@statevisor.draw',
      t: ctx.time,
      step: ctx.step,
      sessionId: actor.address,
      label: draw.label,
      options: draw.options,
      value,
    });
    deliverEvent(core, ctx, actor, { ...draw.event, value }, null, { seq: null, timer: undefined });
  }
}

/**
 * A clock read: the actor takes `{...event, nowUs}` at once, `nowUs` being its own clock's reading (drifting as its
 * timers do). It is state (the time and the drift), not a choice, so replay needs nothing recorded.
 */
function readClock(core: KernelCore, ctx: StepContext, actor: ActorEntry, event: AnyEventObject): void {
  const nowUs = clockReading(ctx.time, ctx.drift[actor.groupIndex] ?? 0);
  ctx.trace?.record({ type: '@statevisor.clock', t: ctx.time, step: ctx.step, sessionId: actor.address, nowUs });
  deliverEvent(core, ctx, actor, { ...event, nowUs }, null, { seq: null, timer: undefined });
}

function advance(actor: ActorEntry, snapshot: AnyMachineSnapshot, event: AnyEventObject, ctx: StepContext) {
  let next: AnyMachineSnapshot;
  try {
    next = actor.stepper.advance(snapshot, event, ctx.trace !== null);
  } catch (err) {
    const who = `actor '${actor.address}' (machine '${actor.machine.id}') threw on '${event.type}'`;
    throw new MachineThrew(who, errorText(err), ctx.step, ctx.time);
  }
  // XState keeps the children object when nothing was spawned, so the key scan runs only on a change.
  if (next.children !== snapshot.children && Object.keys(next.children).length > 0) {
    throw new KernelError(
      `actor '${actor.address}' (machine '${actor.machine.id}') spawned a child on '${event.type}'; kernel components may not spawn`,
    );
  }
  if (next.status === 'error') {
    const who = `actor '${actor.address}' (machine '${actor.machine.id}') failed on '${event.type}'`;
    throw new MachineThrew(who, errorText(next.error), ctx.step, ctx.time);
  }
  return next;
}

function recordMicrosteps(
  ctx: StepContext,
  actor: ActorEntry,
  event: AnyEventObject,
  microsteps: readonly MicrostepRecord[] | null,
): void {
  if (ctx.trace === null || microsteps === null) return;
  for (const ms of microsteps) {
    if (ms.transitions.length === 0 && event.type === 'xstate.init') continue;
    ctx.trace.record({
      type: '@xstate.microstep',
      t: ctx.time,
      step: ctx.step,
      sessionId: actor.address,
      event,
      value: ms.value,
      transitions: ms.transitions,
    });
  }
}

/** The part of a snapshot that is model state (no XState session ids, no machine reference). */
export function snapshotView(s: AnyMachineSnapshot): { value: unknown; context: unknown; status: string } {
  return { value: s.value, context: s.context, status: s.status };
}

/** Delivers a message or timer; returns why it was dropped instead, or null when it was delivered. */
export function deliverPending(core: KernelCore, ctx: StepContext, item: Pending): string | null {
  const target = core.actors[item.to] as ActorEntry;
  const source = item.from >= 0 ? (core.actors[item.from] as ActorEntry) : null;
  const reason = dropReason(core, ctx, item);
  if (reason !== null) {
    if (ctx.stats) ctx.stats.droppedOnDelivery++;
    ctx.trace?.record({
      type: '@statevisor.drop',
      t: ctx.time,
      step: ctx.step,
      seq: item.seq,
      sessionId: target.address,
      sourceId: source?.address ?? null,
      event: item.event,
      reason,
    });
    return reason;
  }
  if (ctx.stats) {
    if (item.kind === 'timer') ctx.stats.timersFired++;
    else ctx.stats.delivered++;
  }
  deliverEvent(core, ctx, target, item.event, source, { seq: item.seq, timer: item.timerId });
  return null;
}

/** Why a message or timer would be dropped instead of delivered (its target down or stopped, a cut), or null. */
export function dropReason(
  core: KernelCore,
  state: Pick<SystemState, 'down' | 'snapshots' | 'cut'>,
  item: Pending,
): string | null {
  const target = core.actors[item.to] as ActorEntry;
  const source = item.from >= 0 ? (core.actors[item.from] as ActorEntry) : null;
  if (state.down[target.groupIndex]) return 'target crashed';
  const snap = state.snapshots[item.to] as AnyMachineSnapshot;
  if (snap.status !== 'active') return `target ${snap.status}`;
  if (item.kind === 'message' && source !== null && source.group !== target.group && state.cut.length > 0) {
    if (state.cut.includes(pairKey(source.group, target.group))) return 'partitioned';
  }
  return null;
}
