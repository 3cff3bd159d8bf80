// Statistics left out of the explorer's state identity: the fingerprint without them, the declaration's refusals,
// the merge they buy, and the audit that catches a "statistic" something reads (src/check/auditStatistics.ts).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { checkpointCoordinatorMachine } from '../../machines/checkpointCoordinatorMachine.js';
import { auditStatistics } from '../../src/check/auditStatistics.js';
import { prepareCheck, runCheck } from '../../src/check/check.js';
import { explore } from '../../src/check/explore.js';
import { fingerprintValue, fingerprintWithout, memoisedFingerprint, noteDerived } from '../../src/kernel/hash.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { fail, type Monitor } from '../../src/kernel/observe.js';
import { statisticsOf } from '../../src/kernel/statistics.js';
import { findScenario, scenarios } from '../../src/scenarios/index.js';
import { expectBadInput, here } from '../cli/inProcess.js';

const now = () => 0;
const run = promisify(execFile);
const BOUNDS = { mode: 'bfs' as const, untilUs: 1000, maxDepth: 100, maxStates: 10_000, maxTimeMs: 60_000 };

function omit(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));
}

describe('fingerprintWithout', () => {
  const big = {
    self: 'h/a',
    stats: { sent: 3, lost: 1 },
    queue: [
      { vm: 0, seq: 1 },
      { vm: 0, seq: 2 },
    ],
    mode: 'protected',
    epoch: 4,
    log: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    skipped: undefined,
  };
  it('is the fingerprint of the object without the keys, small or big, the keys present or not', () => {
    for (const o of [big, { stats: 1, n: 2 }, { n: 2 }, { stats: { a: 1 } }, {}] as Record<string, unknown>[]) {
      for (const keys of [['stats'], ['stats', 'log'], ['absent'], ['skipped'], []]) {
        expect(fingerprintWithout(o, keys), JSON.stringify({ o, keys })).toBe(fingerprintValue(omit(o, keys)));
      }
    }
  });

  it('is the same when the object was hashed by difference from the one it was made from', () => {
    memoisedFingerprint(big);
    const next = { ...big, stats: { sent: 4, lost: 1 }, epoch: 5 };
    noteDerived(next, big);
    expect(fingerprintWithout(next, ['stats'])).toBe(fingerprintValue(omit(next, ['stats'])));
    expect(fingerprintWithout(next, ['stats'])).not.toBe(fingerprintWithout(big, ['stats']));
    // Only the statistics changed: the same identity.
    const counted = { ...big, stats: { sent: 9, lost: 9 } };
    noteDerived(counted, big);
    expect(fingerprintWithout(counted, ['stats'])).toBe(fingerprintWithout(big, ['stats']));
  });
});

/** A tally that counts, in `stats`, the order its two events came in; `guarded` also lets a guard read the count. */
function tallyMachine(statistics: unknown, guarded: boolean) {
  return setup({
    types: {
      context: {} as { seen: number; stats: { order: number } },
      events: {} as { type: 'test.a' } | { type: 'test.b' } | { type: 'test.end' },
    },
    guards: { countedBFirst: ({ context }) => guarded && context.stats.order === 5 },
  }).createMachine({
    id: 'tally',
    meta: { statevisor: { statistics } },
    context: { seen: 0, stats: { order: 0 } },
    initial: 'open',
    states: {
      open: {
        on: {
          'test.a': {
            actions: assign(({ context }) => ({
              seen: context.seen + 1,
              stats: { order: context.stats.order * 2 + 1 },
            })),
          },
          'test.b': {
            actions: assign(({ context }) => ({
              seen: context.seen + 1,
              stats: { order: context.stats.order * 2 + 2 },
            })),
          },
          'test.end': [{ guard: 'countedBFirst', target: 'odd' }, { target: 'done' }],
        },
      },
      odd: {},
      done: {},
    },
  });
}

/** Fails when the tally ends in 'odd': reachable only if b came before a, which only the statistic records. */
const neverOdd: Monitor<null> = {
  name: 'never-odd',
  specId: 'kernel',
  description: 'The tally never ends odd.',
  observesText: 'test.end',
  observes: { deliver: ['test.end'] },
  initial: () => null,
  on: (s, _obs, view) => (view.snapshot('h/t').value === 'odd' ? fail('the tally ended odd') : s),
};

/** test.a and test.b at 10 µs (two orders), test.end at 20 µs. */
function tally(statistics: unknown, guarded = false): Kernel {
  const k = new Kernel();
  k.register('h/t', tallyMachine(statistics, guarded));
  k.monitor(neverOdd);
  k.schedule('h/t', { type: 'test.a' }, 10);
  k.schedule('h/t', { type: 'test.b' }, 10);
  k.schedule('h/t', { type: 'test.end' }, 20);
  return k;
}

describe('statistics in the state identity', () => {
  it('merges states that differ only in what they counted; traces still tell them apart', () => {
    // initial, a, b, then (a,b) and (b,a), then each ended: 6 states, or 4 once the two orders are one.
    expect(explore(tally(['stats']), { ...BOUNDS, maxMemoryBytes: 1e12, now, view: false }).states).toBe(7);
    expect(explore(tally(['stats']), { ...BOUNDS, maxMemoryBytes: 1e12, now }).states).toBe(5);
    expect(explore(tally(undefined), { ...BOUNDS, maxMemoryBytes: 1e12, now }).states).toBe(7);
    const k = tally(['stats']);
    const s0 = k.initial({ choose: () => 0 });
    const pick = (s: typeof s0, i: number) => (k.step(s, { choose: (n) => Math.min(i, n - 1) }) ?? { state: s }).state;
    const ab = pick(pick(s0, 0), 0);
    const ba = pick(pick(s0, 1), 0);
    expect(k.fingerprint(ab)).toBe(k.fingerprint(ba));
    expect(k.fingerprint(ab, true, false)).not.toBe(k.fingerprint(ba, true, false));
    expect(k.hashState(ab)).not.toBe(k.hashState(ba));
    expect(k.statistics()).toEqual([{ address: 'h/t', keys: ['stats'] }]);
  });

  it('refuses a declaration that is not a list of distinct context keys, naming the machine and the field', () => {
    const refused = (statistics: unknown) => () => tally(statistics).initial({ choose: () => 0 });
    expect(refused('stats')).toThrow("machine 'tally': meta.statevisor.statistics must be a list of context keys");
    expect(refused([1])).toThrow('must list non-empty strings');
    expect(refused([''])).toThrow('must list non-empty strings');
    expect(refused(['stats', 'stats'])).toThrow("lists 'stats' twice");
    expect(refused(['stat'])).toThrow(
      "machine 'tally': meta.statevisor.statistics names 'stat', which its context does not have",
    );
    expect(statisticsOf(tallyMachine(['stats', 'seen'], false))).toEqual(['seen', 'stats']);
    expect(statisticsOf(tallyMachine([], false))).toBeNull();
  });
});

describe('the statistics audit', () => {
  const audit = (k: Kernel) => auditStatistics(k, { untilUs: 1000, maxStates: 10_000, maxDepth: 100, sometimes: [] });

  it('passes statistics nothing reads, over every reachable state', () => {
    const a = audit(tally(['stats']));
    expect(a).toMatchObject({ statistics: ['h/t.stats'], states: 5, exhausted: true, finding: null });
  });

  it('names a statistic a guard reads: the view would have hidden the violation it decides', () => {
    // The danger: with `stats` left out, (b,a) merges into (a,b) and the tally never ends odd.
    expect(explore(tally(['stats'], true), { ...BOUNDS, maxMemoryBytes: 1e12, now }).counterexample).toBeNull();
    expect(
      explore(tally(['stats'], true), { ...BOUNDS, maxMemoryBytes: 1e12, now, view: false }).counterexample?.violation
        .spec,
    ).toBe('never-odd');
    const a = audit(tally(['stats'], true));
    expect(a.finding?.statistics).toEqual(['h/t.stats']);
    expect(a.finding?.what).toMatch(/the tally ended odd|the next states differ/);
    expect(a.exhausted).toBe(false);
  });

  it("names the shipped coordinator's retransmission count if it were declared a statistic (ha-steady lossy)", () => {
    // The same machine, declaring also a count its guards read (hasRetransmitsLeft): a plausible mistake.
    const declared = checkpointCoordinatorMachine.provide({});
    (declared.root as { meta?: unknown }).meta = { statevisor: { statistics: ['retransmits', 'stats'] } };
    const p = prepareCheck({ scenario: findScenario('ha-steady'), config: 'lossy' });
    p.assembly.kernel.replaceMachines({ checkpointCoordinator: declared });
    const a = auditStatistics(p.assembly.kernel, {
      untilUs: p.untilUs,
      maxStates: 50_000,
      maxDepth: p.limits.maxDepth,
      sometimes: p.sometimes,
    });
    expect(a.finding?.statistics).toEqual(['hostA/coordinator.retransmits']);
  });
});

/**
 * Configurations whose states the shipped statistics merge: [states with them left out, states with them in]. The
 * verdict and every `sometimes` depth are the same both ways (mutantLengths.ts pins the counterexamples, which
 * mutants.test.ts checks under the view).
 */
const MERGED: [scenario: string, config: string, on: number, off: number][] = [
  ['mem-checkpoint', 'm2', 1082, 1266],
  ['latency-hiding', 'lossy', 480, 631],
  ['snapshot-live', 'lossy', 1367, 1676],
  ['ha-steady', 'lossy', 25_674, 43_323],
];

/** Audited in every test run: the configurations up to ~10 k states; AUDIT_STATISTICS_ALL=1 audits every one. */
const AUDIT_ALL = process.env.AUDIT_STATISTICS_ALL === '1';
/** One configuration of each scenario whose machines declare statistics, each audited in under a few seconds. */
const SMALL_AUDITS = new Set([
  'mem-checkpoint m2',
  'latency-hiding lossy',
  'snapshot-live lossy',
  'balloon-sweep checkpoint',
  'file-share malicious',
  'lockstep-steady lossy',
  'app-failure race',
  'output-commit dup',
  'faulty-device neither-lossy',
  'tagged-memory dma',
  'translate-run cpu-crash',
  'replay-analysis rec-crash',
  'ha-mixed shared-nic',
]);

describe('the shipped statistics', () => {
  for (const [scenario, config, on, off] of MERGED) {
    it(`${scenario} ${config}: ${on} states with statistics left out, ${off} with them in; same verdict and goals`, () => {
      const run = (view: boolean) =>
        runCheck({ scenario: findScenario(scenario), config, mode: 'bfs', now, view }).result;
      const a = run(true);
      const b = run(false);
      expect([a.states, b.states]).toEqual([on, off]);
      expect(a.verdict).toBe(b.verdict);
      expect(a.sometimes.map((s) => s.reachedAtStep)).toEqual(b.sometimes.map((s) => s.reachedAtStep));
    });
  }

  for (const s of scenarios) {
    for (const c of s.checks ?? []) {
      it.runIf(AUDIT_ALL || SMALL_AUDITS.has(`${s.name} ${c.name}`))(
        `${s.name} ${c.name}: the statistics its machines declare decide nothing`,
        async () => {
          // All of them through the command, in its own process: the largest (ha-partition degrade-then-isolate,
          // 193 k states) audits for over a minute, longer than a test worker may go without answering.
          if (AUDIT_ALL) {
            const args = ['bin/statevisor.js', 'check', s.name, '--config', c.name, '--audit-statistics', '--json'];
            const { stdout } = await run(process.execPath, [...args, '--max-states', '2000000'], {
              maxBuffer: 1 << 24,
            });
            expect(JSON.parse(stdout)).toMatchObject({
              verdict: 'sound',
              configurations: [{ exhausted: true, finding: null }],
            });
            return;
          }
          const prepared = prepareCheck({ scenario: s, config: c.name });
          const a = auditStatistics(prepared.assembly.kernel, {
            untilUs: prepared.untilUs,
            maxStates: 12_000,
            maxDepth: prepared.limits.maxDepth,
            sometimes: prepared.sometimes,
          });
          expect(a.finding).toBeNull();
          expect(a.exhausted).toBe(true);
        },
        AUDIT_ALL ? 600_000 : 60_000,
      );
    }
  }
});

describe('check --audit-statistics and --with-statistics', () => {
  it('audits a shipped configuration (exit 0), says when nothing is declared, and keeps statistics in on request', async () => {
    const ok = await here('check', 'ha-mixed', '--audit-statistics');
    expect(ok.code, ok.err).toBe(0);
    expect(ok.out).toContain('statistics: hostA/coordinator.stats, hostB/replica.stats');
    expect(ok.out).toContain('ok: they decide nothing in any reachable state');
    const json = JSON.parse((await here('check', 'ha-mixed', '--audit-statistics', '--json')).out);
    expect(json).toMatchObject({ mode: 'audit-statistics', verdict: 'sound' });
    expect(json.configurations[0]).toMatchObject({ name: 'shared-nic', states: 1036, exhausted: true, finding: null });
    const none = await here('check', 'relay-ring', '--audit-statistics');
    expect([none.code, none.out]).toEqual([0, expect.stringContaining('no machine declares statistics')]);
    const on = await here('check', 'latency-hiding', '--config', 'lossy', '--json');
    const off = await here('check', 'latency-hiding', '--config', 'lossy', '--with-statistics', '--json');
    const states = (r: { out: string }) => JSON.parse(r.out).configurations[0];
    expect([states(on).states, states(off).states]).toEqual([480, 631]);
    expect([states(on).statistics, states(off).statistics]).toEqual([['storage/swap.stats'], []]);
  });

  it('refuses the audit beside flags it cannot honour, one line and exit 2', async () => {
    expectBadInput(
      await here('check', 'ha-mixed', '--audit-statistics', '--workers', '2'),
      /--audit-statistics: runs on one BFS thread/,
    );
    expectBadInput(
      await here('check', 'ha-mixed', '--audit-statistics', '--mode', 'dfs'),
      /--audit-statistics: runs on one BFS thread/,
    );
    expectBadInput(
      await here('check', 'ha-mixed', '--audit-statistics', '--with-statistics'),
      /--with-statistics: the audit explores/,
    );
    expectBadInput(
      await here('check', 'ha-mixed', '--audit-statistics', '--sleep-sets'),
      /--sleep-sets: the audit expands/,
    );
    expectBadInput(
      await here('check', 'ha-mixed', '--with-statistics', '--mode', 'swarm'),
      /--with-statistics: only with --mode bfs or dfs/,
    );
  });
});
