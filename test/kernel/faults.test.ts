// The kernel's fault model: victims and pairs chosen by the chooser, restarts (fresh and durable actors), the
// run-wide budget of message faults, drifting clocks, link bandwidth and draws — each checked by its effect.

import { describe, expect, it } from 'vitest';
import { assign, emit, setup } from 'xstate';
import { forEachInitial, forEachSuccessor } from '../../src/check/successors.js';
import { SeededChooser } from '../../src/kernel/chooser.js';
import { Kernel, type KernelConfig, PERFECT_LINK } from '../../src/kernel/kernel.js';
import type { SystemState } from '../../src/kernel/types.js';
import { burstMachine, sinkMachine, timerMachine } from './fixtures.js';

function runAll(kernel: Kernel, seed = 1): SystemState {
  const chooser = new SeededChooser(seed);
  let state = kernel.initial(chooser);
  for (let i = 0; i < 10_000; i++) {
    const next = kernel.step(state, chooser);
    if (next === null) return state;
    state = next.state;
  }
  throw new Error('did not quiesce');
}

/** Counts `host.restarted` deliveries and keeps a number it was told, so a restart shows what survived. */
const restartable = setup({
  types: {
    context: {} as { kept: number; restarts: number },
    events: {} as { type: 'test.keep'; n: number } | { type: 'host.restarted' },
  },
}).createMachine({
  id: 'restartable',
  context: { kept: 0, restarts: 0 },
  on: {
    'test.keep': { actions: assign({ kept: ({ event }) => event.n }) },
    'host.restarted': { actions: assign({ restarts: ({ context }) => context.restarts + 1 }) },
  },
});

/** Asks for a draw on `test.ask` and records every answer it is given. */
/** Reads its clock when told to, keeping each reading: how a lease holder compares times. */
const clockReader = setup({
  types: {
    context: {} as { readings: number[] },
    events: {} as { type: 'test.read' } | { type: 'test.now'; nowUs: number },
  },
}).createMachine({
  id: 'clockReader',
  context: { readings: [] },
  on: {
    'test.read': { actions: emit({ type: 'clock', event: { type: 'test.now' } } as never) },
    'test.now': { actions: assign({ readings: ({ context, event }) => [...context.readings, event.nowUs] }) },
  },
});

const asker = setup({
  types: {
    context: {} as { answers: number[] },
    events: {} as { type: 'test.ask' } | { type: 'test.answer'; value: number },
  },
}).createMachine({
  id: 'asker',
  context: { answers: [] },
  on: {
    'test.ask': {
      actions: emit({
        type: 'draw',
        options: 3,
        label: 'test.draw',
        event: { type: 'test.answer', value: 0 },
      } as never),
    },
    'test.answer': { actions: assign({ answers: ({ context, event }) => [...context.answers, event.value] }) },
  },
});

describe('kernel faults', () => {
  it('picks the crash victim among those listed, through the chooser', () => {
    const victims = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const k = new Kernel({
        faults: [{ kind: 'crash', victims: ['hostA', 'hostB', 'hostC'], at: { fromUs: 10, toUs: 10 } }],
      });
      for (const h of ['hostA', 'hostB', 'hostC']) k.register(`${h}/sink`, sinkMachine);
      const s = runAll(k, seed);
      victims.add(['hostA', 'hostB', 'hostC'].filter((h) => k.isDown(s, h)).join());
    }
    expect([...victims].sort()).toEqual(['hostA', 'hostB', 'hostC']);
  });

  it('restarts a crashed group: fresh actors boot anew, durable ones keep their state, all hear host.restarted', () => {
    const k = new Kernel({
      faults: [{ kind: 'crash', victims: ['hostB'], at: { fromUs: 50, toUs: 50 }, restartAfterUs: 100 }],
    });
    k.register('hostB/fresh', restartable);
    k.register('hostB/durable', restartable, { durable: true });
    k.schedule('hostB/fresh', { type: 'test.keep', n: 7 }, 10);
    k.schedule('hostB/durable', { type: 'test.keep', n: 9 }, 10);
    const s = runAll(k);
    expect(k.isDown(s, 'hostB')).toBe(false);
    expect(s.time).toBe(150);
    expect(k.snapshotOf(s, 'hostB/fresh').context).toEqual({ kept: 0, restarts: 1 });
    expect(k.snapshotOf(s, 'hostB/durable').context).toEqual({ kept: 9, restarts: 1 });
  });

  it('restarts only the victims named restartable', () => {
    const k = new Kernel({
      faults: [
        { kind: 'crash', victims: ['hostA'], at: { fromUs: 5, toUs: 5 }, restartAfterUs: 10, restartable: ['hostB'] },
      ],
    });
    k.register('hostA/x', restartable);
    k.register('hostB/x', restartable);
    expect(k.isDown(runAll(k), 'hostA')).toBe(true);
  });

  it('chooses which pair a partition cuts, and heals it', () => {
    const cuts = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const k = new Kernel({
        faults: [
          {
            kind: 'partition',
            pairs: [
              ['hostA', 'hostB'],
              ['hostA', 'hostC'],
            ],
            at: { fromUs: 0, toUs: 0 },
            healAfterUs: 50,
          },
        ],
      });
      for (const h of ['hostA', 'hostB', 'hostC']) k.register(`${h}/sink`, sinkMachine);
      const first = k.step(k.initial(new SeededChooser(seed)), new SeededChooser(seed));
      cuts.add((first?.state.cut ?? []).join());
    }
    expect([...cuts].sort()).toEqual(['hostA|hostB', 'hostA|hostC']);
  });

  it('spends at most the budget of drops: with drops: 1 and dropRate 0.5, one message of many is lost at most', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const k = pairWith({ links: { 'hostA<->hostB': { ...PERFECT_LINK, dropRate: 0.5 } }, faultBudget: { drops: 1 } });
      for (let i = 0; i < 10; i++) k.schedule('hostA/burst', { type: 'test.fire', n: i }, i);
      const s = runAll(k, seed);
      expect(s.used[0]).toBeLessThanOrEqual(1);
      expect((k.snapshotOf(s, 'hostB/sink').context.got as number[]).length).toBe(10 - s.used[0]);
    }
  });

  it('enumerates every placement of the one drop the budget allows, and no second one', () => {
    const k = pairWith({ links: { 'hostA<->hostB': { ...PERFECT_LINK, dropRate: 0.5 } }, faultBudget: { drops: 1 } });
    for (let i = 0; i < 3; i++) k.schedule('hostA/burst', { type: 'test.fire', n: i }, i * 10);
    const outcomes = new Set<string>();
    const walk = (state: SystemState): void => {
      const n = forEachSuccessor(k, state, (r) => {
        walk(r.state);
        return undefined;
      });
      if (n === 0) outcomes.add(JSON.stringify(k.snapshotOf(state, 'hostB/sink').context.got));
    };
    forEachInitial(k, (s) => {
      walk(s);
      return undefined;
    });
    expect([...outcomes].sort()).toEqual(['[0,1,2]', '[0,1]', '[0,2]', '[1,2]']);
  });

  it('runs timers on a drifting clock: +10% fires a 100 µs timer after 91 µs, -10% after 111 µs', () => {
    const due = new Set<number>();
    for (let seed = 1; seed <= 20; seed++) {
      const k = new Kernel({ clocks: { driftPpm: 100_000, groups: ['hostA'] } });
      k.register('hostA/timer', timerMachine);
      k.schedule('hostA/timer', { type: 'test.arm' }, 0);
      due.add(runAll(k, seed).time);
    }
    expect([...due].sort((a, b) => a - b)).toEqual([91, 111]);
  });

  it('queues messages behind each other on a link with a bandwidth', () => {
    const k = pairWith({
      links: { 'hostA<->hostB': { ...PERFECT_LINK, latencyUs: { min: 10, max: 10 }, bytesPerUs: 2 } },
      messageBytes: () => 100,
    });
    k.schedule('hostA/burst', { type: 'test.burst' }, 0);
    // Three 100-byte messages at 2 bytes/µs leave at 50, 100, 150 µs and arrive 10 µs later.
    const s = runAll(k);
    expect(s.time).toBe(160);
    expect(k.snapshotOf(s, 'hostB/sink').context.got).toEqual([1, 2, 3]);
  });

  it('answers a clock read at once with the host clock: real time where it keeps time, drifted where it drifts', () => {
    const seen = new Set<string>();
    for (let seed = 1; seed <= 20; seed++) {
      const k = new Kernel({ clocks: { driftPpm: 100_000, groups: ['hostA'] } });
      k.register('hostA/reader', clockReader);
      k.register('hostB/reader', clockReader);
      for (const at of [0, 1000, 5000]) {
        k.schedule('hostA/reader', { type: 'test.read' }, at);
        k.schedule('hostB/reader', { type: 'test.read' }, at);
      }
      const s = runAll(k, seed);
      expect(k.snapshotOf(s, 'hostB/reader').context.readings).toEqual([0, 1000, 5000]);
      seen.add(JSON.stringify(k.snapshotOf(s, 'hostA/reader').context.readings));
    }
    // A clock 10% fast reads 1100 at real 1000; 10% slow reads 900. Its timers agree (91 / 111 µs above).
    expect([...seen].sort()).toEqual(['[0,1100,5500]', '[0,900,4500]']);
  });

  it('answers a draw at once, inside the same step, with a chooser pick among its options', () => {
    const answers = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const k = new Kernel();
      k.register('h/asker', asker);
      k.schedule('h/asker', { type: 'test.ask' }, 0);
      const s = runAll(k, seed);
      expect(s.step).toBe(1);
      const got = k.snapshotOf(s, 'h/asker').context.answers as number[];
      expect(got.length).toBe(1);
      answers.add(got[0] as number);
    }
    expect([...answers].sort()).toEqual([0, 1, 2]);
  });
});

function pairWith(config: KernelConfig): Kernel {
  const k = new Kernel(config);
  k.register('hostA/burst', burstMachine, { input: { peer: 'hostB/sink' } });
  k.register('hostB/sink', sinkMachine);
  return k;
}
