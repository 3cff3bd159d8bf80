// Charts for the compiled stepper's equivalence tests: every construct it compiles (parallel regions, nested and
// parallel completion, eventless loops, re-entry, multiple targets, built-in guards, enqueued actions) in one chart.

import { and, assign, createMachine, emit, enqueueActions, not, raise, setup, stateIn } from 'xstate';

type ChartEvent =
  | { type: 'step' }
  | { type: 'bump'; by: number }
  | { type: 'poke' }
  | { type: 'bounce' }
  | { type: 'restart' }
  | { type: 'split' }
  | { type: 'again' }
  | { type: 'halt' }
  | { type: 'xstate.after.100.chart.running.right.y' };

export const chartMachine = setup({
  types: {
    context: {} as { n: number; log: string[]; peer: string; outputs: number[] },
    events: {} as ChartEvent,
    input: {} as { peer: string },
  },
  guards: {
    isBig: ({ context }) => context.n >= 3,
    atLeast: ({ context }, params: { min: number }) => context.n >= params.min,
  },
  actions: {
    note: assign({ log: ({ context, event }) => [...context.log.slice(-3), event.type] }),
    tell: emit(({ context }) => ({ type: 'send', to: context.peer, event: { type: 'chart.changed', n: context.n } })),
    keep: assign({
      outputs: ({ context, event }) => [
        ...context.outputs.slice(-2),
        (event as { output?: { n: number } }).output?.n ?? -1,
      ],
    }),
  },
}).createMachine({
  id: 'chart',
  context: ({ input }) => ({ n: 0, log: [], peer: input.peer, outputs: [] }),
  initial: 'running',
  // A targetless eventless loop: each pass assigns (a new snapshot), so XState selects again until the guard fails.
  always: { guard: ({ context }) => context.n > 6, actions: [assign({ n: ({ context }) => context.n - 2 }), 'note'] },
  states: {
    running: {
      type: 'parallel',
      onDone: { target: 'finished', actions: 'note' },
      on: {
        restart: { target: '#chart.running', reenter: true, actions: 'note' },
        split: { target: ['.left.b.b2', '.right.y'], actions: 'tell' },
      },
      exit: 'note',
      states: {
        left: {
          initial: 'a',
          states: {
            a: {
              on: {
                step: 'b',
                bump: { actions: [assign({ n: ({ context, event }) => context.n + event.by }), 'note'] },
              },
              // Enabled with right.x's twin below at n = 5: the two conflict, and SCXML keeps the first region's.
              always: { guard: ({ context }) => context.n === 5, target: '#chart.finished', actions: 'note' },
            },
            b: {
              initial: 'b1',
              entry: 'tell',
              states: {
                b1: { on: { step: 'b2' } },
                b2: { type: 'final', output: ({ context }) => ({ n: context.n }) },
              },
              onDone: { target: 'done', actions: ['keep', 'tell'] },
            },
            done: { type: 'final' },
          },
        },
        right: {
          initial: 'x',
          states: {
            x: {
              always: [
                { guard: ({ context }) => context.n === 5, target: '#chart.finished', actions: 'tell' },
                { guard: and(['isBig', not(stateIn('#chart.running.left.a'))]), target: 'y' },
              ],
              on: { poke: { target: 'x', reenter: true, actions: 'note' }, bump: { actions: 'tell' } },
            },
            y: {
              entry: raise({ type: 'bounce' }),
              // A delayed transition: XState adds its timer's raise to the entry and its cancel to the exit.
              after: { 100: 'x' },
              on: { bounce: { guard: { type: 'atLeast', params: { min: 4 } }, target: 'z' }, poke: 'x' },
            },
            z: {
              type: 'final',
              entry: enqueueActions(({ enqueue, check }) => {
                if (check('isBig')) enqueue.assign({ n: 1 });
                enqueue('tell');
              }),
            },
          },
        },
      },
    },
    finished: {
      // Emits once per visit: a targetless eventless transition with no assign leaves the snapshot as it was.
      always: { guard: 'isBig', actions: 'tell' },
      on: {
        again: 'running',
        halt: 'end',
        bump: { actions: assign({ n: ({ context, event }) => context.n + event.by }) },
      },
    },
    end: { type: 'final' },
  },
});

export const chartEvents: readonly ChartEvent[] = [
  { type: 'step' },
  { type: 'bump', by: 1 },
  { type: 'bump', by: 2 },
  { type: 'poke' },
  { type: 'bounce' },
  { type: 'restart' },
  { type: 'split' },
  { type: 'again' },
  { type: 'halt' },
  { type: 'xstate.after.100.chart.running.right.y' },
];

/** An eventless loop that never settles, under a microstep limit: both steppers must stop with XState's error. */
export const loopingMachine = createMachine({
  id: 'looping',
  context: { n: 0 },
  initial: 'a',
  states: {
    a: { on: { go: 'b' } },
    b: { always: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
  },
  options: { maxIterations: 25 },
} as never);

/** A guard that throws on `probe`: the error names the guard, the event and the state node. */
export const throwingGuardMachine = setup({
  guards: {
    explodes: () => {
      throw new Error('guard exploded');
    },
  },
}).createMachine({
  id: 'throwing',
  initial: 'a',
  states: { a: { on: { probe: { guard: 'explodes', target: 'b' } } }, b: {} },
});

/** Wildcard descriptors at three depths (`*`, `net.*`, `net.a.*`) beside exact ones, with guards on some. */
export const wildMachine = setup({
  types: { context: {} as { log: string[] }, events: {} as { type: string } },
  actions: {
    note: assign({ log: ({ context, event }) => [...context.log.slice(-3), event.type] }),
    tell: emit(({ event }) => ({ type: 'send', to: 'p/q', event: { type: 'wild.saw', what: event.type } })),
  },
}).createMachine({
  id: 'wild',
  context: { log: [] },
  initial: 'idle',
  on: { '*': { actions: 'note' } },
  states: {
    idle: {
      on: {
        'net.*': { guard: ({ event }) => event.type !== 'net.skip', target: 'busy', actions: 'tell' },
        'net.a.*': 'deep',
        go: 'busy',
      },
    },
    busy: { on: { 'net.a.b': 'idle', 'net.*': { actions: 'tell' }, done: 'idle' } },
    deep: { on: { 'net.a.*': { guard: ({ context }) => context.log.length > 2, target: 'busy' }, '*': 'idle' } },
  },
});

export const wildEvents: readonly { type: string }[] = [
  'go',
  'done',
  'net.x',
  'net.skip',
  'net.a.b',
  'net.a.c',
  'net.a',
  'net',
  'other',
].map((type) => ({ type }));

/** Deep, shallow and defaulted history, one of them in a parallel state: what history states remember and restore. */
export const histMachine = setup({
  types: { context: {} as { n: number }, events: {} as { type: string } },
}).createMachine({
  id: 'hist',
  context: { n: 0 },
  initial: 'off',
  states: {
    off: {
      on: { resume: 'on.deepHist', restore: 'on.shallowHist', start: 'on', fresh: 'on.defaultHist', para: 'par.ph' },
    },
    on: {
      initial: 'a',
      entry: assign({ n: ({ context }) => context.n + 1 }),
      // `again` leaves `on` and comes back through its deep history in one microstep: entering sees what was just saved.
      on: { stop: 'off', next: '.b', leap: '.b.y', again: { target: '.deepHist', reenter: true } },
      states: {
        a: { on: { down: 'b' } },
        b: { initial: 'x', states: { x: { on: { flip: 'y' } }, y: { on: { flip: 'x' } } }, on: { up: 'a' } },
        deepHist: { type: 'history', history: 'deep' },
        shallowHist: { type: 'history', history: 'shallow' },
        defaultHist: { type: 'history', target: 'b.y' },
      },
    },
    par: {
      type: 'parallel',
      on: { stop: 'off' },
      states: {
        p: { initial: 'p1', states: { p1: { on: { flip: 'p2' } }, p2: { on: { flip: 'p1' } } } },
        q: { initial: 'q1', states: { q1: { on: { down: 'q2' } }, q2: {} } },
        ph: { type: 'history', history: 'deep' },
      },
    },
  },
});

export const histEvents: readonly { type: string }[] = [
  'resume',
  'restore',
  'start',
  'fresh',
  'para',
  'stop',
  'next',
  'leap',
  'down',
  'flip',
  'up',
  'again',
].map((type) => ({ type }));
