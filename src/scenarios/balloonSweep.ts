// Scenario `balloon-sweep` (M10): a management plane inflates one VM's balloon across a lossy link; the hypervisor
// sweeps the VM's pages for zeros while the guest keeps writing, and must never reclaim a page that became non-zero.

import { balloonSweepMutants } from '../mutants/balloon.js';
import {
  BALLOON_PARAMS,
  balloonMetrics,
  balloonSummaryLines,
  buildBalloon,
  CHECKPOINTED,
  raceGoal,
  SWEPT,
  validateBalloon,
} from './balloonParams.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import type { Scenario } from './types.js';

/**
 * The small world of the check configurations: 2 super pages of 2 pages of 4 bytes, a short guest workload. The
 * plan of seed 24 in it: pages [zero, non-zero | zero, zero]; the guest writes 1, 1, 3 (non-zero) then reads 3.
 */
export const BALLOON_SMALL = {
  supers: '2',
  pagesPerSuper: '2',
  pageBytes: '4',
  targetPages: '4',
  scanNsPerByte: '0',
  reclaimDelayUs: '4',
  opGapUs: '2',
  inflateAtUs: '0',
  linkMinUs: '2',
  linkMaxUs: '4',
  linkStepUs: '2',
  retransmitUs: '40',
  maxRetransmits: '3',
  deadlineUs: '400',
  hotPercent: '100',
};

export const balloonSweepScenario: Scenario = defineScenario({
  name: 'balloon-sweep',
  title: 'A balloon inflation: the hypervisor sweeps a VM for zero pages while its guest keeps writing',
  untilUs: 1_000_000_000,
  params: BALLOON_PARAMS,
  swarm: {
    zeroPercent: ['10', '50', '90'],
    superPolicy: ['0', '1'],
    dropRate: ['0', '0.1'],
    delayRate: ['0', '0.1'],
    hostCrashFromUs: ['-1', '-1', '100'],
    hostCrashToUs: ['2000'],
  },
  checks: [
    {
      name: 'race',
      params: {
        ...BALLOON_SMALL,
        seed: '24',
        zeroPercent: '50',
        ops: '4',
        dropRate: '0.2',
        maxDrops: '1',
        delayRate: '0.2',
        maxDelays: '1',
      },
      untilUs: 1_000,
      note: '2×2 pages of 4 B, half zero; 4 guest accesses racing the sweep; one lost and one late management message',
    },
    {
      name: 'keep',
      params: {
        ...BALLOON_SMALL,
        seed: '80',
        zeroPercent: '50',
        ops: '4',
        superPolicy: '1',
        dropRate: '0.2',
        maxDrops: '1',
        delayRate: '0.2',
        maxDelays: '1',
      },
      untilUs: 1_000,
      note: 'as race with seed 80 (all four pages zero; the guest reads, then writes page 2 late), partly non-zero super pages kept intact',
    },
    {
      name: 'checkpoint',
      params: {
        ...BALLOON_SMALL,
        seed: '24',
        zeroPercent: '50',
        ops: '4',
        checkpoints: '2',
        checkpointEveryUs: '8',
        dropRate: '0.2',
        maxDrops: '1',
      },
      untilUs: 1_000,
      note: 'as race, one lost message, and two checkpoints to a backup host, 8 µs apart, racing the sweep and the writes',
    },
    {
      name: 'crash',
      params: {
        ...BALLOON_SMALL,
        seed: '24',
        zeroPercent: '50',
        ops: '4',
        dropRate: '0.2',
        maxDrops: '1',
        mgmtCrashFromUs: '0',
        mgmtCrashToUs: '40',
        mgmtCrashStepUs: '8',
        mgmtCrashRestartUs: '10',
        hostCrashFromUs: '0',
        hostCrashToUs: '20',
        hostCrashStepUs: '5',
        hostCrashRestartUs: '10',
      },
      untilUs: 1_000,
      note: 'as race, one lost message; the management host crashes at any 8 µs instant in 0..40 µs and the VM host at any 5 µs instant in 0..20 µs, both restart after 10 µs',
    },
  ],
  validate: validateBalloon,
  build(p) {
    const goals = (p.checkpoints as number) > 0 ? [SWEPT, raceGoal(), CHECKPOINTED] : [SWEPT, raceGoal()];
    const { kernel, specs, sometimes } = buildBalloon(p, goals);
    return { kernel, specs, sometimes };
  },
  summarize({ kernel }, result, p) {
    const m = balloonMetrics(kernel, result.state, p);
    const faults = formatFaults(result.faults);
    return { lines: [...balloonSummaryLines(m), ...(faults ? [`faults   ${faults}`] : [])], metrics: m };
  },
  mutants: balloonSweepMutants,
});
