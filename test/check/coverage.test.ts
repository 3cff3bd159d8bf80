// Exploration coverage (src/check/coverage.ts) on ping-pong's lossy configuration: every transition a simulated run
// takes is counted by the exploration, every count names a drawn edge, and a mutant's removed transition stays at 0.

import { describe, expect, it } from 'vitest';
import { type AnyStateMachine, createMachine } from 'xstate';
import { pingerMachine } from '../../machines/pingerMachine.js';
import { pongerMachine } from '../../machines/pongerMachine.js';
import { runCheck } from '../../src/check/check.js';
import { CoverageCounter, type CoverageFile, coverageEdgeKey, coverageOfCheck } from '../../src/check/coverage.js';
import { explore } from '../../src/check/explore.js';
import { chartOf } from '../../src/export/chart.js';
import { countCoverage } from '../../src/inspector/ui/coverage.js';
import { edgeKey } from '../../src/inspector/ui/layout.js';
import { parseTrace } from '../../src/kernel/trace.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('ping-pong');
const lossy = scenario.checks?.find((c) => c.name === 'lossy');
if (lossy === undefined) throw new Error('ping-pong has no lossy configuration');
const untilUs = lossy.untilUs ?? scenario.untilUs;

/** The lossy configuration explored with coverage, as `check --coverage` runs it. */
function exploredCoverage(): { file: CoverageFile; states: number } {
  const coverage = coverageOfCheck();
  const report = runCheck({ scenario, config: 'lossy', mode: 'bfs', now: () => 0, observe: coverage.observe });
  expect(report.result.verdict).toBe('holds');
  const file = coverage.file({ scenario: scenario.name, config: 'lossy', states: report.result.states });
  return { file, states: report.result.states };
}

/** Every edge key the page's chart draws for a machine (non-initial), built the way layout.ts keys them. */
function chartKeys(machine: Parameters<typeof chartOf>[0]): Set<string> {
  return new Set(chartOf(machine).transitions.map((t) => edgeKey(t.source, t.targets)));
}

/** Independent counts: simulated runs of the same configuration, counted by the page's own countCoverage. */
function simulatedCoverage(seeds: number): Map<string, { edges: Set<string>; states: Set<string> }> {
  const out = new Map<string, { edges: Set<string>; states: Set<string> }>();
  for (let seed = 1; seed <= seeds; seed++) {
    const o = simulate({ scenario, seed, params: lossy?.params ?? {}, untilUs, trace: true });
    const records = parseTrace(o.trace?.text() ?? '', `seed ${seed}`).records;
    for (const r of records) {
      if (r.type !== '@xstate.actor') continue;
      const machine = String(r.machine);
      let m = out.get(machine);
      if (m === undefined) out.set(machine, (m = { edges: new Set(), states: new Set() }));
      const cov = countCoverage(records as never, String(r.sessionId));
      for (const [k, n] of cov.edges) if (n > 0) m.edges.add(k);
      for (const [k, n] of cov.states) if (n > 0) m.states.add(k);
    }
  }
  return out;
}

describe('coverage', () => {
  it('keys edges exactly as the page does', () => {
    expect(coverageEdgeKey('a.b', ['a.c', 'a.d'])).toBe(edgeKey('a.b', ['a.c', 'a.d']));
    expect(coverageEdgeKey('a.b', [])).toBe(edgeKey('a.b', []));
  });

  it('Check: ping-pong: lossy coverage: counts every transition the simulated runs take, and only drawn edges', () => {
    const { file, states } = exploredCoverage();
    expect(file.states).toBe(states);
    expect(Object.keys(file.machines)).toEqual(['pinger', 'ponger']);
    const pinger = file.machines.pinger;
    const ponger = file.machines.ponger;
    if (pinger === undefined || ponger === undefined) throw new Error('a machine is missing');
    // Every counted key is an edge the chart draws: the page can colour it directly.
    const drawn = { pinger: chartKeys(pingerMachine), ponger: chartKeys(pongerMachine) };
    for (const k of Object.keys(pinger.edges)) expect(drawn.pinger.has(k), k).toBe(true);
    for (const k of Object.keys(ponger.edges)) expect(drawn.ponger.has(k), k).toBe(true);
    for (const m of [pinger, ponger])
      for (const n of [...Object.values(m.edges), ...Object.values(m.states)]) {
        expect(n).toBeGreaterThan(0);
      }
    // The exploration covers every simulated run of the same configuration.
    const simulated = simulatedCoverage(30);
    expect(simulated.get('pinger')?.edges.size).toBeGreaterThan(2);
    for (const [machine, seen] of simulated) {
      const m = file.machines[machine];
      if (m === undefined) throw new Error(`exploration lacks machine ${machine}`);
      for (const k of seen.edges) expect(m.edges[k] ?? 0, `${machine} edge ${k}`).toBeGreaterThan(0);
      for (const k of seen.states) expect(m.states[k] ?? 0, `${machine} state ${k}`).toBeGreaterThan(0);
    }
    // Lossy links make every pinger edge reachable: retransmit, give up, stale reply, next ping, done.
    expect(Object.keys(pinger.edges).sort()).toEqual([
      'pinger.deciding|pinger.done',
      'pinger.deciding|pinger.waiting',
      'pinger.waiting|',
      'pinger.waiting|pinger.deciding',
      'pinger.waiting|pinger.waiting',
    ]);
    expect(Object.keys(pinger.states).sort()).toEqual(['deciding', 'done', 'waiting']);
  }, 60_000);

  it('Check: ping-pong: lossy coverage: a mutant without the stale-reply transition shows it at 0', () => {
    const params = resolveParams(scenario, lossy.params ?? {});
    const assembly = assemble(scenario, params, { pinger: withoutStaleReply() });
    const counter = new CoverageCounter(assembly.kernel);
    counter.countInitial();
    const result = explore(assembly.kernel, {
      mode: 'bfs',
      untilUs,
      maxDepth: 10_000,
      maxStates: 1_000_000,
      maxTimeMs: Number.MAX_SAFE_INTEGER,
      maxMemoryBytes: Number.MAX_SAFE_INTEGER,
      now: () => 0,
      observer: counter,
    });
    // Exhausted, so the 0 is the whole state space's answer, not an early stop's.
    expect(result.exhausted).toBe(true);
    const pinger = counter.toFile({ scenario: 'ping-pong', config: 'lossy', states: result.states }).machines.pinger;
    expect(pinger?.edges['pinger.waiting|'] ?? 0).toBe(0);
    expect(pinger?.edges['pinger.waiting|pinger.waiting'] ?? 0).toBeGreaterThan(0);
    expect(pinger?.edges['pinger.waiting|pinger.deciding'] ?? 0).toBeGreaterThan(0);
  }, 60_000);
});

/** The pinger with its targetless stale-reply branch cut: a late echo is then simply not handled (no spec cares). */
function withoutStaleReply(): AnyStateMachine {
  const config = pingerMachine.config as unknown as { states: Record<string, { on: Record<string, unknown[]> }> };
  const waiting = config.states.waiting;
  if (waiting === undefined) throw new Error('the pinger has no waiting state');
  const echoed = waiting.on['ping.echoed'];
  if (echoed?.length !== 2) throw new Error('expected the pinger to have two ping.echoed branches');
  const states = { ...config.states, waiting: { ...waiting, on: { ...waiting.on, 'ping.echoed': [echoed[0]] } } };
  return createMachine({ ...config, states } as never, pingerMachine.implementations as never) as AnyStateMachine;
}
