// Model-based test generation: the committed vectors in test/generated are what the charts generate today,
// every reachable transition of the protocol machines is covered, and vectors catch a wrong implementation.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findMachine, machines } from '../../src/machines.js';
import { mutants } from '../../src/mutants/index.js';
import { shippedTestgenSources, UNREACHABLE_REASONS } from '../../src/scenarios/testgenSources.js';
import { vectorsJson } from '../../src/testgen/emit.js';
import { generateFor } from '../../src/testgen/generate.js';
import { MAX_RUN_EVENTS } from '../../src/testgen/inputs.js';
import { MAX_EXTENSION, MAX_PATHS_PER_INPUT, replayVectors } from '../../src/testgen/machineTests.js';

const sources = shippedTestgenSources();
const generated = generateFor(machines, sources);
const byId = new Map(generated.map((t) => [t.machine, t]));
const PROTOCOL = ['checkpointCoordinator', 'sriovNic', 'replica', 'hypervisor'];

describe('testgen', () => {
  it('committed vectors are up to date (regenerate with npm run gen-tests)', () => {
    for (const t of generated) {
      const committed = readFileSync(join(import.meta.dirname, '../generated', `${t.machine}.vectors.json`), 'utf8');
      expect(
        committed === vectorsJson(t, UNREACHABLE_REASONS),
        `test/generated/${t.machine}.vectors.json is stale: npm run gen-tests`,
      ).toBe(true);
    }
  });

  it('covers every reachable transition of the protocol machines; the rest are named with a reason', () => {
    for (const id of PROTOCOL) {
      const c = byId.get(id)?.coverage;
      expect(c).toBeDefined();
      for (const t of c?.transitions.uncovered ?? []) expect(UNREACHABLE_REASONS[t], `${id}: ${t}`).toBeDefined();
      expect(c?.states.covered).toBeGreaterThanOrEqual((c?.states.total ?? 0) - 1);
    }
    expect(Object.keys(UNREACHABLE_REASONS).sort()).toEqual(
      generated.flatMap((t) => t.coverage.transitions.uncovered).sort(),
    );
  });

  it('stays bounded for machines whose context carries data', () => {
    for (const t of generated) {
      expect(t.vectors.length).toBeLessThanOrEqual(MAX_PATHS_PER_INPUT * Object.keys(t.inputs).length * 2);
      for (const v of t.vectors) {
        // Paths from the chart: a shortest path plus the extension. Paths from a real run: a prefix plus one event.
        const bound = v.input.includes('@run') ? MAX_RUN_EVENTS + 1 : 40 + MAX_EXTENSION;
        expect(v.steps.length, v.name).toBeLessThanOrEqual(bound);
      }
    }
    // The run seeds are what reach the coordinator's degraded mode and re-seeding: they must be there.
    expect(byId.get('checkpointCoordinator')?.vectors.some((v) => v.input.includes('@run'))).toBe(true);
  });

  it('every vector replays against the machine it came from', () => {
    for (const t of generated) expect(replayVectors(findMachine(t.machine), t.inputs, t.vectors).failed).toBeNull();
  });

  it('the NIC vectors catch a NIC that releases on send, naming the vector', () => {
    const nic = byId.get('sriovNic');
    const wrong = mutants.find((m) => m.name === 'release-on-send')?.overrides().sriovNic;
    expect(wrong).toBeDefined();
    const result = replayVectors(wrong as NonNullable<typeof wrong>, nic?.inputs ?? {}, nic?.vectors ?? []);
    expect(result.failed).toMatch(/^sriovNic\/hostA\/nic\/\d+$/);
    expect(result.message).toMatch(/^step \d+ \(nic\.transmit\): expected (state|emits|timers)/);
  });
});

describe('testgen paths', () => {
  it('simple paths (xstate/graph getSimplePaths) give at least the shortest-path coverage, and replay', () => {
    for (const id of ['pinger', 'replica', 'witness']) {
      const [simple] = generateFor([findMachine(id)], sources, 'simple');
      const shortest = byId.get(id);
      expect(simple?.coverage.transitions.covered).toBeGreaterThanOrEqual(shortest?.coverage.transitions.covered ?? 0);
      expect(simple?.vectors.length).toBeGreaterThanOrEqual(shortest?.vectors.length ?? 0);
      expect(replayVectors(findMachine(id), simple?.inputs ?? {}, simple?.vectors ?? []).failed).toBeNull();
    }
  });
});
