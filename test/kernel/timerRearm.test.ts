// Pins the one timer rule: a delayed raise under an id already pending replaces the pending timer, under the kernel
// and, through replaceTimersOnRearm, under a plain XState actor. Plain XState keeps both; pinned so an upgrade shows.

import { describe, expect, it } from 'vitest';
import { type AnyActorRef, assign, cancel, createActor, raise, SimulatedClock, setup } from 'xstate';
import { SeededChooser } from '../../src/kernel/chooser.js';
import { replaceTimersOnRearm } from '../../src/kernel/fold.js';
import { Kernel } from '../../src/kernel/kernel.js';
import type { TraceRecord } from '../../src/kernel/trace.js';

/** Arms `tick` on every `test.arm`, never cancelling first; records which arm each delivered tick came from. */
const rearmMachine = setup({
  types: {
    context: {} as { fired: number[] },
    events: {} as { type: 'test.arm'; n: number } | { type: 'test.cancel' } | { type: 'test.tick'; n: number },
  },
}).createMachine({
  id: 'rearm',
  context: { fired: [] },
  on: {
    'test.arm': {
      actions: raise(({ event }) => ({ type: 'test.tick' as const, n: event.type === 'test.arm' ? event.n : 0 }), {
        id: 'tick',
        delay: 100,
      }),
    },
    'test.cancel': { actions: cancel('tick') },
    'test.tick': {
      actions: assign({ fired: ({ context, event }) => [...context.fired, event.type === 'test.tick' ? event.n : 0] }),
    },
  },
});

type Script = readonly (readonly [atUs: number, event: { type: 'test.arm'; n: number } | { type: 'test.cancel' }])[];

/** Arm at 0, re-arm the same id at 60 (due 100 and 160 if both lived), with an optional cancel at `cancelAt`. */
function script(cancelAt?: number): Script {
  const s: Script = [
    [0, { type: 'test.arm', n: 1 }],
    [60, { type: 'test.arm', n: 2 }],
  ];
  return cancelAt === undefined ? s : [...s, [cancelAt, { type: 'test.cancel' }]];
}

/** The ticks the kernel delivers, and the virtual time of its last step. */
function underKernel(events: Script): { fired: number[]; time: number } {
  const k = new Kernel();
  k.register('h/rearm', rearmMachine);
  for (const [at, ev] of events) k.schedule('h/rearm', ev, at);
  const chooser = new SeededChooser(1);
  let state = k.initial(chooser);
  for (let next = k.step(state, chooser); next !== null; next = k.step(state, chooser)) state = next.state;
  return { fired: k.snapshotOf(state, 'h/rearm').context.fired, time: state.time };
}

/** The kernel's trace records of timers, and of the ticks' deliveries, as [type or op, time, seq]. */
function tracedTimers(events: Script): (readonly [string, number, unknown])[] {
  const k = new Kernel();
  k.register('h/rearm', rearmMachine);
  for (const [at, ev] of events) k.schedule('h/rearm', ev, at);
  const records: TraceRecord[] = [];
  const sink = { record: (r: TraceRecord) => records.push(r) };
  const chooser = new SeededChooser(1);
  let state = k.initial(chooser, sink);
  for (let next = k.step(state, chooser, sink); next !== null; next = k.step(state, chooser, sink)) state = next.state;
  return records
    .filter((r) => r.type === '@statevisor.timer' || (r.type === '@xstate.event' && r.timer !== undefined))
    .map((r) => [r.type === '@statevisor.timer' ? String(r.op) : 'fire', r.t as number, r.seq] as const);
}

/** The ticks a `createActor` actor delivers on a simulated clock, `adapt`ed first or not. */
function underXState(events: Script, adapt: (actor: AnyActorRef) => AnyActorRef): number[] {
  const clock = new SimulatedClock();
  const actor = createActor(rearmMachine, { clock });
  adapt(actor);
  actor.start();
  try {
    for (const [at, ev] of events) {
      clock.set(at);
      actor.send(ev);
    }
    clock.set(10_000);
    return actor.getSnapshot().context.fired;
  } finally {
    actor.stop();
  }
}

const asIs = (actor: AnyActorRef): AnyActorRef => actor;

describe('timer re-arm: one rule', () => {
  it('the kernel delivers a re-armed timer exactly once, at the re-arm time + delay', () => {
    expect(underKernel(script())).toEqual({ fired: [2], time: 160 });
  });

  it('a cancel after a re-arm leaves nothing to deliver under the kernel, before or after the first due time', () => {
    expect(underKernel(script(80)).fired).toEqual([]);
    expect(underKernel(script(120)).fired).toEqual([]);
  });

  it('the trace records each arm and cancel (a re-arm is a cancel then an arm) and the fire with the same seq', () => {
    const [arm1, cancel1, arm2, fire] = tracedTimers(script());
    expect([arm1?.[0], arm1?.[1], cancel1?.[0], cancel1?.[1], arm2?.[0], arm2?.[1], fire?.[0], fire?.[1]]).toEqual([
      'arm',
      0,
      'cancel',
      60,
      'arm',
      60,
      'fire',
      160,
    ]);
    expect(cancel1?.[2]).toBe(arm1?.[2]);
    expect(fire?.[2]).toBe(arm2?.[2]);
    expect(tracedTimers(script(80)).map(([op, t]) => [op, t])).toEqual([
      ['arm', 0],
      ['cancel', 60],
      ['arm', 60],
      ['cancel', 80],
    ]);
    // A cancel with nothing pending (the timer fired already) records nothing.
    expect(tracedTimers(script(200)).map(([op]) => op)).toEqual(['arm', 'cancel', 'arm', 'fire']);
  });

  it('a plain XState actor under replaceTimersOnRearm follows the same rule', () => {
    expect(underXState(script(), replaceTimersOnRearm)).toEqual([2]);
    expect(underXState(script(80), replaceTimersOnRearm)).toEqual([]);
    expect(underXState(script(120), replaceTimersOnRearm)).toEqual([]);
  });

  it("replaceTimersOnRearm wraps a system's scheduler once, however often it is called", () => {
    const actor = createActor(rearmMachine);
    const schedule = actor.system.scheduler.schedule;
    expect(replaceTimersOnRearm(replaceTimersOnRearm(actor))).toBe(actor);
    const wrapped = actor.system.scheduler.schedule;
    expect(wrapped).not.toBe(schedule);
    replaceTimersOnRearm(actor);
    expect(actor.system.scheduler.schedule).toBe(wrapped);
  });

  // XState 5's scheduler overwrites the id's timeout handle without clearing it: both fire. A cancel stops only the
  // newer, and none once the older has fired (its callback drops the id's entry). If this starts failing, XState
  // replaces on its own now and replaceTimersOnRearm (src/kernel/fold.ts) can go.
  it('documents the difference: plain XState delivers both timers, and a cancel misses the older one', () => {
    expect(underXState(script(), asIs)).toEqual([1, 2]);
    expect(underXState(script(80), asIs)).toEqual([1]);
    expect(underXState(script(120), asIs)).toEqual([1, 2]);
  });
});
