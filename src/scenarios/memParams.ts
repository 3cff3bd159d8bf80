// What the memory scenarios share: the guest, TLB and timing parameters, a host crash window, and turning
// parameter values into an assembly's configuration, so mem-switch and mem-checkpoint cannot drift apart.

import type { MemConfig, MemPlan } from '../../actors/memory.js';
import { guestFrames, type MemLayout } from '../../dataplane/memWorkload.js';
import type { MemGuestContext } from '../../machines/memGuestMachine.js';
import type { NestedMmuContext } from '../../machines/nestedMmuMachine.js';
import { TLB_MODES, type TlbContext } from '../../machines/tlbMachine.js';
import { InputError } from '../kernel/errors.js';
import type { FaultPlan } from '../kernel/types.js';
import { int, US } from './paramKit.js';
import type { ParamSpec } from './types.js';

type Values = Readonly<Record<string, number | boolean | string>>;

export { US };

/** The guest, its TLB and its timing: every memory scenario has these. */
export const MEM_PARAMS = {
  tlbMode: int(2, 0, 2, 'TLB design: 0 flush on switch, 1 tagged, 2 one group per address space'),
  groups: int(4, 1, 64, 'address spaces a grouped TLB keeps (tlbMode 2)'),
  tlbSets: int(16, 1, 4096, 'TLB sets (a power of two)'),
  tlbWays: int(4, 1, 64, 'TLB ways per set'),
  processes: int(4, 1, 256, 'guest processes, each its own address space'),
  pagesPerProcess: int(24, 1, 1024, 'data pages each process maps'),
  spareFrames: int(4, 0, 4096, 'free frames the guest kernel moves pages into'),
  slices: int(400, 1, 1_000_000, 'slices the guest runs'),
  accessesPerSlice: int(2_000, 1, 1_000_000, 'memory accesses per slice'),
  writePercent: int(25, 0, 100, 'share of accesses that are writes (%)'),
  remapEvery: int(5, 0, 1_000_000, 'a page move every N slices (0: never)'),
  seed: int(7, 0, 0xffff_ffff, "the guest's own seed (its access pattern)"),
  accessNs: int(1, 0, 1_000_000, 'virtual ns of one access'),
  walkRefNs: int(20, 0, 1_000_000, 'virtual ns of one memory reference in a walk'),
  deadlineUs: int(10_000_000, 1, US.max, 'the run must be done by (µs of virtual time)'),
} as const;

/** A crash window for one host, with a restart: `<prefix>FromUs` (-1: none), `…ToUs`, `…StepUs`, `…RestartUs`. */
export function crashParams<P extends string>(
  prefix: P,
  who: string,
): Record<`${P}FromUs` | `${P}ToUs` | `${P}StepUs` | `${P}RestartUs`, ParamSpec> {
  return {
    [`${prefix}FromUs`]: int(-1, -1, US.max, `${who} crash window start (µs), -1 = no crash`),
    [`${prefix}ToUs`]: int(-1, -1, US.max, `${who} crash window end (µs)`),
    [`${prefix}StepUs`]: int(1, 1, US.max, `granularity of the ${who} crash instant (µs)`),
    [`${prefix}RestartUs`]: int(10, 0, US.max, `the ${who} restarts this long after its crash (µs)`),
  } as Record<`${P}FromUs` | `${P}ToUs` | `${P}StepUs` | `${P}RestartUs`, ParamSpec>;
}

export function crashPlan(p: Values, prefix: string, group: string): FaultPlan[] {
  const from = p[`${prefix}FromUs`] as number;
  if (from < 0) return [];
  const at = { fromUs: from, toUs: p[`${prefix}ToUs`] as number, stepUs: p[`${prefix}StepUs`] as number };
  return [{ kind: 'crash', victims: [group], at, restartAfterUs: p[`${prefix}RestartUs`] as number }];
}

/** Limits that keep one VM's arrays bounded: 64 MiB of guest memory, a million TLB entries. */
export const MEM_FRAMES_MAX = 16_384;
export const TLB_ENTRIES_MAX = 1 << 20;

export function validateMem(p: Values, crashPrefixes: readonly string[]): void {
  const sets = p.tlbSets as number;
  if ((sets & (sets - 1)) !== 0) throw new InputError(`tlbSets: expected a power of two, got ${sets}`);
  const entries = sets * (p.tlbWays as number) * ((p.tlbMode as number) === 2 ? (p.groups as number) : 1);
  if (entries > TLB_ENTRIES_MAX) {
    throw new InputError(`tlbSets/tlbWays/groups: ${entries} TLB entries; at most ${TLB_ENTRIES_MAX}`);
  }
  const frames = guestFrames(layoutOf(p));
  if (frames > MEM_FRAMES_MAX) {
    throw new InputError(`processes/pagesPerProcess/spareFrames: ${frames} guest frames; at most ${MEM_FRAMES_MAX}`);
  }
  validateCrashWindows(p, crashPrefixes);
}

/** Each crash window ends no earlier than it starts. */
export function validateCrashWindows(p: Values, crashPrefixes: readonly string[]): void {
  for (const prefix of crashPrefixes) {
    const from = p[`${prefix}FromUs`] as number;
    const to = p[`${prefix}ToUs`] as number;
    if (from >= 0 && to < from) throw new InputError(`${prefix}ToUs: ${to} is before ${prefix}FromUs (${from})`);
  }
}

export function layoutOf(p: Values): MemLayout {
  return {
    processes: p.processes as number,
    pagesPerProcess: p.pagesPerProcess as number,
    spareFrames: p.spareFrames as number,
  };
}

export function memConfigOf(p: Values, faults: readonly FaultPlan[]): MemConfig {
  return {
    layout: layoutOf(p),
    mode: TLB_MODES[p.tlbMode as number] ?? 'flush',
    tlbSets: p.tlbSets as number,
    tlbWays: p.tlbWays as number,
    groups: p.groups as number,
    slices: p.slices as number,
    accessesPerSlice: p.accessesPerSlice as number,
    writePercent: p.writePercent as number,
    remapEvery: p.remapEvery as number,
    seed: p.seed as number,
    accessNs: p.accessNs as number,
    walkRefNs: p.walkRefNs as number,
    faults,
  };
}

/** The summary lines every memory scenario prints: the TLB's figures, the walks, and what the guest did. */
export function memSummaryLines(plan: MemPlan, tlb: TlbContext, mmu: NestedMmuContext, guest: MemGuestContext) {
  const s = tlb.stats;
  const lookups = s.hits + s.misses;
  const rate = lookups === 0 ? 0 : (100 * s.misses) / lookups;
  const busyUs = (guest.busyNs / 1000).toFixed(1);
  return [
    `tlb      ${tlb.mode}: ${s.hits} hits, ${s.misses} misses (${rate.toFixed(2)}%), ${s.switchMisses} in the slice after a switch, ${s.switches} switches`,
    `walks    ${mmu.stats.walks} nested walks, ${s.dropped} entries dropped by ${s.invalidations} T-bit invalidations (${mmu.stats.tableWrites} table writes)`,
    `guest    ${guest.slice}/${guest.slices} slices of ${plan.layout.processes} processes, ${guest.remaps} pages moved, ${busyUs} µs busy`,
  ];
}
