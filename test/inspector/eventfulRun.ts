// The eventful ha-failover run several inspector tests share: a partition, its heal, the backup's crash and its
// restart, so moments, causes and timers of every kind occur; and its page model, built as the page builds it.

import { TraceModel, type TraceRecord } from '../../src/inspector/ui/model.js';
import { findScenario } from '../../src/scenarios/index.js';
import { simulate } from '../../src/simulate.js';

/**
 * ha-failover's parameters for a run with every kind of moment: a partition (step 24), its heal (50), the backup's
 * crash (98) and restart (144); with the accept-any-ack mutant, a violation at step 480 (the finding, causality
 * and compare tests share it).
 */
export const EVENTFUL_FAILOVER = {
  crashPrimary: false,
  crashBackup: true,
  restartAfterUs: 3000,
  crashFromUs: 6000,
  crashToUs: 6000,
  partitionFromUs: 2000,
  partitionToUs: 2000,
  partitionForUs: 2000,
} as const;

/** The page's model of that run (seed 1) up to `untilUs` of virtual time. */
export function eventfulModel(untilUs: number): TraceModel {
  const o = simulate({
    scenario: findScenario('ha-failover'),
    seed: 1,
    trace: true,
    untilUs,
    params: EVENTFUL_FAILOVER,
  });
  const all = (o.trace?.text() ?? '')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceRecord);
  return new TraceModel(all[0] ?? null, all.slice(1, -1), all[all.length - 1] ?? null);
}
