// Scenario `mem-switch` (M7, M8): processes switch address spaces on one vCPU while the guest kernel moves their
// pages; the TLB runs flush-on-switch, tagged, or with one group per address space, and must never serve stale.

import { buildMemSystem, MEM_HOST, memPlan } from '../../actors/memory.js';
import type { MemGuestContext } from '../../machines/memGuestMachine.js';
import type { NestedMmuContext } from '../../machines/nestedMmuMachine.js';
import type { TlbContext } from '../../machines/tlbMachine.js';
import { memSwitchMutants } from '../mutants/memory.js';
import { slicesComplete } from '../specs/slicesComplete.js';
import { tlbCoherence } from '../specs/tlbCoherence.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import {
  crashParams,
  crashPlan,
  layoutOf,
  MEM_PARAMS,
  memConfigOf,
  memSummaryLines,
  validateMem,
} from './memParams.js';
import type { Scenario } from './types.js';

/** Everything a check configuration leaves at its default is the small world below; modes differ per config. */
const SMALL = { processes: '2', pagesPerProcess: '2', spareFrames: '1', slices: '4', accessesPerSlice: '6' };

export const memSwitchScenario: Scenario = defineScenario({
  name: 'mem-switch',
  title:
    'Processes switch address spaces while the guest kernel moves their pages: three TLB designs, one coherence rule',
  untilUs: 1_000_000_000,
  outputs: {},
  // Swarm seeds: any TLB design, groups enough or too few, a host crash or none.
  swarm: {
    tlbMode: ['0', '1', '2'],
    groups: ['2', '4'],
    crashFromUs: ['-1', '-1', '200'],
    crashToUs: ['2000'],
  },
  params: { ...MEM_PARAMS, ...crashParams('crash', 'host') },
  checks: [
    {
      name: 'tagged',
      params: { ...SMALL, tlbMode: '1', tlbSets: '1', tlbWays: '2', remapEvery: '2', deadlineUs: '400' },
      untilUs: 1_000,
      note: '2 processes × 2 pages, 4 slices in any schedule, a page move every 2 slices to any page',
    },
    {
      name: 'grouped',
      params: {
        ...SMALL,
        processes: '3',
        tlbMode: '2',
        groups: '2',
        tlbSets: '1',
        tlbWays: '2',
        remapEvery: '2',
        deadlineUs: '400',
      },
      untilUs: 1_000,
      note: '3 processes sharing 2 groups, 4 slices in any schedule, a page move every 2 slices',
    },
    {
      name: 'crash',
      params: {
        ...SMALL,
        slices: '3',
        tlbMode: '0',
        tlbSets: '1',
        tlbWays: '2',
        remapEvery: '1',
        crashFromUs: '0',
        crashToUs: '40',
        crashStepUs: '4',
        crashRestartUs: '10',
        deadlineUs: '400',
      },
      untilUs: 1_000,
      note: 'flush on switch, 3 slices, a move after each, the host crashes at any 4 µs instant in 0..40 µs and restarts',
    },
  ],
  validate: (p) => validateMem(p, ['crash']),
  build(p) {
    const { kernel, plan } = buildMemSystem(memConfigOf(p, crashPlan(p, 'crash', MEM_HOST)));
    return {
      kernel,
      specs: [tlbCoherence(plan), slicesComplete(plan, p.slices as number, p.deadlineUs as number)],
      sometimes: [
        {
          name: 'stale-entry-dropped',
          description: 'a T-bit invalidation dropped a TLB entry derived from a rewritten table',
          reached: (k, s) => (k.snapshotOf(s, plan.tlb).context as TlbContext).stats.dropped > 0,
        },
        {
          name: 'halted',
          description: 'the guest ran every slice',
          reached: (k, s) => k.snapshotOf(s, plan.guest).value === 'halted',
        },
      ],
    };
  },
  summarize({ kernel }, result, p) {
    const plan = memPlan(layoutOf(p));
    const tlb = kernel.snapshotOf(result.state, plan.tlb).context as TlbContext;
    const mmu = kernel.snapshotOf(result.state, plan.mmu).context as NestedMmuContext;
    const guest = kernel.snapshotOf(result.state, plan.guest).context as MemGuestContext;
    const faults = formatFaults(result.faults);
    return {
      lines: [...memSummaryLines(plan, tlb, mmu, guest), ...(faults ? [`faults   ${faults}`] : [])],
      metrics: {
        mode: tlb.mode,
        ...tlb.stats,
        walksDone: mmu.stats.walks,
        slices: guest.slice,
        busyNs: guest.busyNs,
        crashes: p.crashFromUs,
      },
    };
  },
  mutants: memSwitchMutants,
});
