// Symmetry reduction: renaming interchangeable actors in a state, the declaration's refusals, the states it saves on
// two-phase commit with every verdict, goal and counterexample unchanged, and the audit catching an asymmetric system.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMachine } from 'xstate';
import { atomicOutcome, coordinator, decided, participant } from '../../examples/two-phase-commit.js';
import { auditSymmetry } from '../../src/check/auditSymmetry.js';
import { type CheckRequest, runCheck } from '../../src/check/check.js';
import { explore } from '../../src/check/explore.js';
import { ScriptChooser } from '../../src/check/successors.js';
import { type Permutation, permuteState, rename, renameString } from '../../src/kernel/rename.js';
import type { Symmetry } from '../../src/kernel/symmetry.js';
import type { SystemState } from '../../src/kernel/types.js';
import { defineSystem } from '../../src/scenarios/define.js';
import { loadScenario } from '../../src/scenarios/load.js';
import type { Sometimes } from '../../src/specs/spec.js';
import { expectBadInput, here } from '../cli/inProcess.js';

const ROOT = join(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/two-phase-commit.ts');
const now = () => 0;
// Inside the project, so a fixture is an ES module that finds `statevisor` (as test/cli/userFiles.test.ts does).
mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
const dir = mkdtempSync(join(ROOT, 'test-artifacts', 'symmetry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A permutation by hand: p1 ↔ p2, actors 0 ↔ 1, groups 0 ↔ 1. */
function swap(): Permutation {
  return {
    actor: Int32Array.from([1, 0, 2]),
    group: Int32Array.from([1, 0, 2]),
    prefixes: new Map([
      ['p1', 'p2'],
      ['p2', 'p1'],
    ]),
    groupNames: new Map([
      ['p1', 'p2'],
      ['p2', 'p1'],
    ]),
    text: 'p1→p2 p2→p1',
    memo: new WeakMap(),
    strings: new Map(),
  };
}

describe('renaming', () => {
  it('renames a member, an address under it, and nothing that only looks alike', () => {
    const p = swap();
    expect(renameString('p1', p)).toBe('p2');
    expect(renameString('p1/participant', p)).toBe('p2/participant');
    expect(renameString('p2/a/b', p)).toBe('p1/a/b');
    for (const same of ['p10', 'p10/x', 'xp1', 'coord/coordinator', '', 'p1x/participant']) {
      expect(renameString(same, p)).toBe(same);
    }
  });

  it('renames values and keys deep in plain data, keeps prototypes, and returns the very object when nothing moved', () => {
    const p = swap();
    const data = { yes: { 'p1/participant': true }, order: ['p2/participant', 'p1/participant'], n: 3 };
    expect(rename(data, p, 0)).toEqual({
      yes: { 'p2/participant': true },
      order: ['p1/participant', 'p2/participant'],
      n: 3,
    });
    const untouched = { a: [1, 2, { b: 'coord' }], t: new Uint8Array([1]) };
    expect(rename(untouched, p, 0)).toBe(untouched);
    class Owed {
      constructor(readonly who: string) {}
      get what(): string {
        return `owed to ${this.who}`;
      }
    }
    const owed = rename(new Owed('p1/participant'), p, 0) as Owed;
    expect(owed).toBeInstanceOf(Owed);
    expect(owed.what).toBe('owed to p2/participant');
    // A key that would set a prototype is an own key of the copy, as it was of the original.
    const hostile = JSON.parse('{"__proto__": {"p1": 1}, "p1": 2}') as object;
    const copy = rename(hostile, p, 0) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy).sort()).toEqual(['__proto__', 'p2']);
  });

  it('moves snapshots, deliveries, down hosts and partitions to the images, and twice is the identity', async () => {
    const scenario = await loadScenario(EXAMPLE);
    const { kernel } = scenario.build({ ...defaults(scenario), participants: 2 } as never);
    const s0 = kernel.initial(new ScriptChooser([]));
    const state: SystemState = { ...s0, down: [true, false, false], cut: ['coord|p1'] };
    const symmetry = kernel.declaredSymmetry() as Symmetry;
    const [p] = symmetry.permutations as [Permutation];
    const image = permuteState(state, p, kernel.groups.length);
    const g = (name: string) => kernel.groups.indexOf(name);
    expect(image.down[g('p2')]).toBe(state.down[g('p1')]);
    expect(image.cut).toEqual(['coord|p2']);
    const c = kernel.indexOf('coord/coordinator');
    expect((image.snapshots[c] as { context: { participants: object } }).context.participants).toEqual({
      'p2/participant': true,
      'p1/participant': true,
    });
    expect(kernel.fingerprint(permuteState(image, p, kernel.groups.length), true, true, false)).toBe(
      kernel.fingerprint(state, true, true, false),
    );
    expect(kernel.fingerprint(image)).toBe(kernel.fingerprint(state));
  });
});

function defaults(scenario: { params: Readonly<Record<string, { default: unknown }>> }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(scenario.params).map(([k, v]) => [k, v.default]));
}

describe('the declaration', () => {
  const m = createMachine({ id: 'm' });
  const n = createMachine({ id: 'n' });
  const refused: [string, Record<string, { machine: typeof m; group?: string }>, unknown, RegExp][] = [
    ['one member', { 'a/x': { machine: m } }, [['a']], /symmetry\[0\]: expected at least two/],
    ['no actors under a member', { 'a/x': { machine: m } }, [['a', 'b']], /symmetry\[0\]\[1\]: no actor's address/],
    ['overlapping members', { 'a/x': { machine: m } }, [['a', 'a/x']], /'a\/x' overlaps 'a'/],
    ['unlike machines', { 'a/x': { machine: m }, 'b/x': { machine: n } }, [['a', 'b']], /'b\/x' is not like 'a\/x'/],
    ['unlike suffixes', { 'a/x': { machine: m }, 'b/y': { machine: m } }, [['a', 'b']], /'b\/x' is not registered/],
    [
      'a group split',
      { 'h/a': { machine: m }, 'h/b': { machine: m }, 'h/c': { machine: m }, 'k/a': { machine: m } },
      [['h/a', 'k/a']],
      /group 'h' would be split/,
    ],
    ['too many members', { 'a/x': { machine: m } }, [['a', 'b', 'c', 'd', 'e', 'f', 'g']], /7 members \(at most 6/],
    ['not a list', { 'a/x': { machine: m } }, { 0: ['a', 'b'] }, /expected a list of sets/],
    [
      'a group of order over 720',
      Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((g) => [`${g}/x`, { machine: m }])),
      [
        ['a', 'b', 'c', 'd', 'e', 'f'],
        ['g', 'h'],
      ],
      /1440 permutations \(over 720\)/,
    ],
  ];
  it.each(refused)('refuses %s', (_name, actors, symmetry, message) => {
    expect(() => defineSystem({ actors, symmetry: symmetry as never })).toThrow(message);
  });

  it('notes a context that lists members in a fixed order (sound, but it merges little), and not a record of them', () => {
    const hub = (peers: unknown) => createMachine({ id: 'hub', context: { peers } });
    const actors = (peers: unknown) => ({
      'h/hub': { machine: hub(peers) },
      'a/x': { machine: m },
      'b/x': { machine: m },
    });
    const listed = defineSystem({ actors: actors({ all: ['a/x', 'b/x'] }), symmetry: [['a', 'b']] });
    expect((listed.declaredSymmetry() as Symmetry).notes).toEqual([
      "h/hub's context.peers.all lists a, b in a fixed order: a renamed list is another state, so the symmetry merges little there; a record (a set) of them merges",
    ]);
    const set = defineSystem({ actors: actors({ 'a/x': true, 'b/x': true }), symmetry: [['a', 'b']] });
    expect((set.declaredSymmetry() as Symmetry).notes).toEqual([]);
    // One member of each of two sets in a list: each renaming keeps its place, nothing to note.
    const pairs = defineSystem({
      actors: { ...actors(['a/x', 'c/x']), 'c/x': { machine: m }, 'd/x': { machine: m } },
      symmetry: [
        ['a', 'b'],
        ['c', 'd'],
      ],
    });
    expect((pairs.declaredSymmetry() as Symmetry).notes).toEqual([]);
  });

  it('accepts address subtrees inside one host, which then maps to itself', () => {
    const k = defineSystem({ actors: { 'h/a': { machine: m }, 'h/b': { machine: m } }, symmetry: [['h/a', 'h/b']] });
    const s = k.declaredSymmetry() as Symmetry;
    expect(s.order).toBe(2);
    expect([...(s.permutations[0] as Permutation).group]).toEqual([0]);
  });
});

/** Two-phase commit's outcome with symmetry on and off: verdict, counterexample, goal depths; and the state counts. */
function both(req: CheckRequest) {
  const outcome = (symmetry: boolean) => {
    const r = runCheck({ ...req, symmetry }).result;
    const cex = r.counterexample;
    return {
      states: r.states,
      same: {
        verdict: r.verdict,
        exhausted: r.exhausted,
        violation: cex === null ? null : { spec: cex.violation.spec, steps: cex.steps },
        sometimes: r.sometimes.map((g) => [g.name, g.reachedAtStep]),
      },
    };
  };
  return { on: outcome(true), off: outcome(false) };
}

describe('one state per orbit on two-phase commit', () => {
  const PINS: [string, Record<string, string>, number, number][] = [
    ['recovery', {}, 862, 1601],
    ['blocking', {}, 54, 89],
    ['recovery', { participants: '3' }, 3042, 14385],
    ['blocking', { participants: '3' }, 97, 313],
  ];
  it.each(PINS)(
    '%s %j: %i states with symmetry, %i without, and the same verdicts and depths',
    async (config, params, on, off) => {
      const r = both({ scenario: await loadScenario(EXAMPLE), mode: 'bfs', now, config, params });
      expect([r.on.states, r.off.states]).toEqual([on, off]);
      expect(r.on.same).toEqual(r.off.same);
    },
  );

  it('finds every mutant with the same spec at the same length, with 2 and 3 participants', async () => {
    const scenario = await loadScenario(EXAMPLE);
    for (const m of scenario.mutants ?? []) {
      for (const participants of ['2', '3']) {
        const req = { scenario, mode: 'bfs' as const, now, mutant: m.name, params: { participants } };
        const r = both({ ...req, ...(m.config !== undefined ? { config: m.config } : {}) });
        expect(r.on.same.violation?.spec, `${m.name} ${participants}`).toBe(m.expectedSpec);
        expect(r.on.same, `${m.name} ${participants}`).toEqual(r.off.same);
      }
    }
  });

  // Every mix of losses, a coordinator that restarts or not, votes that may be no or not, and each planted bug: the
  // same verdict, goal depths and counterexample both ways, with two participants and with three.
  it("agrees with --no-symmetry across a sweep of the example's parameters and mutants", async () => {
    const scenario = await loadScenario(EXAMPLE);
    let compared = 0;
    for (const participants of ['2', '3']) {
      for (const maxDrops of participants === '3' ? ['0', '1'] : ['0', '1', '2']) {
        for (const restartAfterUs of ['-1', '1000']) {
          for (const canVoteNo of ['true', 'false']) {
            for (const mutant of [undefined, ...(scenario.mutants ?? []).map((m) => m.name)]) {
              const params = { participants, maxDrops, restartAfterUs, canVoteNo, crashToUs: '400' };
              const r = both({ scenario, mode: 'bfs', now, config: 'recovery', params, ...(mutant ? { mutant } : {}) });
              expect(r.on.same, JSON.stringify({ params, mutant })).toEqual(r.off.same);
              compared++;
            }
          }
        }
      }
    }
    expect(compared).toBe(80);
  });

  it('keeps the same states with DFS and with two worker threads', async () => {
    const scenario = await loadScenario(EXAMPLE);
    const req = { scenario, now, config: 'recovery', params: { participants: '3' } };
    expect(runCheck({ ...req, mode: 'dfs' }).result.states).toBe(3042);
    const { runCheckWorkers } = await import('../../src/check/parallel/run.js');
    const two = await runCheckWorkers({ ...req, mode: 'bfs', workers: 2 });
    expect(two.result.states).toBe(3042);
  });
});

/**
 * Two-phase commit built by hand from the example's machines, with knobs that break the symmetry: a lossy link to
 * one participant only, or a coordinator that commits on one named participant's yes.
 */
function twoPhase(opts: {
  lossyTo: readonly string[];
  commitOnP2?: boolean;
  slowTo?: string;
  crash?: true;
  stepper?: 'xstate';
}) {
  const participants = ['p1/participant', 'p2/participant'];
  const actors: Record<string, { machine: typeof coordinator | typeof participant; input: unknown; durable?: true }> = {
    'coord/coordinator': {
      machine: opts.commitOnP2
        ? coordinator.provide({
            guards: {
              // A bug that names one participant: the audit's job is to notice that p1 and p2 are not alike.
              lastYes: ({ context, event }) =>
                event.type === 'tpc.vote' &&
                (event.from === 'p2/participant' ||
                  Object.keys(context.participants).every((p) => p === event.from || context.yes[p] === true)),
            },
          })
        : coordinator,
      input: {
        self: 'coord/coordinator',
        participants: { 'p1/participant': true, 'p2/participant': true },
        voteTimeoutUs: 1000,
        retryUs: 1000,
      },
      durable: true,
    },
  };
  for (const self of participants) actors[self] = { machine: participant, input: { self, canVoteNo: true } };
  const kernel = defineSystem({
    actors,
    defaultLink: { latencyUs: { min: 100, max: 100 } },
    links: {
      ...Object.fromEntries(opts.lossyTo.map((g) => [`coord->${g}`, { dropRate: 0.1 }])),
      ...(opts.slowTo !== undefined ? { [`coord->${opts.slowTo}`]: { latencyUs: { min: 200, max: 200 } } } : {}),
    },
    faultBudget: { drops: 1 },
    // Either participant's host may crash (and restart empty): a fault plan over the members, renamed with them.
    ...(opts.crash
      ? {
          faults: [
            {
              kind: 'crash' as const,
              victims: ['p1', 'p2'],
              at: { fromUs: 100, toUs: 300, stepUs: 100 },
              restartAfterUs: 500,
            },
          ],
        }
      : {}),
    symmetry: [['p1', 'p2']],
    ...(opts.stepper !== undefined ? { stepper: opts.stepper } : {}),
  });
  kernel.monitor(atomicOutcome(participants));
  kernel.monitor(decided(participants, 5000));
  return kernel;
}

const NONE: readonly Sometimes[] = [];
const BOUNDS = { untilUs: 10_000, maxDepth: 100, maxStates: 100_000 };
const EXPLORE = { ...BOUNDS, mode: 'bfs' as const, maxTimeMs: 60_000, maxMemoryBytes: 1e12, now };

describe('the audit', () => {
  it('finds nothing to blame in a symmetric system, and audits every state', () => {
    const a = auditSymmetry(twoPhase({ lossyTo: ['p1', 'p2'] }), { ...BOUNDS, sometimes: NONE });
    expect(a.finding).toBeNull();
    expect(a.exhausted).toBe(true);
    expect(a.states).toBe(explore(twoPhase({ lossyTo: ['p1', 'p2'] }), EXPLORE).states);
    // Renamed snapshots are stepped by XState's own interpreter as well as by the compiled stepper.
    const xstate = auditSymmetry(twoPhase({ lossyTo: ['p1', 'p2'], stepper: 'xstate' }), {
      ...BOUNDS,
      sometimes: NONE,
    });
    expect([xstate.finding, xstate.states]).toEqual([null, a.states]);
  });

  it('finds crashes of either member alike: sound, and the same counterexample with half the states', () => {
    const a = auditSymmetry(twoPhase({ lossyTo: ['p1', 'p2'], crash: true }), { ...BOUNDS, sometimes: NONE });
    expect(a.finding).toBeNull();
    const on = explore(twoPhase({ lossyTo: ['p1', 'p2'], crash: true }), EXPLORE);
    const off = explore(twoPhase({ lossyTo: ['p1', 'p2'], crash: true }), { ...EXPLORE, symmetry: false });
    // A participant restarted empty forgets its vote: atomicity breaks, found at the same length both ways.
    expect(on.counterexample?.violation.spec).toBe('atomic-outcome');
    expect(on.counterexample?.steps).toBe(off.counterexample?.steps);
    expect(on.states).toBeLessThan(off.states);
  });

  it('names a symmetry the system lacks even where the search merged nothing it should not (a slower link)', () => {
    const a = auditSymmetry(twoPhase({ lossyTo: [], slowTo: 'p2' }), { ...BOUNDS, sometimes: NONE });
    expect(a.finding?.permutation).toBe('p1→p2 p2→p1');
  });

  it('catches a link that is lossy to one member only', () => {
    const a = auditSymmetry(twoPhase({ lossyTo: ['p2'] }), { ...BOUNDS, sometimes: NONE });
    expect(a.finding?.what).toMatch(/can step where/);
  });

  it('catches the danger: a bug that names one member, which the reduction would otherwise hide', () => {
    const hidden = explore(twoPhase({ lossyTo: [], commitOnP2: true }), EXPLORE);
    const seen = explore(twoPhase({ lossyTo: [], commitOnP2: true }), { ...EXPLORE, symmetry: false });
    expect(seen.counterexample?.violation.spec).toBe('atomic-outcome');
    // Under a symmetry the system does not have, the violation is merged away: why the audit exists.
    expect(hidden.counterexample).toBeNull();
    const a = auditSymmetry(twoPhase({ lossyTo: [], commitOnP2: true }), { ...BOUNDS, sometimes: NONE });
    expect(a.finding?.what).toMatch(/atomic-outcome/);
  });
});

describe('check with a symmetry', () => {
  it('says what it merged; --no-symmetry keeps every state; --json has it', async () => {
    const on = await here('check', EXAMPLE, '--config', 'recovery');
    expect(on.code, on.err).toBe(0);
    expect(on.out).toMatch(/862 distinct states/);
    expect(on.out).toMatch(/symmetry: \{p1, p2\} interchangeable, one state kept per orbit of up to 2/);
    expect(on.out).not.toMatch(/note: /);
    const off = await here('check', EXAMPLE, '--config', 'recovery', '--no-symmetry');
    expect(off.out).toMatch(/1601 distinct states/);
    expect(off.out).not.toMatch(/symmetry:/);
    const json = JSON.parse((await here('check', EXAMPLE, '--config', 'recovery', '--json')).out);
    expect(json.configurations[0].symmetry).toEqual({ sets: [['p1', 'p2']], order: 2, notes: [] });
  });

  it('--audit-symmetry: sound on the example (exit 0), and refuses what would audit something else', async () => {
    const ok = await here('check', EXAMPLE, '--audit-symmetry');
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toMatch(/ok: every image behaves as its state does/);
    expect(ok.out).toContain('862 states and 1097 steps, each state against its image, and against every state');
    const json = JSON.parse((await here('check', EXAMPLE, '--audit-symmetry', '--json')).out);
    expect(json).toMatchObject({ mode: 'audit-symmetry', verdict: 'sound' });
    const none = await here('check', 'ping-pong', '--audit-symmetry');
    expect(none.out).toMatch(/declares no symmetry/);
    expectBadInput(await here('check', EXAMPLE, '--audit-symmetry', '--no-symmetry'), /--no-symmetry: /);
    expectBadInput(await here('check', EXAMPLE, '--audit-symmetry', '--with-statistics'), /--with-statistics: /);
    expectBadInput(await here('check', EXAMPLE, '--audit-symmetry', '--workers', '2'), /runs on one BFS thread/);
    expectBadInput(
      await here('check', EXAMPLE, '--audit-symmetry', '--audit-statistics'),
      /audit one declaration at a time/,
    );
    expectBadInput(await here('check', EXAMPLE, '--sleep-sets'), /declares a symmetry.*add --no-symmetry/);
    expect((await here('check', EXAMPLE, '--sleep-sets', '--no-symmetry')).code).toBe(0);
  });

  it('--audit-symmetry on a file whose link is lossy to one participant only: exit 1, naming how to reproduce', async () => {
    const text = readFileSync(EXAMPLE, 'utf8').replace(
      /links: Object\.fromEntries\(participants\.map\([^\n]*\n/,
      "links: { 'coord->p2': { dropRate: p.dropRate } },\n",
    );
    expect(text).toMatch(/'coord->p2'/);
    const file = join(dir, 'asymmetric-2pc.ts');
    writeFileSync(file, text);
    const r = await here('check', file, '--config', 'recovery', '--audit-symmetry');
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      /FOUND: at step \d+, two states of one orbit: the state (kept|merged into it) can step where the state/,
    );
    expect(r.out).toMatch(/reproduce: npx statevisor check .*asymmetric-2pc\.ts --config recovery --audit-symmetry/);
  });
});
