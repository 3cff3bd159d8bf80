// The nested-paging MMU of one VM: host memory, the NPT with A/D/T bits, the two-dimensional walks its TLB asks for,
// and the checkpoint captures (M2, M3). A store into a T-marked page is held until the TLB dropped what derived from it.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import { captureEpoch, precopyCold } from '../dataplane/capture.js';
import {
  NPT_ACCESSED,
  NPT_DIRTY,
  nestedWalk,
  OUT_GFN,
  OUT_HFN,
  OUT_PDE_GPA,
  OUT_PTE_GPA,
  PAGE_BYTES,
  PAGE_WORDS,
  storeGuestPhysical,
  storeTranslated,
  WALK_OK,
  WALK_REFS,
} from '../dataplane/paging.js';
import type { CacheEvent, CheckpointerEvent, MemGuestEvent, MemSend, NestedMmuEvent, TlbEvent } from './memEvents.js';

export interface NestedMmuInput {
  readonly tlb: string;
  readonly guest: string;
  readonly hostFrames: number;
  /** The NPT as the hypervisor set it up: host frame of each guest frame. */
  readonly hostFrameOf: readonly number[];
  /** Where slices go before the guest hears they are done (a cache), or none: straight back to the guest. */
  readonly cache?: string;
  /** Where captures and pre-copies go; none on a VM nobody checkpoints. */
  readonly checkpointer?: string;
  /** The cache's line size: what an M2 capture fetches per logged line. */
  readonly lineBytes?: number;
}

export interface NestedMmuStats {
  readonly walks: number;
  readonly faults: number;
  readonly stores: number;
  /** Stores and writes that hit a T-marked page, so the TLB had to drop entries. */
  readonly tableWrites: number;
  readonly captures: number;
}

export interface NestedMmuContext extends NestedMmuInput {
  readonly mem: Uint32Array;
  readonly npt: Uint32Array;
  /** Guest-physical words in T-marked pages written by the batch being acknowledged. */
  readonly written: readonly number[];
  /** What is owed once the TLB has acknowledged the invalidation: the guest's answer, or the slice to the cache. */
  readonly owed: Owed | null;
  /** The guest-physical image the backup holds once what was captured so far commits (M3 diffs against it). */
  readonly base: Uint32Array;
  /** Per guest frame: written since the last pre-copy tick (M3's modification history). */
  readonly touched: Uint8Array;
  /** Host-physical addresses of NPT entries whose A or D bits the walker set: the hypervisor's privileged writes. */
  readonly hvWrites: readonly number[];
  readonly stats: NestedMmuStats;
}

/** A module-level copy: under tsx an imported binding is read through a getter, and this is used per access. */
const PAGE = PAGE_BYTES;

type Walked = Extract<TlbEvent, { type: 'tlb.walked' }>;
type Emitted =
  | MemSend<Walked>
  | MemSend<Extract<TlbEvent, { type: 'tlb.invalidate' }>>
  | MemSend<MemGuestEvent>
  | MemSend<Extract<CacheEvent, { type: 'cache.access' }>>
  | MemSend<CheckpointerEvent>;
type Owed = MemSend<MemGuestEvent> | MemSend<Extract<CacheEvent, { type: 'cache.access' }>>;

/** NPT entries live in hypervisor memory above the VM's frames: entry `gfn` is the word at this host address. */
export function nptEntryAddress(c: Pick<NestedMmuContext, 'hostFrames'>, gfn: number): number {
  return c.hostFrames * PAGE_BYTES + gfn * 4;
}

/** The NPT entries whose accessed or dirty bit went from clear to set between `before` and `after`. */
function walkerWrites(c: NestedMmuContext, before: Uint32Array, after: Uint32Array): number[] {
  const out: number[] = [];
  for (let gfn = 0; gfn < after.length; gfn++) {
    const set = (after[gfn] as number) & ~(before[gfn] as number) & (NPT_ACCESSED | NPT_DIRTY);
    if (set !== 0) out.push(nptEntryAddress(c, gfn));
  }
  return out;
}

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
  const stats = { ...c.stats, walks: c.stats.walks + vpns.length, faults: c.stats.faults + faults };
  return { npt, walked, stats, hvWrites: [...c.hvWrites, ...walkerWrites(c, c.npt, npt)] };
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
    if (storeGuestPhysical(mem, npt, gpa, stores[i + 1] as number) === 1) noteWritten(written, gpa & ~3);
  }
  const stats = {
    ...c.stats,
    stores: c.stats.stores + Math.floor(stores.length / 2),
    tableWrites: c.stats.tableWrites + written.length,
  };
  const stored: MemGuestEvent = { type: 'guest.stored' };
  if (c.cache === undefined) return { mem, npt, written, owed: { type: 'send', to: c.guest, event: stored }, stats };
  // The guest kernel's stores are the VM's writes too: they go through the cache like its processes' do.
  const addrs: number[] = [];
  for (let i = 0; i + 1 < stores.length; i += 2) {
    const gpa = stores[i] as number;
    const hfn = c.hostFrameOf[gpa >>> 12];
    if (hfn !== undefined) addrs.push(hfn * PAGE + (gpa & (PAGE - 1) & ~3));
  }
  const event = {
    type: 'cache.access' as const,
    addrs,
    writes: addrs.map(() => 1),
    hvAddrs: [...c.hvWrites, ...walkerWrites(c, c.npt, npt)],
    owed: stored,
  };
  return { mem, npt, written, owed: { type: 'send', to: c.cache, event }, hvWrites: [], stats };
}

/** The slice as the cache sees it: host-physical byte addresses, the guest's writes, the walker's own writes. */
function cacheAccessOf(c: NestedMmuContext, e: Extract<NestedMmuEvent, { type: 'nmmu.access' }>, owed: MemGuestEvent) {
  const addrs: number[] = [];
  const writes: number[] = [];
  for (let i = 0; i < e.vaddrs.length; i++) {
    const hfn = e.hfns[i] as number;
    if (hfn < 0) continue;
    addrs.push(hfn * PAGE + ((e.vaddrs[i] as number) & (PAGE - 1)));
    writes.push((e.writes[i] as number) >= 0 ? 1 : 0);
  }
  return { type: 'cache.access' as const, addrs, writes, hvAddrs: c.hvWrites, owed };
}

function applyAccess(
  c: NestedMmuContext,
  e: Extract<NestedMmuEvent, { type: 'nmmu.access' }>,
): Partial<NestedMmuContext> {
  const mem = c.mem.slice();
  const npt = c.npt.slice();
  const touched = c.touched.slice();
  const written: number[] = [];
  for (let i = 0; i < e.vaddrs.length; i++) {
    const value = e.writes[i] as number;
    if (value < 0 || (e.hfns[i] as number) < 0) continue;
    const gfn = e.gfns[i] as number;
    const vaddr = e.vaddrs[i] as number;
    touched[gfn] = 1;
    if (storeTranslated(mem, npt, e.hfns[i] as number, gfn, vaddr, value))
      noteWritten(written, gfn * 4096 + (vaddr & 0xffc));
  }
  const ran: MemGuestEvent = {
    type: 'guest.ran',
    accesses: e.vaddrs.length,
    hits: e.hits,
    misses: e.misses,
    walkRefs: e.walkRefs,
  };
  const next = { ...c, hvWrites: [...c.hvWrites, ...walkerWrites(c, c.npt, npt)] };
  const stats = { ...c.stats, tableWrites: c.stats.tableWrites + written.length };
  if (c.cache === undefined)
    return { mem, npt, touched, written, owed: { type: 'send', to: c.guest, event: ran }, stats };
  // The slice goes on through the cache, which tells the guest; the walker's writes go with it.
  const owed: Owed = { type: 'send', to: c.cache, event: cacheAccessOf(next, e, ran) };
  return { mem, npt, touched, written, owed, hvWrites: [], stats };
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
      const { npt, walked, stats, hvWrites } = walkPages(context, event.cr3, event.vpns, true);
      enqueue.assign({ npt, stats, hvWrites });
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
    // The guest waits for each batch's answer; a second batch now would be lost, so it stops the run instead.
    refuseOverlap: ({ event }) => {
      throw new Error(`nestedMmu: ${event.type} arrived while an invalidation was outstanding (its sender must wait)`);
    },
    payGuest: enqueueActions(({ context, enqueue }) => {
      enqueue.emit(context.owed as Owed);
      enqueue.assign({ owed: null, written: [] });
    }),
    // The VM is stunned, so memory is the epoch's image; the NPT's dirty bits and the backup's base move on.
    capture: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'nmmu.capture');
      const npt = c.npt.slice();
      const base = c.base.slice();
      const transfer = captureEpoch(c.mem, npt, c.hostFrameOf, base, { ...event, lineBytes: c.lineBytes ?? 64 });
      enqueue.assign({ npt, base, stats: { ...c.stats, captures: c.stats.captures + 1 } });
      const reply = { type: 'ckpt.captured' as const, epoch: event.epoch, full: event.full, transfer };
      enqueue.emit({ type: 'send', to: c.checkpointer ?? '', event: reply });
    }),
    precopy: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'nmmu.precopy');
      const npt = c.npt.slice();
      const base = c.base.slice();
      const touched = c.touched.slice();
      const transfer = precopyCold(c.mem, npt, c.hostFrameOf, base, touched, event.holds);
      enqueue.assign({ npt, base, touched });
      enqueue.emit({
        type: 'send',
        to: c.checkpointer ?? '',
        event: { type: 'ckpt.precopied', epoch: event.epoch, transfer },
      });
    }),
  },
  guards: {
    hasWrittenTables: ({ context }) => context.written.length > 0,
  },
}).createMachine({
  id: 'nestedMmu',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    mem: new Uint32Array(input.hostFrames * PAGE_WORDS),
    npt: initialNpt(input.hostFrameOf),
    written: [],
    owed: null,
    base: new Uint32Array(input.hostFrameOf.length * PAGE_WORDS),
    touched: new Uint8Array(input.hostFrameOf.length),
    hvWrites: [],
    stats: { walks: 0, faults: 0, stores: 0, tableWrites: 0, captures: 0 },
  }),
  initial: 'ready',
  on: {
    // Walks never wait: the guest's batch that needs them is the one the TLB is translating.
    'nmmu.walk': { actions: 'walkPages' },
    // Captures come while the guest is stunned, pre-copies between its slices: neither waits for a TLB.
    'nmmu.capture': { actions: 'capture' },
    'nmmu.precopy': { actions: 'precopy' },
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
      on: {
        'nmmu.invalidated': { target: 'ready', actions: 'payGuest' },
        'nmmu.store': { actions: 'refuseOverlap' },
        'nmmu.access': { actions: 'refuseOverlap' },
      },
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
  { type: 'nmmu.capture', epoch: 1, variant: 'm3', full: false, holds: [0, 1], lines: [] },
  { type: 'nmmu.precopy', epoch: 1, holds: [0, 1] },
];
