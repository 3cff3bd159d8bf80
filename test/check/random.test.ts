// Randomized search: swarm parameters come from the seed alone, worker threads give the same counterexample
// as one thread, and a shrunk counterexample still violates the same spec.

import { describe, expect, it } from 'vitest';
import { search } from '../../src/check/pool.js';
import { swarmParams, walk } from '../../src/check/random.js';
import { shrink } from '../../src/check/shrink.js';
import { fromWorker, InputError, KernelError, LimitError, MachineThrew } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const pingPong = findScenario('ping-pong');

describe('random search', () => {
  it('draws swarm fault options from the seed alone', () => {
    const a = swarmParams(pingPong, 17, { pings: '3' });
    expect(swarmParams(pingPong, 17, { pings: '3' })).toEqual(a);
    expect(a.pings).toBe('3');
    const variety = new Set(Array.from({ length: 40 }, (_, i) => JSON.stringify(swarmParams(pingPong, i, {}))));
    expect(variety.size).toBeGreaterThan(10);
  });

  it('keeps what the base pins, and draws the rest as it would have without the pin', () => {
    const knobs = Object.keys(pingPong.swarm ?? {});
    expect(knobs.length).toBeGreaterThan(1);
    const [pinned, other] = knobs as [string, string];
    for (let seed = 0; seed < 20; seed++) {
      const free = swarmParams(pingPong, seed, {});
      const held = swarmParams(pingPong, seed, { [pinned]: 'pinned-by-the-user' });
      expect(held[pinned]).toBe('pinned-by-the-user');
      expect(held[other]).toBe(free[other]);
    }
  });

  it('names the seed and its draw when the options combine into parameters the scenario refuses', () => {
    // A scenario whose swarm can draw past its own limit on the sum of its rates.
    const scenario = { ...pingPong, swarm: { dropRate: ['0', '0.9'], duplicateRate: ['0', '0.9'] } };
    const req = { scenario, params: {}, swarm: true };
    const refused = Array.from({ length: 12 }, (_, seed) => seed).find((seed) => {
      const p = swarmParams(scenario, seed, {});
      return p.dropRate === '0.9' && p.duplicateRate === '0.9';
    });
    expect(refused).toBeDefined();
    expect(() => walk(req, refused as number)).toThrow(
      new InputError(
        `swarm seed ${refused} drew dropRate=0.9, duplicateRate=0.9, which the scenario refuses: dropRate: dropRate + duplicateRate + delayRate must be <= 1, got 1.85`,
      ),
    );
  });

  it("turns a worker thread's errors back into their classes, with their fields, so each is reported as on one thread", () => {
    const cloned = Object.assign(new Error('swarm seed 3 drew …'), { name: 'InputError' });
    const revived = fromWorker(cloned);
    expect(revived).toBeInstanceOf(InputError);
    expect((revived as Error).message).toBe('swarm seed 3 drew …');
    const kernel = fromWorker(Object.assign(new Error('seed 2: threw'), { name: 'KernelError', seed: 2, params: {} }));
    expect(kernel).toBeInstanceOf(KernelError);
    expect(kernel).toMatchObject({ message: 'seed 2: threw', seed: 2, params: {} });
    const limit = fromWorker(Object.assign(new Error('too deep'), { name: 'LimitError', limit: 'queue' }));
    expect(limit).toBeInstanceOf(LimitError);
    expect(limit).toMatchObject({ limit: 'queue', message: 'too deep' });
    const threw = fromWorker(
      Object.assign(new Error("actor 'a' (machine 'm') threw on 'x' at step 3: no"), {
        name: 'MachineThrew',
        ...{ who: "actor 'a' (machine 'm') threw on 'x'", detail: 'no', step: 3, t: 40, choices: [1, 0] },
      }),
    );
    expect(threw).toBeInstanceOf(MachineThrew);
    expect(threw).toMatchObject({ message: "actor 'a' (machine 'm') threw on 'x' at step 3: no", step: 3, t: 40 });
    expect((threw as MachineThrew).at([2]).choices).toEqual([2]);
    const other = new Error('boom');
    expect(fromWorker(other)).toBe(other);
    const typed = new TypeError('KernelError');
    expect(fromWorker(Object.assign(typed, { name: 'KernelError' }))).toBe(typed);
  });

  it('Check: swarm with 2 workers finds the same counterexample as with 1', async () => {
    const req = {
      scenario: findScenario('ha-failover'),
      params: {},
      mutant: 'restore-without-resend',
      swarm: true,
      first: 1,
      count: 60,
    };
    const one = await search({ ...req, workers: 1 });
    const two = await search({ ...req, workers: 2 });
    expect([one.failure?.seed, one.failure?.violation.spec]).toEqual([9, 'output-liveness']);
    expect(two.failure?.seed).toBe(one.failure?.seed);
    expect(two.failure?.choices).toEqual(one.failure?.choices);
    expect(two.failure?.violation).toEqual(one.failure?.violation);
  }, 120_000);

  it('shrinks a random counterexample without losing its violation', async () => {
    const found = await search({
      scenario: pingPong,
      params: { pings: '6' },
      mutant: 'accept-any-reply',
      swarm: false,
      first: 1,
      count: 100,
      workers: 1,
    });
    const f = found.failure;
    expect(f?.violation.spec).toBe('reply-matches-ping');
    const s = shrink({
      scenario: pingPong,
      params: f?.params ?? {},
      mutant: 'accept-any-reply',
      untilUs: pingPong.untilUs,
      choices: f?.choices ?? [],
      spec: 'reply-matches-ping',
      budget: 300,
    });
    // Seed 2 fails after 12 steps with 26 choices; shrinking halves the steps (pinned, so a shrinker that stops
    // shrinking shows here).
    expect([f?.seed, f?.choices.length, f?.steps]).toEqual([2, 26, 12]);
    expect([s.choices.length, s.steps, s.attempts]).toEqual([18, 7, 82]);
    const replay = simulate({
      scenario: pingPong,
      seed: f?.seed ?? 0,
      params: f?.params ?? {},
      choices: s.choices,
      mutant: 'accept-any-reply',
    });
    expect(replay.result.violation?.spec).toBe('reply-matches-ping');
    expect(replay.result.state.step).toBe(s.steps);
  });
});
