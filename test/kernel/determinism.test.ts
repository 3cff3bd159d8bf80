// Determinism: the same scenario and seed give a byte-identical trace; different seeds give different runs.
// If this ever flakes, something in machines/, actors/ or the kernel reads ambient time, randomness or hash order.

import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

const SEEDS = Array.from({ length: 120 }, (_, i) => i + 1);

function deliveryOrder(lines: readonly string[]): string {
  return lines
    .filter((l) => l.startsWith('{"type":"@xstate.event"'))
    .map((l) => {
      const r = JSON.parse(l) as { t: number; sessionId: string; event: { type: string } };
      return `${r.t}:${r.sessionId}:${r.event.type}`;
    })
    .join('|');
}

describe('determinism', () => {
  it('Kernel: determinism: same seed twice gives identical trace hashes (ping-pong, 120 seeds)', () => {
    const scenario = findScenario('ping-pong');
    for (const seed of SEEDS) {
      const a = simulate({ scenario, seed, trace: true });
      const b = simulate({ scenario, seed, trace: true });
      expect(b.traceHash, `seed ${seed}: npx statevisor run ping-pong --seed ${seed}`).toBe(a.traceHash);
      expect(b.trace?.text()).toBe(a.trace?.text());
      expect(b.stateHash).toBe(a.stateHash);
    }
  });

  it('Kernel: determinism: different seeds give different interleavings (ping-pong, 120 seeds)', () => {
    const scenario = findScenario('ping-pong');
    const hashes = new Set<string>();
    const orders = new Set<string>();
    for (const seed of SEEDS) {
      const o = simulate({ scenario, seed, trace: true });
      hashes.add(o.traceHash as string);
      orders.add(deliveryOrder(o.trace?.lines ?? []));
    }
    expect(hashes.size).toBe(SEEDS.length);
    expect(orders.size).toBeGreaterThanOrEqual(SEEDS.length - 2);
  });

  it('Kernel: determinism: tie-breaking between simultaneous deliveries depends on the seed (relay-ring)', () => {
    const scenario = findScenario('relay-ring');
    const orders = new Set<string>();
    for (const seed of SEEDS.slice(0, 20)) {
      const o = simulate({ scenario, seed, trace: true, params: { hops: '8' } });
      orders.add(deliveryOrder(o.trace?.lines ?? []));
      expect(simulate({ scenario, seed, trace: true, params: { hops: '8' } }).traceHash).toBe(o.traceHash);
    }
    expect(orders.size).toBeGreaterThan(15);
  });
});
