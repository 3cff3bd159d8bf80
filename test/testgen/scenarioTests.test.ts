// Test generation from a user's scenario file: `gen-tests examples/alternating-bit.ts` covers every machine the
// scenario registers, its generated tests find the user's machines, and its vectors catch a planted bug.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli.js';
import { loadScenario, scenarioMachines } from '../../src/scenarios/load.js';
import { scenarioMachine, testgenSourcesFor } from '../../src/scenarios/testgenSources.js';
import { replayVectors, type TestVector } from '../../src/testgen/machineTests.js';

const ROOT = join(import.meta.dirname, '../..');
const EXAMPLE = join(ROOT, 'examples/alternating-bit.ts');
// test-artifacts/ is gitignored; one directory per process, so parallel runs do not share it.
const OUT = join(ROOT, 'test-artifacts', `testgen-scenario-${process.pid}`);
const MACHINES = ['abpSender', 'abpReceiver', 'abpApp'];

interface VectorFile {
  readonly machine: string;
  readonly inputs: Record<string, unknown>;
  readonly coverage: { readonly transitions: { readonly covered: number; readonly total: number } };
  readonly vectors: TestVector[];
}

async function genTests(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['gen-tests', ...args], {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    progress: false,
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const vectorsOf = (id: string) => JSON.parse(readFileSync(join(OUT, `${id}.vectors.json`), 'utf8')) as VectorFile;

describe('testgen from a scenario file', () => {
  mkdirSync(OUT, { recursive: true });
  afterAll(() => rmSync(OUT, { recursive: true, force: true }));

  it('gen-tests examples/alternating-bit.ts writes vectors with coverage for every machine it registers', async () => {
    const r = await genTests(EXAMPLE, '--out', OUT, '--min-coverage', '1');
    expect(r.code, r.err).toBe(0);
    for (const id of MACHINES) {
      const file = vectorsOf(id);
      expect(file.machine).toBe(id);
      expect(file.vectors.length, id).toBeGreaterThan(0);
      expect(file.coverage.transitions.covered, id).toBeGreaterThan(0);
      // The generated test finds the machine in the scenario file, not in the shipped catalogue.
      const test = readFileSync(join(OUT, `${id}.generated.test.ts`), 'utf8');
      expect(test).toContain(
        `await scenarioMachine(join(import.meta.dirname, '../../examples/alternating-bit.ts'), '${id}')`,
      );
      expect(test).not.toContain('findMachine');
    }
  });

  it('the vectors replay against the machines the generated tests load, and catch a sender that never retransmits', async () => {
    for (const id of MACHINES) {
      const file = vectorsOf(id);
      expect(replayVectors(await scenarioMachine(EXAMPLE, id), file.inputs, file.vectors).failed, id).toBeNull();
    }
    // Transition coverage takes each transition once; it does not test ignored events (a stale ack), so the
    // planted bug is one that changes a transition's target: the first timeout gives up instead of resending.
    const sender = await scenarioMachine(EXAMPLE, 'abpSender');
    const wrong = sender.provide({ guards: { triesLeft: () => false } });
    const file = vectorsOf('abpSender');
    const result = replayVectors(wrong, file.inputs, file.vectors);
    expect(result.failed).toMatch(/^abpSender\//);
  });

  it('sources from one scenario: its machines in registration order, its check configurations, nothing shipped', async () => {
    const scenario = await loadScenario(EXAMPLE);
    expect(scenarioMachines(scenario).map((m) => m.id)).toEqual(MACHINES);
    const sources = testgenSourcesFor(scenario);
    expect(sources.assemblies.map((a) => a.params)).toEqual([{}]);
    expect(sources.runs.map((r) => [r.untilUs, r.seed])).toEqual([[30_000, 1]]);
    expect(sources.sampleEvents).toEqual({});
    expect(sources.unreachable).toEqual({});
  });

  it('--protocol takes a scenario file', async () => {
    const r = await genTests('--protocol', EXAMPLE, '--out', OUT, '--json');
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as {
      scenario: string;
      coverage: { pairs: { covered: number; reachable: number } };
    };
    expect(summary.scenario).toBe('alternating-bit');
    expect(summary.coverage.pairs.covered).toBe(summary.coverage.pairs.reachable);
  });
});
