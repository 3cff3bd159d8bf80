// Assembly of the memory scenarios: one VM, its guest vCPU, TLB, nested-paging MMU and the NPT the hypervisor sets
// up; for checkpointing also its cache, the checkpointer and a backup host's collector. Specs read the plan.

import type { CacheGeometry } from '../dataplane/cache.js';
import type { CaptureVariant } from '../dataplane/capture.js';
import { guestFrames, type MemLayout } from '../dataplane/memWorkload.js';
import { cacheMachine } from '../machines/cacheMachine.js';
import { memCheckpointerMachine } from '../machines/memCheckpointerMachine.js';
import { memCollectorMachine } from '../machines/memCollectorMachine.js';
import { memGuestMachine } from '../machines/memGuestMachine.js';
import { nestedMmuMachine } from '../machines/nestedMmuMachine.js';
import { type TlbMode, tlbMachine } from '../machines/tlbMachine.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { FaultPlan, LinkConfig } from '../src/kernel/types.js';
import { type ActorDefinition, defineSystem } from '../src/scenarios/define.js';

export const MEM_HOST = 'host0';
export const BACKUP_HOST = 'backup';

export interface MemPlan {
  readonly host: string;
  readonly guest: string;
  readonly tlb: string;
  readonly mmu: string;
  readonly layout: MemLayout;
  /** The NPT the hypervisor built: host frame of each guest frame (reversed, so no host address equals its guest one). */
  readonly hostFrameOf: readonly number[];
  readonly cache: string;
  readonly checkpointer: string;
  readonly backup: string;
  readonly collector: string;
}

export interface MemConfig {
  readonly layout: MemLayout;
  readonly mode: TlbMode;
  readonly tlbSets: number;
  readonly tlbWays: number;
  readonly groups: number;
  readonly slices: number;
  readonly accessesPerSlice: number;
  readonly writePercent: number;
  readonly remapEvery: number;
  readonly seed: number;
  readonly accessNs: number;
  readonly walkRefNs: number;
  readonly faults: readonly FaultPlan[];
}

export interface MemCheckpointConfig extends MemConfig {
  readonly variant: CaptureVariant;
  readonly cache: CacheGeometry;
  readonly epochUs: number;
  readonly precopyUs: number;
  readonly retransmitUs: number;
  readonly maxRetransmits: number;
  readonly copyNsPerByte: number;
  readonly link: Partial<LinkConfig>;
  readonly maxDrops: number;
  readonly maxDelays: number;
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
    cache: `${MEM_HOST}/vm0/cache`,
    checkpointer: `${MEM_HOST}/vm0/checkpointer`,
    backup: BACKUP_HOST,
    collector: `${BACKUP_HOST}/vm0/collector`,
  };
}

export function buildMemSystem(c: MemConfig): { kernel: Kernel; plan: MemPlan } {
  const plan = memPlan(c.layout);
  const kernel = defineSystem({ actors: vmActors(c, plan, null), localLatencyUs: 1, faults: c.faults });
  return { kernel, plan };
}

/** The VM of `buildMemSystem` with a cache on its memory path, a checkpointer, and a backup host's collector. */
export function buildMemCheckpointSystem(c: MemCheckpointConfig): { kernel: Kernel; plan: MemPlan } {
  const plan = memPlan(c.layout);
  const { variant, epochUs, precopyUs, retransmitUs, maxRetransmits, copyNsPerByte } = c;
  const kernel = defineSystem({
    actors: {
      ...vmActors(c, plan, c.cache),
      [plan.checkpointer]: {
        machine: memCheckpointerMachine,
        input: {
          ...{ guest: plan.guest, cache: plan.cache, mmu: plan.mmu, collector: plan.collector, variant },
          ...{ epochUs, precopyUs, retransmitUs, maxRetransmits, copyNsPerByte },
        },
      },
      [plan.collector]: {
        machine: memCollectorMachine,
        input: { checkpointer: plan.checkpointer, guestFrames: plan.hostFrameOf.length },
      },
    },
    localLatencyUs: 1,
    links: { [`${MEM_HOST}<->${BACKUP_HOST}`]: c.link },
    faultBudget: { drops: c.maxDrops, delays: c.maxDelays },
    // A checkpoint part occupies the link for its bytes; everything else is a small control message.
    messageBytes: (e) => 64 + ((e as { transfer?: { bytes: number } }).transfer?.bytes ?? 0),
    faults: c.faults,
  });
  return { kernel, plan };
}

/** The VM's actors on its host; with a cache geometry, slices pass through the cache and a checkpointer stuns it. */
function vmActors(c: MemConfig, plan: MemPlan, cache: CacheGeometry | null): Record<string, ActorDefinition> {
  const { layout, slices, accessesPerSlice, writePercent, remapEvery, seed, accessNs, walkRefNs } = c;
  const stunnedBy = cache !== null ? { checkpointer: plan.checkpointer } : {};
  const viaCache = cache !== null ? { cache: plan.cache, ...stunnedBy, lineBytes: cache.lineBytes } : {};
  const hostFrames = plan.hostFrameOf.length;
  const actors: Record<string, ActorDefinition> = {
    [plan.guest]: {
      machine: memGuestMachine,
      input: {
        ...{ tlb: plan.tlb, mmu: plan.mmu, layout, slices, accessesPerSlice, writePercent, remapEvery, seed },
        ...{ accessNs, walkRefNs },
        ...stunnedBy,
      },
    },
    [plan.tlb]: {
      machine: tlbMachine,
      input: { mmu: plan.mmu, mode: c.mode, sets: c.tlbSets, ways: c.tlbWays, groups: c.groups },
    },
    [plan.mmu]: {
      machine: nestedMmuMachine,
      input: { tlb: plan.tlb, guest: plan.guest, hostFrames, hostFrameOf: plan.hostFrameOf, ...viaCache },
    },
  };
  if (cache !== null) {
    actors[plan.cache] = { machine: cacheMachine, input: { mmu: plan.mmu, guest: plan.guest, geometry: cache } };
  }
  return actors;
}
