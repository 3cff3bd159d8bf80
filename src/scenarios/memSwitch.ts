// Scenario `mem-switch` (M7, M8): processes switch address spaces on one vCPU while the guest kernel moves their
// pages; the TLB runs flush-on-switch, tagged, or with one group per address space, and must never serve stale.

import { buildMemSystem, type MemPlan, memPlan } from '../../actors/memory.js';
import type { MemLayout } from '../../dataplane/memWorkload.js';
import type { MemGuestContext } from '../../machines/memGuestMachine.js';
import type { NestedMmuContext } from '../../machines/nestedMmuMachine.js';
import { TLB_MODES, type TlbContext } from '../../machines/tlbMachine.js';
import { InputError } from '../kernel/errors.js';
import type { FaultPlan } from '../kernel/types.js';
import { memSwitchMutants } from '../mutants/memory.js';
import { slicesComplete } from '../specs/slicesComplete.js';
import { tlbCoherence } from '../specs/tlbCoherence.js';
import { defineScenario } from './define.js';
import { formatFaults } from './format.js';
import type { Scenario } from './types.js';

const US = { min: -1, max: 1_000_000_000 };

/** Everything a check configuration leaves at its default is the small world below; modes differ per config. */
const SMALL = { processes: '2', pagesPerProcess: '2', spareFrames: '1', slices: '4', accessesPerSlice: '6' };

function faultsOf(p: Readonly<Record<string, number | boolean>>, host: string): FaultPlan[] {
  const from = p.crashFromUs as number;
  if (from < 0) return [];
  return [
    {
      kind: 'crash',
      victims: [host],
      at: { fromUs: from, toUs: p.crashToUs as number, stepUs: p.crashStepUs as number },
      restartAfterUs: p.restartAfterUs as number,
    },
  ];
}

function layoutOf(p: Readonly<Record<string, number | boolean>>): MemLayout {
  return {
    processes: p.processes as number,
    pagesPerProcess: p.pagesPerProcess as number,
    spareFrames: p.spareFrames as number,
  };
}

function summaryLines(plan: MemPlan, tlb: TlbContext, mmu: NestedMmuContext, guest: MemGuestContext): string[] {
  const s = tlb.stats;
  const lookups = s.hits + s.misses;
  const rate = lookups === 0 ? 0 : (100 * s.misses) / lookups;
  return [
    `tlb      ${tlb.mode}: ${s.hits} hits, ${s.misses} misses (${rate.toFixed(2)}%), ${s.switchMisses} in the slice after a switch, ${s.switches} switches`,
    `walks    ${mmu.stats.walks} nested walks, ${s.dropped} entries dropped by ${s.invalidations} T-bit invalidations (${mmu.stats.tableWrites} table writes)`,
    `guest    ${guest.slice}/${guest.slices} slices of ${plan.layout.processes} processes, ${guest.remaps} pages moved, ${(guest.busyNs / 1000).toFixed(1)} µs busy`,
  ];
}

export const memSwitchScenario: Scenario = defineScenario({
  name: 'mem-switch',
  title:
    'Processes switch address spaces while the guest kernel moves their pages: three TLB designs, one coherence rule',
  untilUs: 1_000_000_000,
  outputs: {},
  params: {
    tlbMode: {
      type: 'int',
      default: 2,
      min: 0,
      max: 2,
      description: 'TLB design: 0 flush on switch, 1 tagged, 2 one group per address space',
    },
    groups: { type: 'int', default: 4, min: 1, max: 64, description: 'address spaces a grouped TLB keeps (tlbMode 2)' },
    tlbSets: { type: 'int', default: 16, min: 1, max: 4096, description: 'TLB sets (a power of two)' },
    tlbWays: { type: 'int', default: 4, min: 1, max: 64, description: 'TLB ways per set' },
    processes: {
      type: 'int',
      default: 4,
      min: 1,
      max: 256,
      description: 'guest processes, each its own address space',
    },
    pagesPerProcess: { type: 'int', default: 24, min: 1, max: 1024, description: 'data pages each process maps' },
    spareFrames: {
      type: 'int',
      default: 4,
      min: 0,
      max: 4096,
      description: 'free frames the guest kernel moves pages into',
    },
    slices: { type: 'int', default: 400, min: 1, max: 1_000_000, description: 'slices the guest runs' },
    accessesPerSlice: { type: 'int', default: 2_000, min: 1, max: 1_000_000, description: 'memory accesses per slice' },
    remapEvery: {
      type: 'int',
      default: 5,
      min: 0,
      max: 1_000_000,
      description: 'a page move every N slices (0: never)',
    },
    seed: {
      type: 'int',
      default: 7,
      min: 0,
      max: 0xffff_ffff,
      description: "the guest's own seed (its access pattern)",
    },
    accessNs: { type: 'int', default: 1, min: 0, max: 1_000_000, description: 'virtual ns of one access' },
    walkRefNs: {
      type: 'int',
      default: 20,
      min: 0,
      max: 1_000_000,
      description: 'virtual ns of one memory reference in a walk',
    },
    crashFromUs: { type: 'int', default: -1, ...US, description: 'host crash window start (µs), -1 = no crash' },
    crashToUs: { type: 'int', default: -1, ...US, description: 'host crash window end (µs)' },
    crashStepUs: { type: 'int', default: 1, min: 1, max: US.max, description: 'granularity of the crash instant (µs)' },
    restartAfterUs: { type: 'int', default: 10, min: 0, max: US.max, description: 'the host restarts this long after' },
    deadlineUs: { type: 'int', default: 10_000_000, min: 1, max: US.max, description: 'every slice done by (µs)' },
  },
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
        deadlineUs: '400',
      },
      untilUs: 1_000,
      note: 'flush on switch, 3 slices, a move after each, the host crashes at any 4 µs instant in 0..40 µs and restarts',
    },
  ],
  validate(p) {
    const sets = p.tlbSets as number;
    if ((sets & (sets - 1)) !== 0) throw new InputError(`tlbSets: expected a power of two, got ${sets}`);
    if ((p.crashFromUs as number) >= 0 && (p.crashToUs as number) < (p.crashFromUs as number)) {
      throw new InputError(`crashToUs: ${p.crashToUs} is before crashFromUs (${p.crashFromUs})`);
    }
  },
  build(p) {
    const { kernel, plan } = buildMemSystem({
      layout: layoutOf(p),
      mode: TLB_MODES[p.tlbMode as number] ?? 'flush',
      tlbSets: p.tlbSets as number,
      tlbWays: p.tlbWays as number,
      groups: p.groups as number,
      slices: p.slices as number,
      accessesPerSlice: p.accessesPerSlice as number,
      remapEvery: p.remapEvery as number,
      seed: p.seed as number,
      accessNs: p.accessNs as number,
      walkRefNs: p.walkRefNs as number,
      faults: faultsOf(p, 'host0'),
    });
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
          reached: (k, s) => k.snapshotOf(s, plan.guest).status === 'done',
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
      lines: [...summaryLines(plan, tlb, mmu, guest), ...(faults ? [`faults   ${faults}`] : [])],
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
