// The ping-pong scenario end to end: its specs hold over many seeds, and each spec catches a planted bug.
// Mutants are built with machine.provide({...}) and run through the same simulate() path as the CLI.

import { describe, expect, it } from 'vitest';
import { assign } from 'xstate';
import { PINGER, PONGER } from '../../actors/pingPong.js';
import { pingerMachine } from '../../machines/pingerMachine.js';
import { SeededChooser } from '../../src/kernel/chooser.js';
import { runSystem } from '../../src/kernel/run.js';
import { findScenario } from '../../src/scenarios/index.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';
import { type SimulateRequest, simulate } from '../../src/simulate.js';

const scenario = findScenario('ping-pong');
const SEEDS = 300;

function firstViolation(req: Omit<SimulateRequest, 'scenario' | 'seed'>, seeds = 200) {
  for (let seed = 1; seed <= seeds; seed++) {
    const o = simulate({ scenario, seed, ...req });
    if (o.result.violation !== null) return { seed, violation: o.result.violation };
  }
  return null;
}

describe('ping-pong scenario', () => {
  it(`Kernel: ping-pong: every spec holds (${SEEDS} seeds, default faults)`, () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const o = simulate({ scenario, seed });
      expect(o.result.violation, `reproduce: npx statevisor run ping-pong --seed ${seed}`).toBeNull();
      expect(o.result.reason).toBe('quiescent');
    }
  });

  it('Kernel: ping-pong: every spec holds with a ponger crash and a harsh link (100 seeds)', () => {
    const params = { crashFromUs: '5000', crashToUs: '60000', dropRate: '0.3', duplicateRate: '0.2', delayRate: '0.2' };
    for (let seed = 1; seed <= 100; seed++) {
      const o = simulate({ scenario, seed, params });
      expect(o.result.violation, `reproduce: npx statevisor run ping-pong --seed ${seed} ${flags(params)}`).toBeNull();
    }
  });

  it('Kernel: ping-pong: reply-matches-ping catches a pinger that accepts any reply', () => {
    const mutant = pingerMachine.provide({ guards: { isCurrentReply: () => true } });
    const found = firstViolation({ overrides: { pinger: mutant } });
    expect(found, 'no seed in 1..200 exposed the mutant').not.toBeNull();
    expect(found?.violation.spec).toBe('reply-matches-ping');
    expect(found?.violation.message).toMatch(/moved on to ping #\d+ but ping #\d+ was neither echoed nor given up/);
  });

  it('Kernel: ping-pong: ping-liveness catches a pinger that never arms its timeout (a stall)', () => {
    const mutant = pingerMachine.provide({ actions: { armTimeout: assign({}) } });
    const found = firstViolation({ overrides: { pinger: mutant } });
    expect(found?.violation.spec).toBe('ping-liveness');
    expect(found?.violation.kind).toBe('liveness');
    expect(found?.violation.message).toMatch(/ping #\d+ is still open/);
  });

  it('Kernel: ping-pong: ponger-never-ahead catches a ping the pinger never sent (an invented message)', () => {
    const a = assemble(scenario, resolveParams(scenario, {}));
    a.kernel.schedule(PONGER, { type: 'ping.echo', seq: 9, replyTo: PINGER }, 50);
    const r = runSystem(a.kernel, new SeededChooser(1), { maxSteps: 1000, untilUs: 1_000_000 });
    expect(r.violation).toMatchObject({ spec: 'ponger-never-ahead', kind: 'safety' });
    expect(r.violation?.message).toBe('hostB/ponger received ping #9 but hostA/pinger has only sent up to #1');
  });

  it('Kernel: ping-pong: a partition makes pings give up, and they recover after it heals (seed 1)', () => {
    const params = {
      partitionFromUs: '2000',
      partitionToUs: '2000',
      partitionForUs: '40000',
      dropRate: '0',
      duplicateRate: '0',
      delayRate: '0',
    };
    const o = simulate({ scenario, seed: 1, params });
    const pinger = o.summary.metrics.pinger as { gaveUp: number; replied: number };
    expect(pinger.gaveUp).toBeGreaterThan(0);
    expect(pinger.replied).toBeGreaterThan(0);
    expect(pinger.gaveUp + pinger.replied).toBe(20);
  });
});

function flags(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
}
