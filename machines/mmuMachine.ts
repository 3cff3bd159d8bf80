// The memory unit of one VM: holds the guest's memory, tracks which pages an epoch dirtied, and captures them.
// A capture copies the dirty pages (every page when full) while the VM is stunned: copying costs time per page.

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import { applyWrites, collectPages } from '../dataplane/guest.js';
import type { CoordinatorEvent, CpuState, MmuEvent, Packet, Send, VmId } from './haEvents.js';

export interface MmuInput {
  readonly vm: VmId;
  /** Where captures go: the checkpoint coordinator (on the backup, none until promotion; it never captures there). */
  readonly coordinator: string;
  readonly pageCount: number;
  /** Virtual µs to copy one 4 KiB page during a capture (memory bandwidth); 0 = free. */
  readonly pageCopyUs: number;
  /** True on the backup host: memory is empty until promotion restores the checkpointed image. */
  readonly standby: boolean;
}

type Captured = Extract<CoordinatorEvent, { type: 'checkpoint.captured' }>;

export interface MmuContext extends MmuInput {
  readonly mem: Uint32Array;
  /** 1 for every page written since the last capture. */
  readonly dirty: Uint8Array;
  /** The capture being copied: sent to the coordinator when the copy is done. */
  readonly copying: Captured | null;
}

export type MmuEmitted = Send<Captured>;

export const MMU_COPY_TIMER_ID = 'mmu.copy';

export const mmuMachine = setup({
  types: {
    context: {} as MmuContext,
    events: {} as MmuEvent,
    input: {} as MmuInput,
    emitted: {} as MmuEmitted,
  },
  actions: {
    applyWrites: assign(({ context, event }) => {
      assertEvent(event, 'mmu.write');
      return applyWrites(context.mem, context.dirty, event.writes);
    }),
    // The image is fixed at the capture (the VM is stunned); the copy only takes time. Dirty bits start afresh.
    takeCapture: assign(({ context, event }) => {
      assertEvent(event, 'mmu.capture');
      const captured: Captured = {
        type: 'checkpoint.captured',
        vm: context.vm,
        epoch: event.epoch,
        full: event.full,
        cpu: event.cpu as CpuState,
        pages: collectPages(context.mem, context.dirty, event.full),
        outputs: event.outputs as readonly Packet[],
      };
      return { copying: captured, dirty: new Uint8Array(context.pageCount) };
    }),
    armCopy: enqueueActions(({ context, enqueue }) => {
      const pages = (context.copying?.pages.length ?? 0) / 2;
      enqueue.raise({ type: 'mmu.copied' }, { id: MMU_COPY_TIMER_ID, delay: Math.ceil(pages * context.pageCopyUs) });
    }),
    sendCaptured: emit(({ context }) => ({
      type: 'send' as const,
      to: context.coordinator,
      event: context.copying as Captured,
    })),
    clearCopying: assign({ copying: null }),
    restoreMemory: assign(({ context, event }) => {
      assertEvent(event, 'mmu.restore');
      return { mem: Uint32Array.from(event.mem), dirty: new Uint8Array(context.pageCount) };
    }),
  },
  guards: {
    isStandby: ({ context }) => context.standby,
    isCopyFree: ({ context }) => context.pageCopyUs === 0,
  },
}).createMachine({
  id: 'mmu',
  context: ({ input }) => ({
    ...input,
    mem: new Uint32Array(input.pageCount),
    dirty: new Uint8Array(input.pageCount),
    copying: null,
  }),
  initial: 'booting',
  states: {
    booting: {
      always: [{ guard: 'isStandby', target: 'standby' }, { target: 'tracking' }],
    },
    // A write cannot reach a standby MMU in a correct assembly (its vCPU is in standby too), so it is ignored.
    standby: {
      on: {
        'mmu.restore': { target: 'tracking', actions: 'restoreMemory' },
      },
    },
    tracking: {
      on: {
        'mmu.write': { actions: 'applyWrites' },
        'mmu.capture': [
          { guard: 'isCopyFree', actions: ['takeCapture', 'sendCaptured', 'clearCopying'] },
          { target: 'copying', actions: 'takeCapture' },
        ],
      },
    },
    // The vCPU is stunned while its pages are copied, so no write can arrive here.
    copying: {
      entry: 'armCopy',
      on: {
        'mmu.copied': { target: 'tracking', actions: ['sendCaptured', 'clearCopying'] },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const mmuSampleEvents: readonly MmuEvent[] = [
  { type: 'mmu.write', writes: [0, 11, 2, 22] },
  {
    type: 'mmu.capture',
    epoch: 1,
    full: false,
    cpu: { acc: 5, rng: 99, outSeq: 1, slice: 4 },
    outputs: [{ vm: 0, seq: 1, payload: 42 }],
  },
  { type: 'mmu.copied' },
  { type: 'mmu.restore', mem: [1, 2, 3, 4] },
];
