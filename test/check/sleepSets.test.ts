// Sleep sets keep every registered mutant's shortest counterexample (same spec, same pinned length, and its trace
// replays to it) while taking fewer transitions; footprints commute only when disjoint; the CLI refuses misuse.

import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { runCheck } from '../../src/check/check.js';
import { explore } from '../../src/check/explore.js';
import { FingerprintSet } from '../../src/check/fingerprintSet.js';
import { type Sleep, SleepBook } from '../../src/check/sleep.js';
import { Footprint, independent } from '../../src/kernel/footprint.js';
import { Kernel, PERFECT_LINK } from '../../src/kernel/kernel.js';
import { fail, type Monitor, payload } from '../../src/kernel/observe.js';
import type { Pending, SystemState } from '../../src/kernel/types.js';
import { mutants } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';
import { expectBadInput, here } from '../cli/inProcess.js';
import { burstMachine, sinkMachine } from '../kernel/fixtures.js';
import { LENGTHS } from './mutantLengths.js';

const now = () => 0;

function fp(build: (f: Footprint) => void): Footprint {
  const f = new Footprint();
  build(f);
  return f;
}

describe('footprints', () => {
  it('commute when disjoint, and not when one writes what the other reads or writes', () => {
    const a = fp((f) => f.writeActor(1));
    expect(
      independent(
        a,
        fp((f) => f.writeActor(2)),
      ),
    ).toBe(true);
    expect(
      independent(
        a,
        fp((f) => f.readActor(1)),
      ),
    ).toBe(false);
    expect(
      independent(
        fp((f) => f.readActor(1)),
        a,
      ),
    ).toBe(false);
    // Two monitors fed without changing them end where they started either way round.
    expect(
      independent(
        fp((f) => f.readMonitor(0)),
        fp((f) => f.readMonitor(0)),
      ),
    ).toBe(true);
    expect(
      independent(
        fp((f) => f.readMonitor(0)),
        fp((f) => f.writeMonitor(0)),
      ),
    ).toBe(false);
    expect(
      independent(
        fp((f) => f.readBudget()),
        fp((f) => f.writeBudget()),
      ),
    ).toBe(false);
    expect(
      independent(
        fp((f) => f.useLink(3)),
        fp((f) => f.useLink(3)),
      ),
    ).toBe(false);
    expect(
      independent(
        fp((f) => f.touchAll()),
        fp(() => {}),
      ),
    ).toBe(false);
    // Kinds do not collide: actor 1 and monitor 1 are different things.
    expect(
      independent(
        fp((f) => f.writeActor(1)),
        fp((f) => f.writeMonitor(1)),
      ),
    ).toBe(true);
  });
});

/** Transitions without and with sleep sets, states the same: a reduction that never skips would show here. */
const PINNED: [scenario: string, config: string, states: number, off: number, on: number][] = [
  ['relay-ring', 'ring', 318, 615, 427],
  ['ha-mixed', 'shared-nic', 1036, 2066, 1058],
  ['ha-failover', 'primary-crash', 3651, 4650, 3660],
];

describe('sleep sets', () => {
  for (const [name, config, states, off, on] of PINNED) {
    it(`Check: ${name} ${config}: ${states} states in ${on} transitions instead of ${off}, BFS and DFS`, () => {
      const req = { scenario: findScenario(name), config, now };
      const bfs = runCheck({ ...req, mode: 'bfs', sleepSets: true }).result;
      expect([bfs.verdict, bfs.states, bfs.transitions]).toEqual(['holds', states, on]);
      expect(runCheck({ ...req, mode: 'bfs' }).result.transitions).toBe(off);
      const dfs = runCheck({ ...req, mode: 'dfs', sleepSets: true }).result;
      expect([dfs.verdict, dfs.states]).toEqual(['holds', states]);
      expect(dfs.transitions).toBeLessThan(runCheck({ ...req, mode: 'dfs' }).result.transitions);
    });
  }

  it('Check: a search cut by a depth or a state bound visits the same states with sleep sets as without', () => {
    const bounded = [
      { config: 'crash-for-good', maxDepth: 100 },
      { config: 'crash', maxStates: 5000 },
    ];
    for (const bound of bounded) {
      const req = { scenario: findScenario('ha-failover'), mode: 'bfs' as const, now, ...bound };
      const off = runCheck(req).result;
      const on = runCheck({ ...req, sleepSets: true }).result;
      expect(on.verdict).toBe('bound-hit');
      const seen = (r: typeof on) => [r.states, r.maxDepth, r.boundsHit, r.sometimes.map((x) => x.reachedAtStep)];
      expect(seen(on)).toEqual(seen(off));
      expect(on.transitions).toBeLessThan(off.transitions);
    }
  });

  for (const m of mutants) {
    it(`Mutants: ${m.name}: killed by ${m.expectedSpec} in ${LENGTHS[m.name]} steps with sleep sets too`, () => {
      const report = runCheck({
        scenario: findScenario(m.scenario),
        mode: 'bfs',
        now,
        mutant: m.name,
        sleepSets: true,
        ...(m.config !== undefined ? { config: m.config } : {}),
      });
      const cex = report.result.counterexample;
      expect(cex?.violation.spec, `${m.name} survived (${report.result.verdict})`).toBe(m.expectedSpec);
      expect(cex?.steps).toBe(LENGTHS[m.name]);
      expect(report.trace?.violatedAtStep).toBe(cex?.steps);
    });
  }

  it('CLI: --sleep-sets is refused beside --workers 2 and with random walks, one line and exit 2', async () => {
    expectBadInput(await here('check', 'ping-pong', '--sleep-sets', '--workers', '2'), /^statevisor: --sleep-sets: /);
    expectBadInput(await here('check', 'ping-pong', '--sleep-sets', '--mode', 'swarm'), /--sleep-sets: only with/);
    const ok = await here('check', 'relay-ring', '--sleep-sets');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toMatch(/sleep sets: 188 deliveries skipped as already explored in another order; 0 states/);
  });
});

describe('sleep-set bookkeeping (SleepBook)', () => {
  const item = (to: number, seq: number): Pending => ({
    seq,
    kind: 'message',
    due: 10,
    sentAt: 0,
    from: 9,
    to,
    event: { type: 'x' },
    ordered: true,
    timerId: undefined,
    fault: undefined,
  });
  /** Two copies of one state, as two arrivals hold it: equal items, different objects (and send order). */
  const a = [item(1, 1), item(2, 2), item(3, 3)];
  const b = [item(3, 7), item(2, 8), item(1, 9)];
  const state = (pending: Pending[]) => ({ pending }) as unknown as SystemState;
  const asleep = (pending: Pending[], ...to: number[]): Sleep =>
    pending.filter((p) => to.includes(p.to)).map((p) => ({ item: p, footprint: new Footprint() }));

  it('narrows a state not yet expanded, and wakes in an expanded one only what a later arrival lets wake', () => {
    const visited = new FingerprintSet({ tagged: true });
    const book = new SleepBook(visited);
    visited.add(42);
    const first = book.admit(42, state(a), asleep(a, 1, 2));
    expect(first.mask).toBe(0b011);
    // Reached again before its expansion with only actor 2's delivery asleep: it keeps the intersection, wakes none.
    expect(book.revisit(42, state(b), asleep(b, 2, 3)).woken).toBe(0);
    const sleep = book.expand(42, state(a), first.sleep, first.mask);
    expect(sleep.map((e) => e.item.to)).toEqual([2]);
    // After expansion an arrival with nothing asleep wakes actor 2's delivery (canonical position 1) in its copy.
    const again = book.revisit(42, state(b), []);
    expect([again.woken, book.reexpanded]).toEqual([0b010, 1]);
    // Woken once, it is no longer asleep there: a further arrival wakes nothing.
    expect(book.revisit(42, state(b), []).woken).toBe(0);
  });
});

describe('sleep sets on hand-made systems', () => {
  const SMALL = { mode: 'bfs', untilUs: 1000, maxDepth: 20, maxStates: 1000, maxTimeMs: 1e9 } as const;
  /** Counts what it is sent: two deliveries to two such actors commute. */
  const counter = setup({
    types: { context: {} as { n: number }, events: {} as { type: 'test.go' } | { type: 'test.owe' } },
  }).createMachine({
    id: 'counter',
    context: { n: 0 },
    on: { '*': { actions: assign({ n: ({ context }) => context.n + 1 }) } },
  });
  /** A liveness monitor whose obligation, taken on when `test.owe` is delivered, was due before it (at 5 µs). */
  const owedAlready: Monitor<boolean> = {
    name: 'owed-already',
    specId: 'kernel',
    description: 'Nothing is owed once h/b has gone.',
    observesText: 'test.owe',
    observes: { deliver: ['test.owe'] },
    initial: () => false,
    on: () => true,
    deadline: (owed) => (owed ? { atUs: 5, what: 'h/b went' } : null),
  };

  /** h/a and h/b, each sent one event at 10 µs (simultaneous deliveries), watched by `monitor`. */
  function pair<S>(monitor: Monitor<S>): Kernel {
    const k = new Kernel();
    k.register('h/a', counter);
    k.register('h/b', counter);
    k.monitor(monitor);
    k.schedule('h/a', { type: 'test.go' }, 10);
    k.schedule('h/b', { type: 'test.owe' }, 10);
    return k;
  }

  function kernel(): Kernel {
    const k = pair(owedAlready);
    k.schedule('h/a', { type: 'test.go' }, 1000);
    return k;
  }

  /** A violation found with sleep sets, as [spec, steps]. */
  function foundAsleep(k: Kernel): [string | undefined, number | undefined] {
    const on = explore(k, { ...SMALL, maxMemoryBytes: 1e12, now, sleepSets: true });
    return [on.counterexample?.violation.spec, on.counterexample?.steps];
  }

  it('a monitor two deliveries feed makes them depend: the order it forbids is still found', () => {
    /** Fails when h/a gets its event after h/b: only one order of two simultaneous deliveries shows it. */
    const aFirst: Monitor<boolean> = {
      name: 'a-first',
      specId: 'kernel',
      description: 'h/a gets its event before h/b.',
      observesText: 'test.go and test.owe',
      observes: { deliver: ['test.go', 'test.owe'] },
      initial: () => false,
      on: (bSeen, obs) =>
        obs.kind !== 'deliver' ? bSeen : obs.to === 'h/b' ? true : bSeen ? fail('h/b went first') : bSeen,
    };
    const k = pair(aFirst);
    // h/a's delivery goes first from the initial state; h/b's then, with h/a's asleep unless the monitor ties them.
    expect(foundAsleep(k)).toEqual(['a-first', 2]);
  });

  it("a monitor reading an actor's snapshot depends on what changes it: the order it forbids is still found", () => {
    /** Fails when h/a gets its event after h/b has had its own, which it sees in h/b's snapshot, not in an event. */
    const bUntouched: Monitor<null> = {
      name: 'b-untouched',
      specId: 'kernel',
      description: 'h/a gets its event while h/b has had none.',
      observesText: "test.go, and h/b's count",
      observes: { deliver: ['test.go'] },
      initial: () => null,
      on: (s, _obs, view) => ((view.snapshot('h/b').context as { n: number }).n > 0 ? fail('h/b went first') : s),
    };
    const k = pair(bUntouched);
    expect(foundAsleep(k)).toEqual(['b-untouched', 2]);
  });

  it('two sends that queue on one link depend: the order they leave in is explored both ways', () => {
    /** Fails when the sink's first message is the one h/y sent: only h/y's delivery going first sends it first. */
    const xFirst: Monitor<boolean> = {
      name: 'x-first',
      specId: 'kernel',
      description: "The sink gets h/x's message first.",
      observesText: 'test.msg at the sink',
      observes: { deliver: ['test.msg'] },
      initial: () => false,
      on: (seen, obs) =>
        seen || obs.kind !== 'deliver' ? true : payload<{ n: number }>(obs.event).n === 2 ? fail('y first') : true,
    };
    const k = new Kernel({
      links: { 'hostA<->hostB': { ...PERFECT_LINK, latencyUs: { min: 10, max: 10 }, bytesPerUs: 2 } },
      messageBytes: () => 100,
    });
    k.register('hostA/x', burstMachine, { input: { peer: 'hostB/sink' } });
    k.register('hostA/y', burstMachine, { input: { peer: 'hostB/sink' } });
    k.register('hostB/sink', sinkMachine);
    k.monitor(xFirst);
    k.schedule('hostA/x', { type: 'test.fire', n: 1 }, 0);
    k.schedule('hostA/y', { type: 'test.fire', n: 2 }, 0);
    expect(foundAsleep(k)).toEqual(['x-first', 3]);
  });

  it('take a sleeping delivery where every one sleeps and a deadline is already late: the lateness at that depth', () => {
    const options = { mode: 'bfs', untilUs: 2000, maxDepth: 100, maxStates: 1000, maxTimeMs: 1e9 } as const;
    const run = (sleepSets: boolean) => explore(kernel(), { ...options, maxMemoryBytes: 1e12, now, sleepSets });
    const off = run(false);
    const on = run(true);
    // After h/b's delivery at 10 µs every step passes the 5 µs deadline: the next step (h/a's, at 10 µs) is late.
    // With sleep sets h/a's delivery sleeps there (taken first, from the initial state, and commuting with h/b's):
    // it is taken anyway, or the lateness would only show a step later, at 1 ms.
    expect(off.counterexample?.steps).toBe(2);
    expect(on.counterexample?.violation).toEqual(off.counterexample?.violation);
    expect(on.counterexample?.steps).toBe(2);
  });
});
