// Folds a machine's executable actions into kernel effects: sends become messages, delayed raises timers (on the
// actor's drifting clock; a re-arm replaces), cancels remove them, draws are answered; XState actors get the same rule.

import type { AnyActorRef, AnyEventObject } from 'xstate';
import { type ActorEntry, addressOf, type KernelCore, type StepContext } from './context.js';
import { KernelError } from './errors.js';
import { sendMessage } from './network.js';
import { insertPending, removeTimer } from './pending.js';
import type { FoldedAction } from './stepper.js';
import type { Pending } from './types.js';

/** Turns a machine's actions into pending messages, timers, cancellations and draw requests. */
export function foldActions(
  core: KernelCore,
  ctx: StepContext,
  from: number,
  actions: readonly FoldedAction[],
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    const action = actions[i] as FoldedAction;
    switch (action.type) {
      case 'xstate.emit':
        foldEmit(core, ctx, from, (action.params as { event: Record<string, unknown> }).event);
        break;
      case 'xstate.raise':
        foldRaise(core, ctx, from, action.params as { event: AnyEventObject; id?: string; delay?: number });
        break;
      case 'xstate.cancel': {
        const gone = removeTimer(ctx.pending, from, String((action.params as { sendId: unknown }).sendId));
        if (gone !== null) traceTimer(core, ctx, 'cancel', gone);
        break;
      }
      case 'xstate.log':
        break;
      default:
        throw new KernelError(
          `actor '${addressOf(core, from)}' ran action '${action.type}', which needs a live actor; ` +
            'kernel components are pure: assign, emit a send or a draw, raise (optionally delayed), cancel',
        );
    }
  }
}

/** `{type: 'send', to, event}` goes on the network; `{type: 'draw', options, label, event}` waits for the chooser. */
function foldEmit(core: KernelCore, ctx: StepContext, from: number, ev: Record<string, unknown>): void {
  const inner = ev.event;
  const hasEvent =
    inner !== null && typeof inner === 'object' && typeof (inner as { type?: unknown }).type === 'string';
  if (ev.type === 'send' && typeof ev.to === 'string' && hasEvent) {
    const to = core.byAddress.get(ev.to);
    if (to === undefined) {
      throw new KernelError(
        `actor '${addressOf(core, from)}' sent '${(inner as AnyEventObject).type}' to unknown address '${ev.to}'`,
      );
    }
    if (ctx.standIn?.actors.has(from) === true) ctx.standIn.chartSent(core, ctx, from, inner as AnyEventObject, to);
    else sendMessage(core, ctx, from, to, inner as AnyEventObject);
    return;
  }
  if (ev.type === 'clock' && hasEvent) {
    ctx.draws.push({ actor: from, options: 1, label: 'clock', event: inner as AnyEventObject, clock: true });
    return;
  }
  if (ev.type === 'draw' && Number.isSafeInteger(ev.options) && (ev.options as number) >= 1 && hasEvent) {
    const label = typeof ev.label === 'string' ? ev.label : 'draw';
    ctx.draws.push({ actor: from, options: ev.options as number, label, event: inner as AnyEventObject });
    return;
  }
  throw new KernelError(
    `actor '${addressOf(core, from)}' emitted '${String(ev.type)}'; components emit only ` +
      "{type: 'send', to: <address>, event}, {type: 'draw', options: <integer >= 1>, label, event} or {type: 'clock', event}",
  );
}

/** A delayed raise is a timer on the actor's own clock, which may drift; a raise without delay ran in the macrostep. */
function foldRaise(
  core: KernelCore,
  ctx: StepContext,
  from: number,
  params: { event: AnyEventObject; id?: string; delay?: number },
): void {
  if (params.delay === undefined) return;
  if (typeof params.delay !== 'number' || !(params.delay >= 0)) {
    throw new KernelError(
      `actor '${addressOf(core, from)}' raised a timer with delay ${String(params.delay)}; delays are virtual µs >= 0`,
    );
  }
  const timerId = params.id ?? `timer.${ctx.seq}`;
  // The one timer rule: re-arming replaces the pending timer with the same id, so a machine need not cancel before
  // it re-arms. XState's own scheduler keeps both (see replaceTimersOnRearm below), hence the twin there.
  const replaced = removeTimer(ctx.pending, from, timerId);
  if (replaced !== null) traceTimer(core, ctx, 'cancel', replaced);
  const drift = ctx.drift[(core.actors[from] as ActorEntry).groupIndex] ?? 0;
  const timer: Pending = {
    seq: ctx.seq++,
    kind: 'timer',
    due: ctx.time + onClock(params.delay, drift),
    sentAt: ctx.time,
    from,
    to: from,
    event: params.event,
    ordered: false,
    timerId,
    fault: undefined,
  };
  insertPending(ctx.pending, timer);
  traceTimer(core, ctx, 'arm', timer);
}

/**
 * Traces a timer armed or cancelled (a re-arm is a cancel, then an arm), so a reader sees every armed timer at
 * every step exactly; a fire is its `@xstate.event` with the same seq, and a crash clears its host's timers.
 */
function traceTimer(core: KernelCore, ctx: StepContext, op: 'arm' | 'cancel', timer: Pending): void {
  ctx.trace?.record({
    type: '@statevisor.timer',
    op,
    t: ctx.time,
    step: ctx.step,
    seq: timer.seq,
    sessionId: addressOf(core, timer.to),
    timer: timer.timerId,
    ...(op === 'arm' ? { due: timer.due, event: timer.event } : {}),
  });
}

/** What a clock that runs fast by `driftPpm` (slow when negative) reads at real time `realUs`: it started at 0. */
export function clockReading(realUs: number, driftPpm: number): number {
  if (driftPpm === 0) return realUs;
  return Math.round((realUs * (1_000_000 + driftPpm)) / 1_000_000);
}

/** Real time a delay of `delayUs` takes on a clock that runs fast by `driftPpm` (slow when negative). */
export function onClock(delayUs: number, driftPpm: number): number {
  if (driftPpm === 0) return delayUs;
  return Math.round((delayUs * 1_000_000) / (1_000_000 + driftPpm));
}

const rearmReplaces = new WeakSet<object>();

/**
 * Makes a plain XState actor (`createActor`) follow the kernel's timer rule: a delayed event scheduled under an id
 * its source already has pending replaces the pending one. XState's scheduler (`createSystem` in xstate 5.33) does
 * not: `schedule` overwrites the id's handle in its `timerMap` without clearing the old timeout, so both fire; a
 * `cancel` of the id stops only the newer, and none at all once the older has fired (its callback drops the entry).
 * Cancelling first is exactly the kernel's `removeTimer` before `insertPending`. The scheduler is shared by every
 * actor of a system, so one call on the root actor, before `start()`, covers them all; a second call does nothing.
 */
export function replaceTimersOnRearm<TActor extends AnyActorRef>(actor: TActor): TActor {
  const scheduler = actor.system.scheduler;
  if (rearmReplaces.has(scheduler)) return actor;
  const schedule = scheduler.schedule;
  scheduler.schedule = (source, target, event, delay, id) => {
    // No id: XState draws a fresh random one (the kernel a fresh `timer.<seq>`), so there is nothing to replace.
    if (id !== undefined) scheduler.cancel(source, id);
    schedule(source, target, event, delay, id);
  };
  rearmReplaces.add(scheduler);
  return actor;
}
