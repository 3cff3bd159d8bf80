// The example scenarios in examples/, loaded as a user's files are: each check configuration explores to its pinned
// size and verdict, and each planted bug is caught by its spec with a counterexample of pinned length that replays.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkPassed, runCheck } from '../../src/check/check.js';
import { replayTraceText } from '../../src/cli/replay.js';
import { main } from '../../src/cli.js';
import { loadScenario } from '../../src/scenarios/load.js';

const EXAMPLES = join(import.meta.dirname, '../../examples');

interface Expected {
  /** Per check configuration: distinct states (BFS), verdict, and for a violation its spec, kind and length. */
  readonly configs: Readonly<
    Record<string, { states: number; verdict: string; violation?: { spec: string; kind: string; steps: number } }>
  >;
  /** Per mutant: the spec that catches it and the shortest counterexample's length. */
  readonly mutants: Readonly<Record<string, { spec: string; steps: number }>>;
}

const EXPECTED: Readonly<Record<string, Expected>> = {
  'alternating-bit.ts': {
    configs: { lossy: { states: 12233, verdict: 'holds' } },
    mutants: {
      'receiver-ignores-bit': { spec: 'in-order-once', steps: 2 },
      'sender-ignores-ack-bit': { spec: 'all-delivered', steps: 6 },
    },
  },
  'two-phase-commit.ts': {
    // One state per orbit of the participants' symmetry (1601 and 89 states without it: test/check/symmetry.test.ts).
    configs: {
      recovery: { states: 862, verdict: 'holds' },
      // 2PC's blocking problem, on purpose: both vote yes, the coordinator crashes for good, they wait forever.
      blocking: { states: 54, verdict: 'violated', violation: { spec: 'decided', kind: 'liveness', steps: 3 } },
    },
    mutants: {
      'commit-on-first-yes': { spec: 'atomic-outcome', steps: 2 },
      'decision-not-logged': { spec: 'atomic-outcome', steps: 9 },
      'decision-told-once': { spec: 'decided', steps: 7 },
    },
  },
  'lease-handover.ts': {
    configs: {
      drift: { states: 13832, verdict: 'holds' },
      'holder-crash': { states: 2380, verdict: 'holds' },
      lapse: { states: 9244, verdict: 'holds' },
    },
    mutants: {
      'ignores-margin': { spec: 'single-leader', steps: 41 },
      'renews-without-asking': { spec: 'single-leader', steps: 31 },
      'lease-never-expires': { spec: 'leader-returns', steps: 10 },
    },
  },
};

/** A counterexample's trace replays byte-identically and reproduces the same violation. */
async function expectReplays(text: string, spec: string): Promise<void> {
  const replay = await replayTraceText(text, 'cex.jsonl');
  expect(replay.identical).toBe(true);
  expect(replay.violation?.spec).toBe(spec);
}

for (const [file, expected] of Object.entries(EXPECTED)) {
  describe(`examples/${file}`, () => {
    const load = () => loadScenario(join(EXAMPLES, file));

    it('declares exactly the check configurations and mutants pinned here', async () => {
      const scenario = await load();
      expect((scenario.checks ?? []).map((c) => c.name)).toEqual(Object.keys(expected.configs));
      expect((scenario.mutants ?? []).map((m) => m.name)).toEqual(Object.keys(expected.mutants));
    });

    for (const [config, want] of Object.entries(expected.configs)) {
      it(`check --config ${config}: ${want.states} states, ${want.verdict}`, async () => {
        const report = runCheck({ scenario: await load(), mode: 'bfs', now: () => 0, config });
        expect(report.result.states).toBe(want.states);
        expect(report.result.verdict).toBe(want.verdict);
        // A configuration that demonstrates a known counterexample passes by finding it.
        expect(checkPassed(report)).toBe(true);
        const cex = report.result.counterexample;
        if (want.violation === undefined) {
          expect(cex).toBeNull();
          return;
        }
        expect(cex?.violation.spec).toBe(want.violation.spec);
        expect(cex?.violation.kind).toBe(want.violation.kind);
        expect(cex?.steps).toBe(want.violation.steps);
        await expectReplays(report.trace?.text ?? '', want.violation.spec);
      });
    }

    for (const [mutant, want] of Object.entries(expected.mutants)) {
      it(`mutant ${mutant} is caught by ${want.spec} in ${want.steps} steps`, async () => {
        const scenario = await load();
        const m = (scenario.mutants ?? []).find((x) => x.name === mutant);
        const report = runCheck({
          scenario,
          mode: 'bfs',
          now: () => 0,
          mutant,
          ...(m?.config !== undefined ? { config: m.config } : {}),
        });
        const cex = report.result.counterexample;
        expect(cex?.violation.spec, `${mutant} survived (${report.result.verdict})`).toBe(want.spec);
        expect(m?.expectedSpec).toBe(want.spec);
        expect(cex?.steps).toBe(want.steps);
        expect(report.trace?.violatedAtStep).toBe(cex?.steps);
        await expectReplays(report.trace?.text ?? '', want.spec);
      });
    }
  });
}

describe('a known counterexample as a check configuration (CheckConfig.expect)', () => {
  async function check(...args: string[]) {
    const out: string[] = [];
    const code = await main(['check', join(EXAMPLES, 'two-phase-commit.ts'), ...args], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      progress: false,
    });
    return { code, out: out.join('\n') };
  }

  it('passes when the configuration violates the spec it expects, and goes on to the next one', async () => {
    const r = await check();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/as expected: this configuration demonstrates a known counterexample \(decided\)/);
  });

  it('fails when the expected counterexample is gone (the coordinator restarts), saying so', async () => {
    const r = await check('--config', 'blocking', '--set', 'restartAfterUs=1000');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NOT AS EXPECTED: this configuration should violate decided, but the verdict is holds/);
  });

  it('counts every violation as a finding once a mutant is planted', async () => {
    const r = await check('--config', 'blocking', '--mutant', 'commit-on-first-yes');
    expect(r.code).toBe(1);
    expect(r.out).not.toMatch(/as expected/);
  });
});
