// The nested-paging MMU of one VM: host memory, the NPT with A/D/T bits, and the two-dimensional walks its TLB asks
// for. A store to a page whose NPT entry has the T bit is held until the TLB has dropped what derived from it (M7).

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import {
  nestedWalk,
  OUT_GFN,
  OUT_HFN,
  OUT_PDE_GPA,
  OUT_PTE_GPA,
  PAGE_WORDS,
  storeGuestPhysical,
  storeTranslated,
  WALK_OK,
  WALK_REFS,
} from '../dataplane/paging.js';
import type { MemGuestEvent, MemSend, NestedMmuEvent, TlbEvent } from './memEvents.js';

export interface NestedMmuInput {
  readonly tlb: string;
  readonly guest: string;
  readonly hostFrames: number;
  /** The NPT as the hypervisor set it up: host frame of each guest frame. */
  readonly hostFrameOf: readonly number[];
}

export interface NestedMmuStats {
  readonly walks: number;
  readonly faults: number;
  readonly stores: number;
  /** Stores and writes that hit a T-marked page, so the TLB had to drop entries. */
  readonly tableWrites: number;
}

export interface NestedMmuContext extends NestedMmuInput {
  readonly mem: Uint32Array;
  readonly npt: Uint32Array;
  /** Guest-physical words in T-marked pages written by the batch being acknowledged. */
  readonly written: readonly number[];
  /** What the guest is owed once the TLB has acknowledged the invalidation. */
  readonly owed: MemGuestEvent | null;
  readonly stats: NestedMmuStats;
}

type Walked = Extract<TlbEvent, { type: 'tlb.walked' }>;
type Emitted = MemSend<Walked> | MemSend<Extract<TlbEvent, { type: 'tlb.invalidate' }>> | MemSend<MemGuestEvent>;

function initialNpt(hostFrameOf: readonly number[]): Uint32Array {
  // Present and writable, no A/D/T: the same entry format paging.ts's createNpt builds.
  return Uint32Array.from(hostFrameOf, (hfn) => ((hfn << 12) | 0x3) >>> 0);
}

/** Walks each page for the address space at `cr3` on copies of the NPT; a page that faults is an assembly error. */
export function walkPages(c: NestedMmuContext, cr3: number, vpns: readonly number[], markTables: boolean) {
  const npt = c.npt.slice();
  const out = new Int32Array(4);
  const r: Walked = { type: 'tlb.walked', vpns, hfns: [], gfns: [], pdeGpas: [], pteGpas: [], refs: 0 };
  let faults = 0;
  const cols = { hfns: [] as number[], gfns: [] as number[], pdeGpas: [] as number[], pteGpas: [] as number[] };
  for (const vpn of vpns) {
    // A page that faults comes back as host frame -1: the guest's page fault, which these guests never take.
    if (nestedWalk(c.mem, npt, cr3, vpn * 4096, false, markTables, out) !== WALK_OK) out.fill(-1);
    faults += out[OUT_HFN] === -1 ? 1 : 0;
    cols.hfns.push(out[OUT_HFN] as number);
    cols.gfns.push(out[OUT_GFN] as number);
    cols.pdeGpas.push(out[OUT_PDE_GPA] as number);
    cols.pteGpas.push(out[OUT_PTE_GPA] as number);
  }
  const walked: Walked = { ...r, ...cols, refs: vpns.length * WALK_REFS };
  return { npt, walked, stats: { ...c.stats, walks: c.stats.walks + vpns.length, faults: c.stats.faults + faults } };
}

function noteWritten(written: number[], gfn: number): void {
  if (!written.includes(gfn)) written.push(gfn);
}

function applyStores(c: NestedMmuContext, stores: readonly number[]): Partial<NestedMmuContext> {
  const mem = c.mem.slice();
  const npt = c.npt.slice();
  const written: number[] = [];
  for (let i = 0; i + 1 < stores.length; i += 2) {
    const gpa = stores[i] as number;
    // A frame the NPT does not map takes no store (-1); the assembly maps every frame its guest uses.
    if (storeGuestPhysical(mem, npt, gpa, stores[i + 1] as number) === 1) noteWritten(written, gpa);
  }
  const stats = {
    ...c.stats,
    stores: c.stats.stores + stores.length / 2,
    tableWrites: c.stats.tableWrites + written.length,
  };
  return { mem, npt, written, owed: { type: 'guest.stored' }, stats };
}

function applyAccess(c: NestedMmuContext, e: Extract<NestedMmuEvent, { type: 'nmmu.access' }>) {
  const mem = c.mem.slice();
  const npt = c.npt.slice();
  const written: number[] = [];
  for (let i = 0; i < e.vaddrs.length; i++) {
    const value = e.writes[i] as number;
    if (value < 0 || (e.hfns[i] as number) < 0) continue;
    const gfn = e.gfns[i] as number;
    const vaddr = e.vaddrs[i] as number;
    if (storeTranslated(mem, npt, e.hfns[i] as number, gfn, vaddr, value))
      noteWritten(written, gfn * 4096 + (vaddr & 0xffc));
  }
  const owed: MemGuestEvent = {
    type: 'guest.ran',
    accesses: e.vaddrs.length,
    hits: e.hits,
    misses: e.misses,
    walkRefs: e.walkRefs,
  };
  return { mem, npt, written, owed, stats: { ...c.stats, tableWrites: c.stats.tableWrites + written.length } };
}

export const nestedMmuMachine = setup({
  types: {
    context: {} as NestedMmuContext,
    events: {} as NestedMmuEvent,
    input: {} as NestedMmuInput,
    emitted: {} as Emitted,
  },
  actions: {
    walkPages: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'nmmu.walk');
      const { npt, walked, stats } = walkPages(context, event.cr3, event.vpns, true);
      enqueue.assign({ npt, stats });
      enqueue.emit({ type: 'send', to: context.tlb, event: walked });
    }),
    applyStores: assign(({ context, event }) => {
      assertEvent(event, 'nmmu.store');
      return applyStores(context, event.stores);
    }),
    applyAccess: assign(({ context, event }) => {
      assertEvent(event, 'nmmu.access');
      return applyAccess(context, event);
    }),
    askInvalidate: emit(({ context }) => ({
      type: 'send' as const,
      to: context.tlb,
      event: { type: 'tlb.invalidate' as const, entries: context.written },
    })),
    payGuest: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'send', to: context.guest, event: context.owed as MemGuestEvent });
      enqueue.assign({ owed: null, written: [] });
    }),
  },
  guards: {
    hasWrittenTables: ({ context }) => context.written.length > 0,
  },
}).createMachine({
  id: 'nestedMmu',
  context: ({ input }) => ({
    ...input,
    mem: new Uint32Array(input.hostFrames * PAGE_WORDS),
    npt: initialNpt(input.hostFrameOf),
    written: [],
    owed: null,
    stats: { walks: 0, faults: 0, stores: 0, tableWrites: 0 },
  }),
  initial: 'ready',
  on: {
    // Walks never wait: the guest's batch that needs them is the one the TLB is translating.
    'nmmu.walk': { actions: 'walkPages' },
  },
  states: {
    ready: {
      on: {
        'nmmu.store': { target: 'applied', actions: 'applyStores' },
        'nmmu.access': { target: 'applied', actions: 'applyAccess' },
      },
    },
    applied: {
      always: [
        { guard: 'hasWrittenTables', target: 'invalidating', actions: 'askInvalidate' },
        { target: 'ready', actions: 'payGuest' },
      ],
    },
    invalidating: {
      on: { 'nmmu.invalidated': { target: 'ready', actions: 'payGuest' } },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const nestedMmuSampleEvents: readonly NestedMmuEvent[] = [
  { type: 'nmmu.store', stores: [0x4, 0x1003, 0x1000, 0x2003] },
  { type: 'nmmu.walk', cr3: 0, vpns: [1] },
  {
    type: 'nmmu.access',
    asid: 1,
    cr3: 0,
    vaddrs: [0x1000],
    hfns: [2],
    gfns: [2],
    writes: [5],
    hits: 0,
    misses: 1,
    walkRefs: 14,
  },
  { type: 'nmmu.invalidated' },
];
