// A vCPU's TLB: translates whole slices, asks the MMU to walk what it misses, and drops entries derived from guest
// tables the MMU reports written (M7). Three designs to compare (M8): flush on switch, tagged, one group per space.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import {
  cloneTlb,
  createTlb,
  type Tlb,
  tlbClaimElement,
  tlbDropDerived,
  tlbFindElement,
  tlbFlushElement,
} from '../dataplane/tlb.js';
import {
  advanceRun,
  dropWalksFrom,
  NO_WALKS,
  startRun,
  type TlbRun,
  type WalkResults,
} from '../dataplane/translate.js';
import type { MemSend, NestedMmuEvent, TlbEvent } from './memEvents.js';

/** flush: one untagged element, emptied on every switch; tagged: entries tagged by space; grouped: M8's elements. */
export type TlbMode = 'flush' | 'tagged' | 'grouped';
export const TLB_MODES: readonly TlbMode[] = ['flush', 'tagged', 'grouped'];

export interface TlbInput {
  readonly mmu: string;
  readonly mode: TlbMode;
  readonly sets: number;
  readonly ways: number;
  /** Elements in grouped mode (ignored otherwise): address spaces kept at once. */
  readonly groups: number;
}

export interface TlbStats {
  readonly slices: number;
  readonly hits: number;
  readonly misses: number;
  /** Misses in the first slice after an address-space switch: M8's metric. */
  readonly switchMisses: number;
  readonly switches: number;
  readonly walks: number;
  /** Entries dropped because a guest table they came from was written. */
  readonly dropped: number;
  readonly invalidations: number;
}

export interface TlbContext extends TlbInput {
  readonly tlb: Tlb;
  /** The element in use and the space it serves (-1 before the first slice). */
  readonly element: number;
  readonly asid: number;
  readonly run: TlbRun | null;
  readonly switched: boolean;
  readonly walked: WalkResults;
  readonly stats: TlbStats;
}

type Access = Extract<NestedMmuEvent, { type: 'nmmu.access' }>;
type Walk = Extract<NestedMmuEvent, { type: 'nmmu.walk' }>;
type Run = Extract<TlbEvent, { type: 'tlb.run' }>;

const NO_STATS: TlbStats = {
  slices: 0,
  hits: 0,
  misses: 0,
  switchMisses: 0,
  switches: 0,
  walks: 0,
  dropped: 0,
  invalidations: 0,
};

/** The entry tag: only a tagged TLB keeps the space in each entry; the others know it from the element. */
function tagOf(c: Pick<TlbContext, 'mode'>, asid: number): number {
  return c.mode === 'tagged' ? asid : 0;
}

/**
 * Makes address space `asid` current on the copy `tlb`: a flush, nothing, or finding (else reclaiming) its element.
 * `clearReclaimed` empties an element taken from another space; without it that space's entries would be served.
 */
export function switchSpace(c: TlbContext, tlb: Tlb, asid: number, clearReclaimed: boolean): number {
  if (c.mode === 'flush') {
    tlbFlushElement(tlb, 0);
    return 0;
  }
  if (c.mode === 'tagged') return 0;
  const found = tlbFindElement(tlb, asid);
  return found >= 0 ? found : tlbClaimElement(tlb, asid, clearReclaimed);
}

/** Starts a slice: switches space when it changed, then translates as far as the TLB and no walk allows. */
export function beginSlice(c: TlbContext, e: Run, clearReclaimed: boolean): Partial<TlbContext> {
  const tlb = cloneTlb(c.tlb);
  const switching = e.asid !== c.asid;
  const element = switching ? switchSpace(c, tlb, e.asid, clearReclaimed) : c.element;
  // The first slice is a cold start, not a switch: M8's metric counts misses a switch causes.
  const switched = switching && c.asid !== -1;
  const { run } = advanceRun(tlb, element, tagOf(c, e.asid), startRun(e.asid, e.cr3, e.vaddrs, e.writes), NO_WALKS);
  const stats = { ...c.stats, slices: c.stats.slices + 1, switches: c.stats.switches + (switched ? 1 : 0) };
  return { tlb, element, asid: e.asid, run, switched, walked: NO_WALKS, stats };
}

/**
 * Drops every entry read from the written table entries. `everyElement` is M8's rule: the change is reflected in every
 * element that holds it, not only the current one.
 */
export function dropDerived(c: TlbContext, entries: readonly number[], everyElement: boolean): Partial<TlbContext> {
  const tlb = cloneTlb(c.tlb);
  let dropped = 0;
  for (let el = 0; el < tlb.elements; el++) {
    if (!everyElement && el !== c.element) continue;
    for (const gpa of entries) dropped += tlbDropDerived(tlb, el, gpa);
  }
  const stats = { ...c.stats, dropped: c.stats.dropped + dropped, invalidations: c.stats.invalidations + 1 };
  return { tlb, walked: dropWalksFrom(c.walked, entries), stats };
}

function pendingPages(c: TlbContext): number[] {
  const run = c.run as TlbRun;
  const tlb = cloneTlb(c.tlb);
  return advanceRun(tlb, c.element, tagOf(c, run.asid), run, NO_WALKS).missing;
}

export const tlbMachine = setup({
  types: {
    context: {} as TlbContext,
    events: {} as TlbEvent,
    input: {} as TlbInput,
    emitted: {} as MemSend<Walk> | MemSend<Access> | MemSend<{ type: 'nmmu.invalidated' }>,
  },
  actions: {
    beginSlice: assign(({ context, event }) => {
      assertEvent(event, 'tlb.run');
      return beginSlice(context, event, true);
    }),
    takeWalks: assign(({ context, event }) => {
      assertEvent(event, 'tlb.walked');
      const run = context.run as TlbRun;
      const tlb = cloneTlb(context.tlb);
      const advanced = advanceRun(tlb, context.element, tagOf(context, run.asid), run, event).run;
      const walks = context.stats.walks + event.vpns.length;
      return {
        tlb,
        walked: event,
        run: { ...advanced, walkRefs: run.walkRefs + event.refs },
        stats: { ...context.stats, walks },
      };
    }),
    requestWalks: emit(({ context }) => ({
      type: 'send' as const,
      to: context.mmu,
      event: { type: 'nmmu.walk' as const, cr3: (context.run as TlbRun).cr3, vpns: pendingPages(context) },
    })),
    finishSlice: enqueueActions(({ context, enqueue }) => {
      const r = context.run as TlbRun;
      const { hits, misses, walkRefs } = r;
      enqueue.emit({
        type: 'send',
        to: context.mmu,
        event: {
          type: 'nmmu.access',
          asid: r.asid,
          cr3: r.cr3,
          vaddrs: r.vaddrs,
          hfns: r.hfns,
          gfns: r.gfns,
          writes: r.writes,
          hits,
          misses,
          walkRefs,
        },
      });
      const s = context.stats;
      const stats = {
        ...s,
        hits: s.hits + hits,
        misses: s.misses + misses,
        switchMisses: s.switchMisses + (context.switched ? misses : 0),
      };
      enqueue.assign({ run: null, walked: NO_WALKS, stats });
    }),
    dropDerived: assign(({ context, event }) => {
      assertEvent(event, 'tlb.invalidate');
      return dropDerived(context, event.entries, true);
    }),
    // The guest waits for each slice's answer; a second slice now would be lost, so it stops the run instead.
    refuseOverlap: () => {
      throw new Error('tlb: a slice arrived while the previous one was waiting for walks (its sender must wait)');
    },
    ackInvalidate: emit(({ context }) => ({
      type: 'send' as const,
      to: context.mmu,
      event: { type: 'nmmu.invalidated' as const },
    })),
  },
  guards: {
    isSliceTranslated: ({ context }) => context.run !== null && context.run.pos === context.run.vaddrs.length,
  },
}).createMachine({
  id: 'tlb',
  context: ({ input }) => ({
    ...input,
    tlb: createTlb(input.sets, input.ways, input.mode === 'grouped' ? input.groups : 1),
    element: 0,
    asid: -1,
    run: null,
    switched: false,
    walked: NO_WALKS,
    stats: NO_STATS,
  }),
  initial: 'idle',
  on: {
    // Whatever the TLB is doing: the MMU holds the guest's store until this ack, so nothing stale can be served.
    'tlb.invalidate': { actions: ['dropDerived', 'ackInvalidate'] },
  },
  states: {
    idle: {
      on: { 'tlb.run': { target: 'translating', actions: 'beginSlice' } },
    },
    translating: {
      always: [
        { guard: 'isSliceTranslated', target: 'idle', actions: 'finishSlice' },
        { target: 'walking', actions: 'requestWalks' },
      ],
    },
    walking: {
      on: {
        'tlb.walked': { target: 'translating', actions: 'takeWalks' },
        'tlb.run': { actions: 'refuseOverlap' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const tlbSampleEvents: readonly TlbEvent[] = [
  { type: 'tlb.run', asid: 1, cr3: 0, vaddrs: [0x40_0000, 0x40_1004], writes: [-1, 7] },
  {
    type: 'tlb.walked',
    vpns: [0x400, 0x401],
    hfns: [9, 8],
    gfns: [4, 5],
    pdeGpas: [4, 4],
    pteGpas: [0x1000, 0x1004],
    refs: 28,
  },
  { type: 'tlb.invalidate', entries: [0x1000] },
];
