// Protocol-level vectors: every reachable (actor, transition) pair of an HA check configuration is taken by some
// vector, the committed ha-failover vectors are current, and they catch a NIC that releases on send.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findScenario } from '../../src/scenarios/index.js';
import { protocolJson } from '../../src/testgen/emit.js';
import { generateProtocolTests, type ProtocolTests, replayProtocolVectors } from '../../src/testgen/protocol.js';

describe('protocol vectors', () => {
  // The smaller configurations: the larger ones (ha-steady lossy, ha-failover crash) are the soak's.
  const configs = [
    ['ha-partition', 'cut'],
    ['ha-mixed', 'shared-nic'],
  ] as const;
  for (const [name, config] of configs) {
    it(`Testgen: ${name} ${config}: the vectors take every reachable (actor, transition) pair`, () => {
      const t = generateProtocolTests(findScenario(name), { config });
      expect(t.coverage.pairs.covered).toBe(t.coverage.pairs.reachable);
      for (const a of Object.values(t.coverage.perActor)) expect(a.covered).toBe(a.reachable);
      expect(replayProtocolVectors(t, findScenario(name)).failed).toBeNull();
    });
  }

  it('Testgen: ha-failover: the committed vectors are current (npm run gen-tests) and name the failing one for a wrong NIC', () => {
    const scenario = findScenario('ha-failover');
    const text = readFileSync(join(import.meta.dirname, '../generated/ha-failover.protocol-vectors.json'), 'utf8');
    const committed = JSON.parse(text) as ProtocolTests;
    const fresh = generateProtocolTests(scenario, { config: 'primary-crash' });
    expect(text === protocolJson(fresh), 'stale: run npm run gen-tests').toBe(true);
    expect(committed.coverage.pairs.covered).toBe(committed.coverage.pairs.reachable);
    expect(committed.vectors.every((v) => v.expectedOutputs.length > 0)).toBe(true);
    expect(replayProtocolVectors(committed, scenario).failed).toBeNull();
    const wrong = replayProtocolVectors(committed, scenario, 'release-on-send');
    expect(wrong.failed).toMatch(/^ha-failover\/\d+$/);
    expect(wrong.message).toMatch(/^output \d+: expected /);
  });
});
