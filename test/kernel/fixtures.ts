// Machines used only by the kernel's tests: one rich chart for the stepper equivalence test and a few
// contract breakers (sendTo, invoke, spawn) the kernel must refuse.

import { assign, cancel, createMachine, emit, fromPromise, raise, sendParent, sendTo, setup, spawnChild } from 'xstate';

/** Nested, parallel, history, always, after, raise, delayed raise, cancel, emit: everything the kernel folds. */
export const richMachine = setup({
  types: {
    context: {} as { n: number; log: string[]; peer: string },
    events: {} as
      | { type: 'go' }
      | { type: 'toggle' }
      | { type: 'bump'; by: number }
      | { type: 'tick' }
      | { type: 'reset' }
      | { type: 'arm' }
      | { type: 'disarm' }
      | { type: 'alarm' },
    input: {} as { peer: string },
  },
  guards: {
    isBig: ({ context }) => context.n >= 5,
    isOdd: ({ context }) => context.n % 2 === 1,
  },
  actions: {
    note: assign({ log: ({ context, event }) => [...context.log.slice(-3), event.type] }),
    tell: emit(({ context }) => ({ type: 'send', to: context.peer, event: { type: 'rich.changed', n: context.n } })),
  },
}).createMachine({
  id: 'rich',
  context: ({ input }) => ({ n: 0, log: [], peer: input.peer }),
  type: 'parallel',
  states: {
    motor: {
      initial: 'off',
      states: {
        off: { on: { go: { target: 'on', actions: ['note', 'tell'] } } },
        on: {
          initial: 'slow',
          states: {
            slow: { on: { toggle: 'fast' }, after: { 100: 'fast' } },
            fast: { on: { toggle: 'slow' }, always: { guard: 'isBig', target: '#rich.motor.overheated' } },
            hist: { type: 'history', history: 'shallow' },
          },
          on: { go: { target: 'off', actions: 'note' } },
        },
        overheated: {
          entry: raise({ type: 'reset' }, { delay: 250, id: 'cooldown' }),
          on: { reset: { target: 'on.hist', actions: [assign({ n: 0 }), 'tell'] } },
        },
      },
    },
    counter: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            bump: { actions: [assign({ n: ({ context, event }) => context.n + event.by }), 'note'] },
            tick: [{ guard: 'isOdd', actions: [raise({ type: 'bump', by: 1 }), 'note'] }, { actions: 'note' }],
            arm: 'armed',
          },
        },
        armed: {
          entry: raise({ type: 'alarm' }, { delay: 40, id: 'alarm' }),
          exit: cancel('alarm'),
          on: { disarm: 'idle', alarm: { target: 'idle', actions: ['note', 'tell'] } },
        },
      },
    },
  },
});

export const richEvents = [
  { type: 'go' },
  { type: 'toggle' },
  { type: 'bump', by: 1 },
  { type: 'bump', by: 3 },
  { type: 'tick' },
  { type: 'reset' },
  { type: 'arm' },
  { type: 'disarm' },
  { type: 'alarm' },
  { type: 'xstate.after.100.rich.motor.on.slow' },
] as const;

export const sendToMachine = createMachine({
  id: 'leaky',
  initial: 'a',
  states: {
    a: { on: { go: { target: 'b', actions: sendTo('someone', { type: 'hello' }) } } },
    b: {},
  },
});

export const sendParentMachine = createMachine({
  id: 'child',
  initial: 'a',
  states: { a: { entry: sendParent({ type: 'up' }) } },
});

export const invokeMachine = createMachine({
  id: 'invoker',
  initial: 'loading',
  states: {
    loading: { invoke: { src: fromPromise(async () => 1), onDone: 'done' } },
    done: {},
  },
});

export const spawnMachine = createMachine({
  id: 'spawner',
  initial: 'a',
  states: { a: { on: { go: { target: 'b' } } }, b: { entry: spawnChild(fromPromise(async () => 1)) } },
});

export const namedSendToMachine = setup({
  actions: { notify: sendTo('x', { type: 'y' }) },
}).createMachine({
  id: 'named',
  initial: 'a',
  states: { a: { on: { go: { target: 'deep' } } }, deep: { initial: 'inner', states: { inner: { exit: 'notify' } } } },
});

/** Sends a burst of three numbered messages to its peer in one transition, or one on `test.fire`. */
export const burstMachine = setup({
  types: {
    context: {} as { peer: string },
    events: {} as
      | { type: 'test.burst' }
      | { type: 'test.fire'; n: number }
      | { type: 'test.stray' }
      | { type: 'test.shout' },
    input: {} as { peer: string },
  },
}).createMachine({
  id: 'burst',
  context: ({ input }) => ({ peer: input.peer }),
  on: {
    'test.burst': {
      actions: [1, 2, 3].map((n) =>
        emit(({ context }) => ({ type: 'send', to: context.peer, event: { type: 'test.msg', n } }) as never),
      ),
    },
    'test.fire': {
      actions: emit(
        ({ context, event }) => ({ type: 'send', to: context.peer, event: { type: 'test.msg', n: event.n } }) as never,
      ),
    },
    'test.stray': { actions: emit({ type: 'send', to: 'nowhere/at-all', event: { type: 'test.msg', n: 0 } } as never) },
    'test.shout': { actions: emit({ type: 'shout' } as never) },
  },
});

/** Records the numbers it receives, in order, and counts bumps (order-independent state). */
export const sinkMachine = setup({
  types: {
    context: {} as { got: number[]; bumps: number },
    events: {} as { type: 'test.msg'; n: number } | { type: 'test.bump' },
  },
}).createMachine({
  id: 'sink',
  context: { got: [], bumps: 0 },
  on: {
    'test.msg': { actions: assign({ got: ({ context, event }) => [...context.got, event.n] }) },
    'test.bump': { actions: assign({ bumps: ({ context }) => context.bumps + 1 }) },
  },
});

/** Arms a 100 µs timer on `test.arm`; `test.cancel` cancels it; counts firings. */
export const timerMachine = setup({
  types: {
    context: {} as { fired: number },
    events: {} as { type: 'test.arm' } | { type: 'test.cancel' } | { type: 'test.tick' },
  },
}).createMachine({
  id: 'timer',
  context: { fired: 0 },
  initial: 'idle',
  states: {
    idle: { on: { 'test.arm': 'armed' } },
    armed: {
      entry: raise({ type: 'test.tick' }, { delay: 100, id: 'tick' }),
      on: {
        'test.arm': { target: 'armed', reenter: true },
        'test.cancel': { target: 'idle', actions: cancel('tick') },
        'test.tick': { target: 'idle', actions: assign({ fired: ({ context }) => context.fired + 1 }) },
      },
    },
  },
});
