// What random walks exercised: goals keep their lowest seed, specs their observations, liveness its closest approach,
// the same however the seeds are split between threads; walks that never tested a claim make the verdict vacuous.

import { describe, expect, it } from 'vitest';
import { walkSeeds } from '../../src/check/random.js';
import {
  CoverageBook,
  coverageClaims,
  mergeCoverage,
  vacuityOf,
  type WalkCoverage,
} from '../../src/check/walkCoverage.js';
import { SeededChooser } from '../../src/kernel/chooser.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';

const pingPong = findScenario('ping-pong');
const lossy = pingPong.checks?.find((c) => c.name === 'lossy');

function coverageOf(first: number, count: number, stride = 1, offset = 0, untilUs?: number): WalkCoverage {
  if (lossy === undefined) throw new Error('ping-pong has no lossy configuration');
  const req = {
    scenario: pingPong,
    params: lossy.params,
    swarm: false,
    claims: coverageClaims({ scenario: pingPong, config: lossy, params: {}, swarm: false }),
    ...(untilUs !== undefined ? { untilUs } : {}),
  };
  const r = walkSeeds(req, first, count, stride, offset);
  expect(r.failure).toBeNull();
  expect(r.coverage).not.toBeNull();
  return r.coverage as WalkCoverage;
}

describe('walk coverage', () => {
  it('is the same over one thread and over the seeds dealt to two, merged', () => {
    const one = coverageOf(1, 40);
    const two = mergeCoverage(coverageOf(1, 40, 2, 0), coverageOf(1, 40, 2, 1));
    expect(two).toEqual(one);
    // Every goal ping-pong's lossy walks must reach was reached, each at its lowest seed.
    expect(one.goals.length).toBeGreaterThan(0);
    for (const g of one.goals) {
      expect(g.required).toBe(true);
      expect(g.seed).not.toBeNull();
      const before = (g.seed as number) > 1 ? coverageOf(1, (g.seed as number) - 1) : null;
      expect(before?.goals.find((x) => x.name === g.name)?.seed ?? null).toBeNull();
    }
    expect(vacuityOf(one)).toEqual({ unreached: [], unobserved: [], untested: [] });
  });

  it('keeps the least time to spare before a deadline over every walk', () => {
    const whole = coverageOf(1, 30).liveness;
    const halves = [coverageOf(1, 15).liveness, coverageOf(16, 15).liveness];
    whole.forEach((l, i) => {
      const spares = halves.map((h) => h[i]?.spareUs).filter((x): x is number => typeof x === 'number');
      expect(l.spareUs).toBe(Math.min(...spares));
    });
  });

  it('names what walks cut short by their horizon never did: unreached goals, unfed specs, untested liveness', () => {
    const v = vacuityOf(coverageOf(1, 5, 1, 0, 1));
    expect(v.unreached.length).toBeGreaterThan(0);
    expect(v.untested).toEqual(['ping-liveness']);
  });

  it("refuses walks whose systems have other goals instead of asking the first walk's goal objects", () => {
    if (lossy === undefined) throw new Error('ping-pong has no lossy configuration');
    const a = assemble(pingPong, resolveParams(pingPong, lossy.params));
    const goals = a.sometimes ?? [];
    expect(goals.length).toBeGreaterThan(1);
    const book = new CoverageBook({ reach: null, liveness: null });
    const state = a.kernel.initial(new SeededChooser(1));
    book.state(a.kernel, goals, state, 1);
    expect(() => book.state(a.kernel, [...goals].reverse(), state, 2)).toThrow(
      /seed 2 built a system whose goal '[\w-]+' differs from seed 1's/,
    );
  });

  it('refuses to merge coverage of different systems', () => {
    const c = coverageOf(1, 2);
    expect(() => mergeCoverage(c, { ...c, specs: c.specs.slice(1) })).toThrow(/different goals or specs/);
    // A goal one side does not require would let it hide an unreached one.
    const unrequired = { ...c, goals: c.goals.map((g) => ({ ...g, required: false })) };
    expect(() => mergeCoverage(c, unrequired)).toThrow(/different goals or specs/);
    expect(mergeCoverage(null, c)).toBe(c);
  });
});
