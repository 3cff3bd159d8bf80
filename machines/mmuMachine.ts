// The memory unit of one VM: holds the guest's memory, tracks which pages an epoch dirtied, and captures them.
// A capture is the incremental checkpoint: only the dirty pages travel, with a digest of the whole image for fidelity.

import { assertEvent, assign, emit, setup } from 'xstate';
import { applyWrites, collectDirty, imageDigest } from '../actors/guest.js';
import type { CoordinatorEvent, MmuEvent, Send, VmId } from './haEvents.js';

export interface MmuInput {
  readonly vm: VmId;
  /** Where captures go: the checkpoint coordinator (on the backup, the replica; it never captures there). */
  readonly coordinator: string;
  readonly pageCount: number;
  /** True on the backup host: memory is empty until promotion restores the checkpointed image. */
  readonly standby: boolean;
}

export interface MmuContext extends MmuInput {
  readonly mem: Uint32Array;
  /** 1 for every page written since the last capture. */
  readonly dirty: Uint8Array;
  readonly lastCapturedEpoch: number;
  /** `mmu.write` batches applied (one per guest slice that wrote). */
  readonly writeBatchCount: number;
}

export type MmuEmitted = Send<Extract<CoordinatorEvent, { type: 'checkpoint.captured' }>>;

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
      const { mem, dirty } = applyWrites(context.mem, context.dirty, event.writes);
      return { mem, dirty, writeBatchCount: context.writeBatchCount + 1 };
    }),
    // Must run before clearDirty: it reads the dirty map of the epoch being captured.
    sendCaptured: emit(({ context, event }) => {
      assertEvent(event, 'mmu.capture');
      const { pages } = collectDirty(context.mem, context.dirty);
      return {
        type: 'send' as const,
        to: context.coordinator,
        event: {
          type: 'checkpoint.captured' as const,
          vm: context.vm,
          epoch: event.epoch,
          cpu: event.cpu,
          pages,
          outputs: event.outputs,
          digest: imageDigest(context.mem, event.cpu),
        },
      };
    }),
    clearDirty: assign(({ context, event }) => {
      assertEvent(event, 'mmu.capture');
      return { dirty: new Uint8Array(context.pageCount), lastCapturedEpoch: event.epoch };
    }),
    restoreMemory: assign(({ context, event }) => {
      assertEvent(event, 'mmu.restore');
      return { mem: Uint32Array.from(event.mem), dirty: new Uint8Array(context.pageCount) };
    }),
  },
  guards: {
    isStandby: ({ context }) => context.standby,
  },
}).createMachine({
  id: 'mmu',
  context: ({ input }) => ({
    ...input,
    mem: new Uint32Array(input.pageCount),
    dirty: new Uint8Array(input.pageCount),
    lastCapturedEpoch: 0,
    writeBatchCount: 0,
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
        'mmu.capture': { actions: ['sendCaptured', 'clearDirty'] },
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
    cpu: { acc: 5, rng: 99, outSeq: 1, slice: 4 },
    outputs: [{ vm: 0, seq: 1, payload: 42 }],
  },
  { type: 'mmu.restore', mem: [1, 2, 3, 4] },
];
