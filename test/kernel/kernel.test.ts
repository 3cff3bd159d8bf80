// Behaviour of the deterministic kernel: delivery order, timers, links and their faults, crashes,
// partitions, limits, contract errors, hashing, and snapshot/restore of the immutable system state.

import { describe, expect, it } from 'vitest';
import { buildPingPong, PINGER, PONGER } from '../../actors/pingPong.js';
import { canonicalJson } from '../../src/kernel/canonicalJson.js';
import type { Chooser } from '../../src/kernel/chooser.js';
import { ReplayChooser, SeededChooser } from '../../src/kernel/chooser.js';
import { KernelError, LimitError } from '../../src/kernel/errors.js';
import type { KernelConfig } from '../../src/kernel/kernel.js';
import { Kernel, PERFECT_LINK } from '../../src/kernel/kernel.js';
import type { LinkConfig, SystemState } from '../../src/kernel/types.js';
import { emptyStats } from '../../src/kernel/types.js';
import { burstMachine, sinkMachine, timerMachine } from './fixtures.js';

function runAll(kernel: Kernel, chooser: Chooser, stats = emptyStats()): SystemState {
  let state = kernel.initial(chooser);
  for (let i = 0; i < 10_000; i++) {
    const next = kernel.step(state, chooser, null, stats);
    if (next === null) return state;
    state = next.state;
  }
  throw new Error('did not quiesce');
}

function pair(config: KernelConfig, sinkAddress = 'hostB/sink') {
  const k = new Kernel(config);
  k.register('hostA/burst', burstMachine, { input: { peer: sinkAddress } });
  k.register(sinkAddress, sinkMachine);
  return k;
}

const jittery: LinkConfig = { ...PERFECT_LINK, latencyUs: { min: 0, max: 100 }, ordered: false };

describe('kernel', () => {
  it('keeps local channels FIFO whatever the seed', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const k = pair({}, 'hostA/sink');
      k.schedule('hostA/burst', { type: 'test.burst' });
      const s = runAll(k, new SeededChooser(seed));
      expect(k.snapshotOf(s, 'hostA/sink').context.got).toEqual([1, 2, 3]);
    }
  });

  it('reorders on an unordered link for some seed, never on an ordered one', () => {
    const orders = new Set<string>();
    for (let seed = 1; seed <= 40; seed++) {
      const k = pair({ links: { 'hostA<->hostB': jittery } });
      k.schedule('hostA/burst', { type: 'test.burst' });
      orders.add(JSON.stringify(k.snapshotOf(runAll(k, new SeededChooser(seed)), 'hostB/sink').context.got));
      const fifo = pair({ links: { 'hostA<->hostB': { ...jittery, ordered: true } } });
      fifo.schedule('hostA/burst', { type: 'test.burst' });
      expect(fifo.snapshotOf(runAll(fifo, new SeededChooser(seed)), 'hostB/sink').context.got).toEqual([1, 2, 3]);
    }
    expect(orders.size).toBeGreaterThan(1);
  });

  it('advances virtual time to the latency drawn for each message', () => {
    const k = pair({ links: { 'hostA->hostB': { latencyUs: { min: 250, max: 250 } } } });
    k.schedule('hostA/burst', { type: 'test.fire', n: 9 }, 1_000);
    const s = runAll(k, new SeededChooser(1));
    expect(s.time).toBe(1_250);
    expect(k.snapshotOf(s, 'hostB/sink').context.got).toEqual([9]);
  });

  it('drops every message on a link with dropRate 1 and doubles them with duplicateRate 1', () => {
    const lossy = pair({ links: { 'hostA<->hostB': { dropRate: 1 } } });
    lossy.schedule('hostA/burst', { type: 'test.burst' });
    const stats = emptyStats();
    expect(lossy.snapshotOf(runAll(lossy, new SeededChooser(1), stats), 'hostB/sink').context.got).toEqual([]);
    expect(stats.droppedOnSend).toBe(3);

    const dup = pair({ links: { 'hostA<->hostB': { duplicateRate: 1 } } });
    dup.schedule('hostA/burst', { type: 'test.fire', n: 4 });
    expect(dup.snapshotOf(runAll(dup, new SeededChooser(1)), 'hostB/sink').context.got).toEqual([4, 4]);
  });

  it('fires a delayed raise as a timer at now + delay, and cancel removes it', () => {
    const k = new Kernel();
    k.register('h/timer', timerMachine);
    k.schedule('h/timer', { type: 'test.arm' }, 10);
    let s = runAll(k, new SeededChooser(1));
    expect(s.time).toBe(110);
    expect(k.snapshotOf(s, 'h/timer').context.fired).toBe(1);

    const c = new Kernel();
    c.register('h/timer', timerMachine);
    c.schedule('h/timer', { type: 'test.arm' }, 10);
    c.schedule('h/timer', { type: 'test.cancel' }, 50);
    s = runAll(c, new SeededChooser(1));
    expect(s.time).toBe(50);
    expect(c.snapshotOf(s, 'h/timer').context.fired).toBe(0);
  });

  it('replaces a pending timer when the same id is armed again', () => {
    const k = new Kernel();
    k.register('h/timer', timerMachine);
    k.schedule('h/timer', { type: 'test.arm' }, 0);
    k.schedule('h/timer', { type: 'test.arm' }, 60);
    const s = runAll(k, new SeededChooser(1));
    expect(s.time).toBe(160);
    expect(k.snapshotOf(s, 'h/timer').context.fired).toBe(1);
  });

  it('crashes a group: its timers die and messages to it are dropped', () => {
    const k = new Kernel({ faults: [{ kind: 'crash', victims: ['hostB'], at: { fromUs: 20, toUs: 20 } }] });
    k.register('hostA/burst', burstMachine, { input: { peer: 'hostB/sink' } });
    k.register('hostB/sink', sinkMachine);
    k.register('hostB/timer', timerMachine);
    k.schedule('hostB/timer', { type: 'test.arm' }, 0);
    k.schedule('hostA/burst', { type: 'test.fire', n: 1 }, 10);
    k.schedule('hostA/burst', { type: 'test.fire', n: 2 }, 30);
    const stats = emptyStats();
    const s = runAll(k, new SeededChooser(1), stats);
    expect(k.isDown(s, 'hostB')).toBe(true);
    expect(k.snapshotOf(s, 'hostB/sink').context.got).toEqual([1]);
    expect(k.snapshotOf(s, 'hostB/timer').context.fired).toBe(0);
    expect(stats.droppedOnDelivery).toBe(1);
    expect(s.time).toBe(30);
  });

  it('partitions and heals a link at chooser-drawn instants', () => {
    const k = new Kernel({
      faults: [{ kind: 'partition', pairs: [['hostA', 'hostB']], at: { fromUs: 5, toUs: 5 }, healAfterUs: 100 }],
    });
    k.register('hostA/burst', burstMachine, { input: { peer: 'hostB/sink' } });
    k.register('hostB/sink', sinkMachine);
    k.schedule('hostA/burst', { type: 'test.fire', n: 1 }, 0);
    k.schedule('hostA/burst', { type: 'test.fire', n: 2 }, 50);
    k.schedule('hostA/burst', { type: 'test.fire', n: 3 }, 200);
    const s = runAll(k, new SeededChooser(1));
    expect(k.snapshotOf(s, 'hostB/sink').context.got).toEqual([1, 3]);
    expect(s.cut).toEqual([]);
  });

  it('draws a fault instant inside its window through the chooser', () => {
    const times = new Set<number>();
    for (let seed = 1; seed <= 30; seed++) {
      const k = new Kernel({
        faults: [{ kind: 'crash', victims: ['hostB'], at: { fromUs: 100, toUs: 500, stepUs: 100 } }],
      });
      k.register('hostB/sink', sinkMachine);
      const s = runAll(k, new SeededChooser(seed));
      times.add(s.time);
    }
    expect([...times].sort()).toEqual([100, 200, 300, 400, 500]);
  });

  it('fails with a LimitError naming the queue limit', () => {
    const k = pair({ maxQueue: 2 }, 'hostA/sink');
    k.schedule('hostA/burst', { type: 'test.burst' });
    expect(() => runAll(k, new SeededChooser(1))).toThrow(LimitError);
    const k2 = pair({ maxQueue: 2 }, 'hostA/sink');
    k2.schedule('hostA/burst', { type: 'test.burst' });
    expect(() => runAll(k2, new SeededChooser(1))).toThrow(
      /queue depth limit reached: 3 pending deliveries > 2 at step 1/,
    );
  });

  it('names the sender and the address of a message to nobody', () => {
    const k = pair({});
    k.schedule('hostA/burst', { type: 'test.stray' });
    expect(() => runAll(k, new SeededChooser(1))).toThrow(
      new KernelError("actor 'hostA/burst' sent 'test.msg' to unknown address 'nowhere/at-all'"),
    );
  });

  it('refuses emitted events other than send', () => {
    const k = pair({});
    k.schedule('hostA/burst', { type: 'test.shout' });
    expect(() => runAll(k, new SeededChooser(1))).toThrow(/emitted 'shout'; components emit only/);
  });

  it('refuses registration after start, duplicate addresses and faults on unknown groups', () => {
    const k = pair({});
    expect(() => k.register('hostA/burst', sinkMachine)).toThrow(/registered twice/);
    k.initial(new SeededChooser(1));
    expect(() => k.register('hostC/x', sinkMachine)).toThrow(/already started/);
    const bad = new Kernel({ faults: [{ kind: 'crash', victims: ['hostZ'], at: { fromUs: 0, toUs: 0 } }] });
    bad.register('hostA/sink', sinkMachine);
    expect(() => bad.initial(new SeededChooser(1))).toThrow(/fault plan names group 'hostZ'/);
  });

  it('reads a two-way link key in either order: hostB<->hostA configures the same link as hostA<->hostB', () => {
    for (const key of ['hostA<->hostB', 'hostB<->hostA']) {
      const k = pair({ links: { [key]: { dropRate: 0.5 } } });
      expect(k.link('hostA', 'hostB').dropRate, key).toBe(0.5);
      expect(k.link('hostB', 'hostA').dropRate, key).toBe(0.5);
    }
  });

  it('refuses link keys that name unknown groups, have no arrow, or give one pair both ways', () => {
    const start = (links: KernelConfig['links']) => pair({ links }).initial(new SeededChooser(1));
    expect(() => start({ 'hostA<->hostZ': { dropRate: 0.1 } })).toThrow(
      new KernelError("links: 'hostA<->hostZ' names group 'hostZ', which has no actors (groups: hostA, hostB)"),
    );
    expect(() => start({ hostA: { dropRate: 0.1 } })).toThrow(/links: key 'hostA' is not 'a<->b' or 'a->b'/);
    expect(() => start({ 'hostA<->hostB': {}, 'hostB<->hostA': {} })).toThrow(/name the same pair; keep one/);
    expect(() => start({ 'hostA->hostB': { dropRate: 0.1 }, 'hostB->hostA': {} })).not.toThrow();
  });

  it('offers only the earliest-due deliveries as choices', () => {
    const k = pair({});
    k.schedule('hostB/sink', { type: 'test.bump' }, 0);
    k.schedule('hostB/sink', { type: 'test.bump' }, 0);
    k.schedule('hostB/sink', { type: 'test.bump' }, 7);
    const s = k.initial(new SeededChooser(1));
    expect(k.enabled(s)).toEqual([0, 1]);
  });

  it('hashes equal states equally whatever path reached them, and differently otherwise', () => {
    const build = () => {
      const k = pair({});
      k.schedule('hostB/sink', { type: 'test.bump' }, 0);
      k.schedule('hostB/sink', { type: 'test.msg', n: 5 }, 0);
      return k;
    };
    const a = build();
    const b = build();
    const sa = a.step(a.initial(new ReplayChooser([])), new ReplayChooser([0]))!.state;
    const sb = b.step(b.initial(new ReplayChooser([])), new ReplayChooser([1]))!.state;
    expect(a.hashState(sa)).not.toBe(b.hashState(sb));
    const fa = a.step(sa, new ReplayChooser([]))!.state;
    const fb = b.step(sb, new ReplayChooser([]))!.state;
    expect(a.hashState(fa)).toBe(b.hashState(fb));
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
  });

  it('leaves a saved state untouched while two branches are explored from it', () => {
    const k = buildPingPong({
      pingCount: 5,
      timeoutUs: 1_000,
      maxRetries: 2,
      link: { ...PERFECT_LINK, latencyUs: { min: 10, max: 400 }, dropRate: 0.2, duplicateRate: 0.1, ordered: false },
      faults: [],
    });
    let saved = k.initial(new SeededChooser(9));
    for (let i = 0; i < 4; i++) saved = k.step(saved, new SeededChooser(i))!.state;
    deepFreezeState(saved);
    const hashBefore = k.hashState(saved);
    const jsonBefore = stateJson(saved);

    const explore = (seed: number) => {
      let s = saved;
      const chooser = new SeededChooser(seed);
      for (let i = 0; i < 40; i++) {
        const next = k.step(s, chooser);
        if (next === null) break;
        s = next.state;
      }
      return k.hashState(s);
    };
    const first = explore(1);
    const second = explore(2);
    expect(second).not.toBe(first);
    expect(k.hashState(saved)).toBe(hashBefore);
    expect(stateJson(saved)).toBe(jsonBefore);
    // Restoring is re-using the reference: the same branch from it ends in the same state.
    expect(explore(1)).toBe(first);
    expect(k.snapshotOf(saved, PINGER).status).toBe('active');
    expect(k.snapshotOf(saved, PONGER).status).toBe('active');
  });
});

function stateJson(s: SystemState): string {
  return JSON.stringify({
    time: s.time,
    step: s.step,
    seq: s.seq,
    snapshots: s.snapshots.map((x) => ({ value: x.value, context: x.context, status: x.status })),
    pending: s.pending,
    down: s.down,
    cut: s.cut,
  });
}

/** Freezes everything the kernel owns, so any write to a saved state throws in strict mode. */
function deepFreezeState(s: SystemState): void {
  const freeze = (o: unknown): void => {
    if (o === null || typeof o !== 'object' || Object.isFrozen(o)) return;
    Object.freeze(o);
    for (const v of Object.values(o)) freeze(v);
  };
  Object.freeze(s);
  freeze(s.pending);
  freeze(s.down);
  freeze(s.cut);
  Object.freeze(s.snapshots);
  for (const snap of s.snapshots) {
    freeze(snap.context);
    Object.freeze(snap);
  }
}
