// Assembly of the memory scenarios: one VM on one host, its guest vCPU, TLB and nested-paging MMU, and the NPT the
// hypervisor sets up. Specs take their ground truth (addresses, the NPT) from the plan, never from a machine.

import { guestFrames, type MemLayout } from '../dataplane/memWorkload.js';
import { memGuestMachine } from '../machines/memGuestMachine.js';
import { nestedMmuMachine } from '../machines/nestedMmuMachine.js';
import { type TlbMode, tlbMachine } from '../machines/tlbMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan } from '../src/kernel/types.js';
import { defineSystem } from '../src/scenarios/define.js';

export const MEM_HOST = 'host0';

export interface MemPlan {
  readonly host: string;
  readonly guest: string;
  readonly tlb: string;
  readonly mmu: string;
  readonly layout: MemLayout;
  /** The NPT the hypervisor built: host frame of each guest frame (reversed, so no host address equals its guest one). */
  readonly hostFrameOf: readonly number[];
}

export interface MemConfig {
  readonly layout: MemLayout;
  readonly mode: TlbMode;
  readonly tlbSets: number;
  readonly tlbWays: number;
  readonly groups: number;
  readonly slices: number;
  readonly accessesPerSlice: number;
  readonly remapEvery: number;
  readonly seed: number;
  readonly accessNs: number;
  readonly walkRefNs: number;
  readonly faults: readonly FaultPlan[];
}

export function memPlan(layout: MemLayout): MemPlan {
  const frames = guestFrames(layout);
  return {
    host: MEM_HOST,
    guest: `${MEM_HOST}/vm0/guest`,
    tlb: `${MEM_HOST}/vm0/tlb`,
    mmu: `${MEM_HOST}/vm0/mmu`,
    layout,
    hostFrameOf: Array.from({ length: frames }, (_, gfn) => frames - 1 - gfn),
  };
}

export function buildMemSystem(c: MemConfig): { kernel: Kernel; plan: MemPlan } {
  const plan = memPlan(c.layout);
  const { slices, accessesPerSlice, remapEvery, seed, accessNs, walkRefNs } = c;
  const kernel = defineSystem({
    actors: {
      [plan.guest]: {
        machine: memGuestMachine,
        input: {
          tlb: plan.tlb,
          mmu: plan.mmu,
          layout: c.layout,
          slices,
          accessesPerSlice,
          remapEvery,
          seed,
          accessNs,
          walkRefNs,
        },
      },
      [plan.tlb]: {
        machine: tlbMachine,
        input: { mmu: plan.mmu, mode: c.mode, sets: c.tlbSets, ways: c.tlbWays, groups: c.groups },
      },
      [plan.mmu]: {
        machine: nestedMmuMachine,
        input: { tlb: plan.tlb, guest: plan.guest, hostFrames: plan.hostFrameOf.length, hostFrameOf: plan.hostFrameOf },
      },
    },
    localLatencyUs: 1,
    faults: c.faults,
  });
  return { kernel, plan };
}
