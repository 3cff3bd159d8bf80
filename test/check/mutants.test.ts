// The mutation score in every test run: each registered mutant is checked on its configuration (BFS), killed by
// the spec it is registered for with a counterexample of pinned length, and that trace replays to the violation.

import { describe, expect, it } from 'vitest';
import { runCheck } from '../../src/check/check.js';
import { replayTraceText } from '../../src/cli/replay.js';
import { mutants } from '../../src/mutants/index.js';
import { findScenario } from '../../src/scenarios/index.js';
import { LENGTHS } from './mutantLengths.js';

describe('mutants', () => {
  it('registers at least two mutants for every HA machine with behaviour', () => {
    const per = new Map<string, number>();
    for (const m of mutants) per.set(m.machine, (per.get(m.machine) ?? 0) + 1);
    for (const machine of [
      'vcpu',
      'mmu',
      'disk',
      'hypervisor',
      'sriovNic',
      'checkpointCoordinator',
      'replica',
      'witness',
      'receiver',
    ]) {
      expect(per.get(machine) ?? 0, machine).toBeGreaterThanOrEqual(2);
    }
  });

  // Every registered mutant, in every run: the largest searches take 0.4–2 s each since the explorer's speed-up.
  for (const m of mutants) {
    it(`Mutants: ${m.scenario}${m.config ? ` ${m.config}` : ''}: ${m.name} is killed by ${m.expectedSpec}`, async () => {
      const report = runCheck({
        scenario: findScenario(m.scenario),
        mode: 'bfs',
        now: () => 0,
        mutant: m.name,
        ...(m.config !== undefined ? { config: m.config } : {}),
      });
      const cex = report.result.counterexample;
      expect(cex?.violation.spec, `${m.name} survived (${report.result.verdict})`).toBe(m.expectedSpec);
      expect(cex?.steps).toBe(LENGTHS[m.name]);
      // Re-executed from its choices, the path violates the same spec at the same step...
      expect(report.trace?.violatedAtStep).toBe(cex?.steps);
      // ...and the trace written for it replays byte-identically and reports that violation.
      const replay = await replayTraceText(report.trace?.text ?? '', 'cex.jsonl');
      expect(replay.identical).toBe(true);
      expect(replay.violation?.spec).toBe(m.expectedSpec);
    });
  }
});
