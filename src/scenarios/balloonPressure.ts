// Scenario `balloon-pressure` (M10): several VMs on one host share its free-page pool. Their guests fault in
// overcommitted pages while the balloons sweep zero pages back; running out of frames is an outcome, never a crash.

import type { PagePoolContext } from '../../machines/pagePoolMachine.js';
import type { Kernel } from '../kernel/kernel.js';
import type { SystemState } from '../kernel/types.js';
import { balloonPressureMutants } from '../mutants/balloon.js';
import { framesExclusive } from '../specs/framesExclusive.js';
import type { Sometimes } from '../specs/spec.js';
import {
  BALLOON_PARAMS,
  balloonMetrics,
  balloonSummaryLines,
  buildBalloon,
  SWEPT,
  validateBalloon,
} from './balloonParams.js';
import { BALLOON_SMALL } from './balloonSweep.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import type { Scenario } from './types.js';

/** The small world of both check configurations: 2 VMs faulting in fresh pages from an empty pool; one loss. */
const POOL = {
  ...BALLOON_SMALL,
  vms: '2',
  unbackedSupers: '1',
  targetPages: '2',
  poolFrames: '0',
  poolQueueMax: '1',
  poolWaitUs: '30',
  seed: '1',
  ops: '3',
  dropRate: '0.2',
  maxDrops: '1',
};

export const balloonPressureScenario: Scenario = defineScenario({
  name: 'balloon-pressure',
  title: 'Several VMs compete for one host pool: demand-zero faults wait for frames their balloons give back',
  untilUs: 1_000_000_000,
  params: {
    ...BALLOON_PARAMS,
    vms: { ...BALLOON_PARAMS.vms, default: 4 },
    supers: { ...BALLOON_PARAMS.supers, default: 2 },
    unbackedSupers: { ...BALLOON_PARAMS.unbackedSupers, default: 1 },
    hotPercent: { ...BALLOON_PARAMS.hotPercent, default: 100 },
    targetPages: { ...BALLOON_PARAMS.targetPages, default: 512 },
    poolFrames: { ...BALLOON_PARAMS.poolFrames, default: 64 },
  },
  swarm: {
    vms: ['2', '4', '8'],
    poolFrames: ['0', '64', '512'],
    poolQueueMax: ['0', '2', '8'],
    dropRate: ['0', '0.1'],
    hostCrashFromUs: ['-1', '-1', '100'],
    hostCrashToUs: ['2000'],
  },
  checks: [
    {
      name: 'pool',
      params: POOL,
      untilUs: 1_000,
      note: '2 VMs of 2×2 pages, the second super page of each unbacked, an empty pool with a queue of 1; one lost message',
    },
    {
      name: 'pool-crash',
      params: {
        ...POOL,
        hostCrashFromUs: '0',
        hostCrashToUs: '20',
        hostCrashStepUs: '10',
        hostCrashRestartUs: '10',
      },
      untilUs: 1_000,
      note: 'as pool, and the VM host (pool, memory, guests, drivers) crashes at 0, 10 or 20 µs and restarts 10 µs later',
    },
  ],
  validate: validateBalloon,
  build(p) {
    const { kernel, specs, plan } = buildBalloon(p, []);
    const pool = (k: Kernel, s: SystemState) => (k.snapshotOf(s, plan.pool).context as PagePoolContext).stats;
    const sometimes: Sometimes[] = [
      SWEPT,
      {
        name: 'oom-wait',
        description: 'a demand-zero write waited for a frame, and got one a balloon gave back',
        reached: (k, s) => pool(k, s).queued > 0 && pool(k, s).grants > 0,
      },
      {
        name: 'oom-denied',
        description: 'a demand-zero write was denied: the guest saw out-of-memory',
        reached: (k, s) => pool(k, s).denied > 0,
      },
    ];
    return { kernel, specs: [...specs, framesExclusive(plan)], sometimes };
  },
  summarize({ kernel }, result, p) {
    const m = balloonMetrics(kernel, result.state, p);
    const faults = formatFaults(result.faults);
    return { lines: [...balloonSummaryLines(m), ...(faults ? [`faults   ${faults}`] : [])], metrics: m };
  },
  mutants: balloonPressureMutants,
});
