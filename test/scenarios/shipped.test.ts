// The lazy scenario table (src/scenarios/shipped.ts) against the eager registry: the same names in the same order,
// and each name loads the very scenario object `findScenario` returns; unknown and hostile names are refused.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/kernel/errors.js';
import { findScenario, scenarios } from '../../src/scenarios/index.js';
import { loadShippedScenario, SHIPPED_SCENARIO_NAMES } from '../../src/scenarios/shipped.js';

describe('shipped scenarios, loaded on first use', () => {
  it('lists every registered scenario, in the registry order', () => {
    expect(SHIPPED_SCENARIO_NAMES).toEqual(scenarios.map((s) => s.name));
  });

  it.each(scenarios.map((s) => s.name))('loads %s as the same object the registry holds', async (name) => {
    expect(await loadShippedScenario(name)).toBe(findScenario(name));
  });

  it.each(['nope', '__proto__', 'constructor', 'toString', ''])(
    "refuses '%s' in one line naming the field",
    async (name) => {
      const err = await loadShippedScenario(name, 'scenario').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toMatch(
        new RegExp(`^scenario: unknown scenario '${name}' \\(known: ha-failover, `),
      );
      expect((err as Error).message).not.toContain('\n');
    },
  );
});
