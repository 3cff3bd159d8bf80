// The tagged-memory scenario end to end (M14): bad parameters are one line naming the field; tagged and plain
// accesses and DMA keep both specs, under loss and late messages and crashes of the device host.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario } from '../../src/scenarios/index.js';
import { resolveParams } from '../../src/scenarios/types.js';
import { simulate } from '../../src/simulate.js';

const scenario = findScenario('tagged-memory');
const SMALL = { pages: '16', privatePages: '8', pageBytes: '256', guestOps: '300', dmaOps: '40' };

describe('tagged-memory scenario', () => {
  it('tagged-memory: bad parameters are one line naming the field', () => {
    expect(() => resolveParams(scenario, { pageBytes: '100' })).toThrow(
      new InputError('pageBytes: 100 is not a multiple of 16'),
    );
    expect(() => resolveParams(scenario, { pages: '4', privatePages: '5' })).toThrow(
      new InputError('privatePages: 5 exceeds pages (4)'),
    );
    expect(() => resolveParams(scenario, { cbit: '12', pages: '2', privatePages: '0', pageBytes: '4096' })).toThrow(
      new InputError('cbit: bit 12 lies inside the 8192 bytes of memory'),
    );
  });

  it('tagged-memory: both specs hold with loss, late messages and a device crash (seeds 1-2)', () => {
    for (let seed = 1; seed <= 2; seed++) {
      const params = {
        ...SMALL,
        ...{ dropRate: '0.2', delayRate: '0.2', devCrashFromUs: '100', devCrashToUs: '300', devCrashRestartUs: '50' },
      };
      const o = simulate({ scenario, seed, params });
      expect(o.result.violation, `reproduce: npx statevisor run tagged-memory --seed ${seed} (test params)`).toBeNull();
      const m = o.summary.metrics as Record<string, number>;
      expect(m.taggedWrites).toBeGreaterThan(0);
      expect(m.dmaReads).toBeGreaterThan(0);
    }
  });
});
