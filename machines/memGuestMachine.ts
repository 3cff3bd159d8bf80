// A guest vCPU running several processes, each in its own address space: it builds their page tables at boot, lets
// the kernel's chooser pick who runs each slice, and now and then moves a page to another frame by rewriting a PTE.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import {
  asidOf,
  bootStores,
  cr3Of,
  initialFrame,
  initialSpares,
  type MemLayout,
  pteAddress,
  sliceAccesses,
} from '../dataplane/memWorkload.js';
import { guestEntry, PTE_PRESENT, PTE_WRITABLE } from '../dataplane/paging.js';
import type { CheckpointerEvent, MemGuestEvent, MemSend, NestedMmuEvent, TlbEvent } from './memEvents.js';

export interface MemGuestInput {
  readonly tlb: string;
  readonly mmu: string;
  readonly layout: MemLayout;
  /** Slices to run in all, then the guest halts. */
  readonly slices: number;
  readonly accessesPerSlice: number;
  /** Share of accesses that are writes (%). */
  readonly writePercent: number;
  /** Every this many slices the guest kernel remaps one page (0: never). */
  readonly remapEvery: number;
  readonly seed: number;
  /** Virtual time of one access that hits, and of one memory reference of a page walk (ns). */
  readonly accessNs: number;
  readonly walkRefNs: number;
  /** The hypervisor's checkpointer, which stuns the guest at epoch ends; none when nobody checkpoints it. */
  readonly checkpointer?: string;
}

export interface MemGuestContext extends MemGuestInput {
  /** The guest kernel's own record of where each (process, page) lives: index p × pages + v. */
  readonly frameOf: readonly number[];
  readonly spares: readonly number[];
  readonly slice: number;
  readonly remaps: number;
  /** Virtual ns the slices took: what misses and walks cost the guest. */
  readonly busyNs: number;
  readonly lastSliceUs: number;
  /** A stun was asked for: the guest stops at the end of the slice under way. */
  readonly stunRequested: boolean;
}

type Emitted =
  | MemSend<Extract<TlbEvent, { type: 'tlb.run' }>>
  | MemSend<Extract<NestedMmuEvent, { type: 'nmmu.store' }>>
  | MemSend<Extract<CheckpointerEvent, { type: 'ckpt.stunned' }>>
  | { type: 'draw'; options: number; label: string; event: MemGuestEvent };

export const GUEST_SLICE_TIMER_ID = 'guest.slice';

function initialFrames(l: MemLayout): number[] {
  const out: number[] = [];
  for (let p = 0; p < l.processes; p++) for (let v = 0; v < l.pagesPerProcess; v++) out.push(initialFrame(l, p, v));
  return out;
}

/** The guest kernel's page move: the PTE now names the first spare frame, and the old frame joins the spares. */
export function remapPage(c: MemGuestContext, choice: number) {
  const p = Math.floor(choice / c.layout.pagesPerProcess);
  const v = choice % c.layout.pagesPerProcess;
  const old = c.frameOf[choice] as number;
  const [fresh, ...rest] = c.spares;
  if (fresh === undefined) return { context: {}, stores: [] };
  const frameOf = c.frameOf.map((f, i) => (i === choice ? fresh : f));
  const stores = [pteAddress(p, v), guestEntry(fresh, PTE_PRESENT | PTE_WRITABLE)];
  return { context: { frameOf, spares: [...rest, old], remaps: c.remaps + 1 }, stores };
}

export const memGuestMachine = setup({
  types: {
    context: {} as MemGuestContext,
    events: {} as MemGuestEvent,
    input: {} as MemGuestInput,
    emitted: {} as Emitted,
  },
  actions: {
    buildTables: emit(({ context }) => ({
      type: 'send' as const,
      to: context.mmu,
      event: { type: 'nmmu.store' as const, stores: bootStores(context.layout) },
    })),
    drawProcess: emit(({ context }) => ({
      type: 'draw' as const,
      options: context.layout.processes,
      label: 'guest.schedule',
      event: { type: 'guest.scheduled' as const, value: 0 },
    })),
    drawRemap: emit(({ context }) => ({
      type: 'draw' as const,
      options: context.layout.processes * context.layout.pagesPerProcess,
      label: 'guest.remap',
      event: { type: 'guest.remapChosen' as const, value: 0 },
    })),
    runSlice: emit(({ context: c, event }) => {
      assertEvent(event, 'guest.scheduled');
      const p = event.value;
      const { vaddrs, writes } = sliceAccesses(
        c.seed,
        c.slice,
        p,
        c.layout.pagesPerProcess,
        c.accessesPerSlice,
        c.writePercent,
      );
      return {
        type: 'send' as const,
        to: c.tlb,
        event: { type: 'tlb.run' as const, asid: asidOf(p), cr3: cr3Of(p), vaddrs, writes },
      };
    }),
    remapPage: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'guest.remapChosen');
      const { context: next, stores } = remapPage(context, event.value);
      enqueue.assign(next);
      enqueue.emit({ type: 'send', to: context.mmu, event: { type: 'nmmu.store', stores } });
    }),
    // The slice takes the virtual time its hits and walks cost; the vCPU is busy until then.
    waitOutSlice: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'guest.ran');
      const ns = event.accesses * context.accessNs + event.walkRefs * context.walkRefNs;
      const us = Math.max(1, Math.ceil(ns / 1000));
      enqueue.assign({ busyNs: context.busyNs + ns, lastSliceUs: us });
      enqueue.cancel(GUEST_SLICE_TIMER_ID);
      enqueue.raise({ type: 'guest.resume' }, { id: GUEST_SLICE_TIMER_ID, delay: us });
    }),
    countSlice: assign({ slice: ({ context }) => context.slice + 1 }),
    requestStun: assign({ stunRequested: true }),
    clearStun: assign({ stunRequested: false }),
    reportStunned: emit(({ context }) => ({
      type: 'send' as const,
      to: context.checkpointer ?? '',
      event: { type: 'ckpt.stunned' as const, halted: context.slice >= context.slices },
    })),
  },
  guards: {
    isFinished: ({ context }) => context.slice >= context.slices,
    isStunRequested: ({ context }) => context.stunRequested,
    isRemapDue: ({ context }) => context.remapEvery > 0 && (context.slice + 1) % context.remapEvery === 0,
  },
}).createMachine({
  id: 'memGuest',
  context: ({ input }) => ({
    ...input,
    frameOf: initialFrames(input.layout),
    spares: initialSpares(input.layout),
    slice: 0,
    remaps: 0,
    busyNs: 0,
    lastSliceUs: 0,
    stunRequested: false,
  }),
  initial: 'booting',
  on: {
    // Wherever the guest is, it finishes what it is doing first: the stun is taken between slices.
    'guest.stun': { actions: 'requestStun' },
  },
  states: {
    booting: {
      entry: 'buildTables',
      on: { 'guest.stored': 'choosing' },
    },
    choosing: {
      always: [
        { guard: 'isStunRequested', target: 'stunned', actions: 'reportStunned' },
        { guard: 'isFinished', target: 'halted' },
        { target: 'scheduling', actions: 'drawProcess' },
      ],
    },
    scheduling: {
      on: { 'guest.scheduled': { target: 'running', actions: 'runSlice' } },
    },
    running: {
      on: { 'guest.ran': { target: 'resting', actions: 'waitOutSlice' } },
    },
    resting: {
      on: {
        'guest.resume': [
          { guard: 'isRemapDue', target: 'remapping', actions: ['countSlice', 'drawRemap'] },
          { target: 'choosing', actions: 'countSlice' },
        ],
      },
    },
    remapping: {
      on: { 'guest.remapChosen': { target: 'storing', actions: 'remapPage' } },
    },
    storing: {
      on: { 'guest.stored': 'choosing' },
    },
    stunned: {
      on: { 'guest.unstun': { target: 'choosing', actions: 'clearStun' } },
    },
    // Not a final state: a halted guest is still checkpointed once more, and says so when stunned.
    halted: {
      on: { 'guest.stun': { actions: 'reportStunned' } },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const memGuestSampleEvents: readonly MemGuestEvent[] = [
  { type: 'guest.stored' },
  { type: 'guest.scheduled', value: 0 },
  { type: 'guest.ran', accesses: 4, hits: 3, misses: 1, walkRefs: 14 },
  { type: 'guest.resume' },
  { type: 'guest.remapChosen', value: 1 },
  { type: 'guest.stun' },
  { type: 'guest.unstun' },
];
