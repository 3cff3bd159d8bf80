// The block device of one VM. On the primary it applies the guest's writes at once and logs them per epoch;
// on the backup it applies an epoch's writes only when the replica commits that checkpoint (Remus's disk buffering).

import { assertEvent, assign, emit, setup } from 'xstate';
import { applyPairs } from '../dataplane/guest.js';
import type { CoordinatorEvent, DiskEvent, Send, VmId } from './haEvents.js';

export interface DiskInput {
  readonly vm: VmId;
  /** Where captures go (the primary's coordinator); null for a disk that is never captured (backup, plain VM). */
  readonly coordinator: string | null;
  readonly blockCount: number;
}

export interface DiskContext extends DiskInput {
  readonly blocks: Uint32Array;
  /** Writes since the last capture, flattened [block, value, …]: the next checkpoint's disk part. */
  readonly log: readonly number[];
}

type DiskCaptured = Extract<CoordinatorEvent, { type: 'checkpoint.diskCaptured' }>;

export type DiskEmitted = Send<DiskCaptured>;

/** Every block as [block, value, …]: what a full capture re-seeds the backup's disk with. */
function allBlocks(blocks: Uint32Array): number[] {
  const out: number[] = [];
  for (let b = 0; b < blocks.length; b++) out.push(b, blocks[b] as number);
  return out;
}

export const diskMachine = setup({
  types: {
    context: {} as DiskContext,
    events: {} as DiskEvent,
    input: {} as DiskInput,
    emitted: {} as DiskEmitted,
  },
  actions: {
    writeBlocks: assign(({ context, event }) => {
      assertEvent(event, 'disk.write');
      return { blocks: applyPairs(context.blocks, event.writes) };
    }),
    // Only a checkpointed disk keeps a log: nothing would ever drain it on the others.
    logWrites: assign(({ context, event }) => {
      assertEvent(event, 'disk.write');
      return { log: [...context.log, ...event.writes] };
    }),
    // Must run before clearLog: it reads the log of the epoch being captured.
    sendCapture: emit(({ context, event }) => {
      assertEvent(event, 'disk.capture');
      return {
        type: 'send' as const,
        to: context.coordinator ?? '<no coordinator: a backup disk never captures>',
        event: {
          type: 'checkpoint.diskCaptured' as const,
          vm: context.vm,
          epoch: event.epoch,
          full: event.full,
          writes: event.full ? allBlocks(context.blocks) : context.log,
        },
      };
    }),
    clearLog: assign({ log: () => [] as readonly number[] }),
    applyCheckpoint: assign(({ context, event }) => {
      assertEvent(event, 'disk.apply');
      const base = event.full ? new Uint32Array(context.blockCount) : context.blocks;
      return { blocks: applyPairs(base, event.writes) };
    }),
  },
  guards: {
    isCheckpointed: ({ context }) => context.coordinator !== null,
  },
}).createMachine({
  id: 'disk',
  context: ({ input }) => ({ ...input, blocks: new Uint32Array(input.blockCount), log: [] }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'disk.write': [{ guard: 'isCheckpointed', actions: ['writeBlocks', 'logWrites'] }, { actions: 'writeBlocks' }],
        'disk.capture': { actions: ['sendCapture', 'clearLog'] },
        'disk.apply': { actions: 'applyCheckpoint' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const diskSampleEvents: readonly DiskEvent[] = [
  { type: 'disk.write', writes: [1, 7] },
  { type: 'disk.capture', epoch: 1, full: false },
  { type: 'disk.apply', epoch: 1, full: false, writes: [2, 9] },
];
