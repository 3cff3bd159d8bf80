// Shared helpers of the machine unit tests: drive a machine step by step, read a step's folded actions (sends, draws,
// timers, cancels), and run it as a plain XState actor beside the kernel's stepper, so each file keeps its own checks.

import { expect } from 'vitest';
import {
  type AnyActorRef,
  type AnyEventObject,
  type AnyStateMachine,
  createActor,
  type EmittedFrom,
  type EventFromLogic,
  type InputFrom,
  type SnapshotFrom,
} from 'xstate';
import { replaceTimersOnRearm } from '../../src/kernel/fold.js';
import { type FoldedAction, MachineStepper, type StepOutput } from '../../src/kernel/stepper.js';

/** A message as every machine emits it: the kernel delivers `event` to the address `to`. */
export interface SentMessage {
  readonly type: 'send';
  readonly to: string;
  readonly event: unknown;
}

/** The messages among a step's actions, in order, whole: what `actor.on('send', …)` receives. */
export function sentMessages<T extends { type: string } = SentMessage>(actions: readonly FoldedAction[]): T[] {
  return actions
    .filter((a) => a.type === 'xstate.emit')
    .map((a) => (a.params as { event: T }).event)
    .filter((e) => e.type === 'send');
}

/** Everything a step emits, in order: sends and draws alike (the kernel folds both). */
export function emittedOf(actions: readonly FoldedAction[]): { type: string }[] {
  return actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: { type: string } }).event);
}

/** The draws among a step's actions as `{ options, label, event }`: the inputs a guest asks the kernel for. */
export function drawsOf(actions: readonly FoldedAction[]): { options: number; label: string; event: unknown }[] {
  return emittedOf(actions)
    .filter((e) => e.type === 'draw')
    .map((e) => {
      const { options, label, event } = e as unknown as { options: number; label: string; event: unknown };
      return { options, label, event };
    });
}

/** The messages among a step's actions as `{ to, event }`, so expectations need not repeat the envelope. */
export function sendsOf(actions: readonly FoldedAction[]): { to: string; event: unknown }[] {
  return sentMessages(actions).map(({ to, event }) => ({ to, event }));
}

/**
 * The timers a step arms, as `{ id, delay, type }` with the type of the event they will raise. A raise without a
 * delay is not a timer (it ran inside the macrostep, and the kernel ignores it), so it is left out.
 */
export function timersOf(actions: readonly FoldedAction[]) {
  return actions
    .filter((a) => a.type === 'xstate.raise')
    .map((a) => a.params as { event: { type: string }; id: string; delay?: number })
    .filter((p) => p.delay !== undefined)
    .map(({ event, id, delay }) => ({ id, delay: delay as number, type: event.type }));
}

/** The ids of the timers a step cancels. */
export function cancelsOf(actions: readonly FoldedAction[]): string[] {
  return actions.filter((a) => a.type === 'xstate.cancel').map((a) => (a.params as { sendId: string }).sendId);
}

/** The folded action of a message to `to`, as a step returns it. */
export function sendAction(to: string, event: unknown) {
  return { type: 'xstate.emit', params: { event: { type: 'send', to, event } } };
}

/** The folded action of a timer that raises `event` after `delay` under the id `id`. */
export function raiseAction(event: AnyEventObject, id: string, delay: number) {
  return { type: 'xstate.raise', params: { event, id, delay } };
}

/** The folded action that cancels the timer `sendId`. */
export function cancelAction(sendId: string) {
  return { type: 'xstate.cancel', params: { sendId } };
}

/**
 * A machine under the stepper with its current snapshot: `send` steps it and keeps the result, so a test reads as
 * the sequence of events it feeds. Each call returns that step's output (its actions are that step's only).
 */
export class Driver<TMachine extends AnyStateMachine> {
  readonly stepper: MachineStepper;
  snapshot: SnapshotFrom<TMachine>;
  /** The output of the boot (initial snapshot) or of the last `send`. */
  last: StepOutput;

  constructor(machine: TMachine, input: InputFrom<TMachine>) {
    this.stepper = new MachineStepper(machine, input);
    this.last = this.stepper.initial(input);
    this.snapshot = this.last.snapshot as SnapshotFrom<TMachine>;
  }

  send(event: EventFromLogic<TMachine>): StepOutput {
    this.last = this.stepper.step(this.snapshot as never, event as AnyEventObject);
    this.snapshot = this.last.snapshot as SnapshotFrom<TMachine>;
    return this.last;
  }

  /** Feeds every event in turn; returns the last step's output. */
  sendAll(events: readonly EventFromLogic<TMachine>[]): StepOutput {
    for (const ev of events) this.send(ev);
    return this.last;
  }

  get context(): SnapshotFrom<TMachine> extends { context: infer C } ? C : never {
    return (this.snapshot as { context: never }).context;
  }

  get value(): unknown {
    return (this.snapshot as { value: unknown }).value;
  }

  /** The state of one region of a parallel machine. */
  region(name: string): unknown {
    return (this.value as Record<string, unknown>)[name];
  }
}

/** Steps `machine` from its initial state through `events`; returns the stepper and the last step's output. */
export function stepThrough(machine: AnyStateMachine, input: unknown, events: readonly AnyEventObject[] = []) {
  const stepper = new MachineStepper(machine, input);
  let out: StepOutput = stepper.initial(input);
  for (const ev of events) out = stepper.step(out.snapshot, ev);
  return { stepper, out };
}

/** A pending timer as both runtimes can show it: its id, the event it will raise, and its delay. */
interface PendingTimer {
  readonly id: string;
  readonly type: string;
  readonly delay: number;
}

/** A clock whose timeouts never fire; it only keeps the live ones, so a timeout XState lost track of still shows. */
class FrozenClock {
  private next = 1;
  readonly live = new Set<number>();
  setTimeout(): number {
    const handle = this.next++;
    this.live.add(handle);
    return handle;
  }
  clearTimeout(handle: number): void {
    this.live.delete(handle);
  }
}

/** The kernel's view: folds a step's raises and cancels into `timers` as src/kernel/fold.ts does (re-arm replaces). */
function foldTimers(timers: Map<string, PendingTimer>, actions: readonly FoldedAction[]): void {
  for (const a of actions) {
    if (a.type === 'xstate.cancel') timers.delete(String((a.params as { sendId: unknown }).sendId));
    if (a.type !== 'xstate.raise') continue;
    const { event, id, delay } = a.params as { event: { type: string }; id?: string; delay?: number };
    if (delay === undefined) continue;
    // XState names an id-less timer at random, so the two runtimes could not be compared by id.
    if (id === undefined) throw new Error(`expectActorMatchesStepper: a '${event.type}' timer has no id`);
    timers.set(id, { id, type: event.type, delay });
  }
}

/** XState's view: the actor's scheduled events; every live timeout must be one of them (none orphaned). */
function scheduledTimers(actor: AnyActorRef, clock: FrozenClock): PendingTimer[] {
  const scheduled = Object.values(actor.system.getSnapshot()._scheduledEvents);
  expect(clock.live.size, 'live timeouts on the clock beside the scheduled events').toBe(scheduled.length);
  return scheduled
    .filter((e) => e.source === actor)
    .map(({ id, event, delay }) => ({ id, type: event.type, delay }))
    .sort(byId);
}

function byId(a: PendingTimer, b: PendingTimer): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Runs `machine` under plain `createActor(machine, { input })` and under the kernel's stepper side by side: after
 * start and after every event both must have the same value and context and the same pending timers, and in the end
 * they must have emitted the same things (messages and draws, in order). Returns the messages (`sent`), everything
 * emitted (`emitted`) and the stepper's last snapshot for the checks particular to a machine.
 * The actor runs with the kernel's timer rule (`replaceTimersOnRearm`: re-arming an id replaces its pending timer)
 * on a clock whose timeouts never fire; a timeout XState would have kept beside its replacement fails the check.
 */
export function expectActorMatchesStepper<TMachine extends AnyStateMachine>(
  machine: TMachine,
  input: InputFrom<TMachine>,
  events: readonly EventFromLogic<TMachine>[],
): { sent: EmittedFrom<TMachine>[]; emitted: EmittedFrom<TMachine>[]; snapshot: SnapshotFrom<TMachine> } {
  const clock = new FrozenClock();
  const actor = replaceTimersOnRearm(createActor(machine as AnyStateMachine, { input, clock }));
  const sent: EmittedFrom<TMachine>[] = [];
  const emitted: EmittedFrom<TMachine>[] = [];
  actor.on('send', (e) => sent.push(e as EmittedFrom<TMachine>));
  actor.on('*', (e) => emitted.push(e as EmittedFrom<TMachine>));
  actor.start();
  try {
    const stepper = new MachineStepper(machine, input);
    const init = stepper.initial(input);
    let snap = init.snapshot;
    const kernelSent: SentMessage[] = sentMessages(init.actions);
    const kernelEmitted = emittedOf(init.actions);
    const kernelTimers = new Map<string, PendingTimer>();
    foldTimers(kernelTimers, init.actions);
    expect(actor.getSnapshot().value).toEqual(snap.value);
    expect(actor.getSnapshot().context).toEqual(snap.context);
    expect(scheduledTimers(actor, clock)).toEqual([...kernelTimers.values()].sort(byId));
    for (const ev of events) {
      // A done actor takes no events; the kernel drops them too, so the stepper is not asked.
      if (snap.status !== 'active') break;
      actor.send(ev);
      const out = stepper.step(snap, ev);
      snap = out.snapshot;
      kernelSent.push(...sentMessages(out.actions));
      kernelEmitted.push(...emittedOf(out.actions));
      foldTimers(kernelTimers, out.actions);
      expect(actor.getSnapshot().value).toEqual(snap.value);
      expect(actor.getSnapshot().context).toEqual(snap.context);
      // A done XState actor has cancelled all its timers; the kernel's would never be delivered to it.
      if (snap.status === 'active') {
        expect(scheduledTimers(actor, clock)).toEqual([...kernelTimers.values()].sort(byId));
      }
    }
    expect(sent).toEqual(kernelSent);
    expect(emitted).toEqual(kernelEmitted);
    return { sent, emitted, snapshot: snap as SnapshotFrom<TMachine> };
  } finally {
    // Stopped even when a check fails, so no actor outlasts the test.
    actor.stop();
  }
}
