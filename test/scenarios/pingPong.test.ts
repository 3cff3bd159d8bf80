// The ping-pong scenario end to end: its specs hold over many seeds, and each spec catches a planted bug.
// Mutants are built with machine.provide({...}) and run through the same simulate() path as the CLI.

import { describe, expect, it } from 'vitest';
import { assign } from 'xstate';
import { pingerMachine } from '../../machines/pingerMachine.js';
import { pongerMachine } from '../../machines/pongerMachine.js';
import { findScenario } from '../../src/scenarios/index.js';
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
    expect(found?.violation.message).toMatch(/accepted the reply to ping #\d+ as the answer to ping #\d+/);
  });

  it('Kernel: ping-pong: ping-accounting catches a pinger that forgets to count a give-up', () => {
    const mutant = pingerMachine.provide({ actions: { countGiveUp: assign({}) } });
    const found = firstViolation({ overrides: { pinger: mutant } });
    expect(found?.violation.spec).toBe('ping-accounting');
  });

  it('Kernel: ping-pong: ponger-never-ahead catches a ponger that records the wrong sequence number', () => {
    const mutant = pongerMachine.provide({
      actions: {
        recordNew: assign({
          echoedCount: ({ context }) => context.echoedCount + 1,
          highestSeq: ({ event, context }) => (event.type === 'ping.echo' ? event.seq + 1 : context.highestSeq),
        }),
      },
    });
    const found = firstViolation({ overrides: { ponger: mutant } });
    expect(found).toMatchObject({ seed: 1, violation: { spec: 'ponger-never-ahead', step: 1 } });
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
