// Unit tests of the faults a check states it explores (src/scenarios/faultGrid.ts): read from the kernel
// configuration, instants listed or summarised, restarts and heals, and only the message faults a link can cause.

import { describe, expect, it } from 'vitest';
import { describeFaults, instantsText } from '../../src/scenarios/faultGrid.js';
import { haFailoverScenario } from '../../src/scenarios/ha.js';
import { assemble, resolveParams } from '../../src/scenarios/types.js';

describe('describeFaults', () => {
  it('lists a short grid of instants and summarises a long one by its ends, step and count', () => {
    expect(instantsText({ fromUs: 200, toUs: 2200, stepUs: 1000 })).toBe('200 µs, 1.200 ms or 2.200 ms');
    expect(instantsText({ fromUs: 50, toUs: 50 })).toBe('50 µs');
    expect(instantsText({ fromUs: 0, toUs: 8499, stepUs: 50 })).toBe(
      'every 50 µs from 0 µs to 8.450 ms (170 instants)',
    );
    expect(instantsText({ fromUs: 10, toUs: 5, stepUs: 1 })).toBe('no instant');
  });

  it('says which hosts crash, partition or are isolated, when they come back, and what the links may do', () => {
    const faults = describeFaults({
      defaultLink: { dropRate: 0.1 },
      links: { 'a<->b': { delayRate: 0.2 } },
      faultBudget: { drops: 1, delays: 2, duplicates: 3 },
      faults: [
        {
          kind: 'crash',
          victims: ['a', 'b'],
          at: { fromUs: 10, toUs: 30, stepUs: 10 },
          restartAfterUs: 5,
          restartable: ['b'],
        },
        { kind: 'crash', victims: ['c'], at: { fromUs: 1000, toUs: 1000 } },
        { kind: 'partition', pairs: [['a', 'b']], at: { fromUs: 0, toUs: 0 }, healAfterUs: 2500 },
        { kind: 'isolate', victims: ['a'], spare: ['world'], at: { fromUs: 1300, toUs: 1300 } },
      ],
      clocks: { driftPpm: 100, groups: ['a'] },
    });
    expect(faults).toEqual([
      'crash of one of a, b at 10 µs, 20 µs or 30 µs, restarts 5 µs later (b; the others stay down)',
      'crash of c at 1.000 ms, stays down',
      'partition of a|b at 0 µs, heals 2.500 ms later',
      'isolation of a (world still reached) at 1.300 ms, never heals',
      'at most 1 message lost, at most 2 messages late',
      'clocks of a drift by ±100 ppm',
    ]);
    expect(describeFaults({ defaultLink: { dropRate: 0.5 } })).toEqual(['any number of messages lost']);
    expect(describeFaults({ defaultLink: { dropRate: 0.5 }, faultBudget: { drops: 0 } })).toEqual([]);
  });

  it("states a shipped configuration's grid as the scenario builds it", () => {
    const config = haFailoverScenario.checks?.find((c) => c.name === 'primary-crash');
    const { kernel } = assemble(haFailoverScenario, resolveParams(haFailoverScenario, config?.params ?? {}));
    expect(describeFaults(kernel.config)).toEqual(['crash of hostA at 200 µs, 1.200 ms or 2.200 ms, stays down']);
  });
});
