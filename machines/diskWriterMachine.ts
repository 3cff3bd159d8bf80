// The guest workload of a live snapshot (M11): writes `writes` blocks, one at a time, one every `writeEveryUs`;
// which block is the kernel's draw (so a check tries every block) or a seeded pattern with a hot region (a run).

import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import { patternBlock, writeBlock } from '../dataplane/blocks.js';
import { type DiskWriterEvent, type SnapSend, type SnapshotEvent, snapSend } from './snapshotEvents.js';

export interface DiskWriterInput {
  /** The snapshot filter in front of the volume: every guest write goes through it. */
  readonly snapshot: string;
  readonly blocks: number;
  readonly blockBytes: number;
  readonly writes: number;
  readonly writeEveryUs: number;
  /** true: the kernel draws the block of each write; false: `patternBlock(seed, n, blocks, hotPercent)`. */
  readonly drawBlocks: boolean;
  readonly hotPercent: number;
  readonly seed: number;
}

export interface DiskWriterContext extends DiskWriterInput {
  /** Writes sent so far (the next one's number): its bytes are `writeBlock(seed, n, blockBytes)`. */
  readonly n: number;
  readonly acked: number;
}

type Emitted =
  | SnapSend<Extract<SnapshotEvent, { type: 'snapshot.write' }>>
  | { type: 'draw'; options: number; label: string; event: DiskWriterEvent };

export const WRITER_TICK_ID = 'writer.tick';

function write(c: DiskWriterContext, block: number) {
  if (!Number.isInteger(block) || block < 0 || block >= c.blocks) {
    throw new Error(`diskWriter: block ${block} is outside the volume's ${c.blocks} blocks`);
  }
  const data = writeBlock(c.seed, c.n, c.blockBytes);
  return snapSend(c.snapshot, { type: 'snapshot.write' as const, block, data });
}

export const diskWriterMachine = setup({
  types: {
    context: {} as DiskWriterContext,
    events: {} as DiskWriterEvent,
    input: {} as DiskWriterInput,
    emitted: {} as Emitted,
  },
  actions: {
    armTick: enqueueActions(({ context, enqueue }) => {
      enqueue.raise({ type: 'writer.tick' }, { id: WRITER_TICK_ID, delay: context.writeEveryUs });
    }),
    drawBlock: emit(({ context }) => ({
      type: 'draw' as const,
      options: context.blocks,
      label: 'writer.block',
      event: { type: 'writer.chosen' as const, value: 0 },
    })),
    writeChosen: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'writer.chosen');
      enqueue.emit(write(context, event.value));
      enqueue.assign({ n: context.n + 1 });
    }),
    writePattern: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(write(c, patternBlock(c.seed, c.n, c.blocks, c.hotPercent)));
      enqueue.assign({ n: c.n + 1 });
    }),
    countAck: assign({ acked: ({ context }) => context.acked + 1 }),
  },
  guards: {
    isDrawn: ({ context }) => context.drawBlocks,
    hasMore: ({ context }) => context.n < context.writes,
  },
}).createMachine({
  id: 'diskWriter',
  context: ({ input }) => ({ ...input, n: 0, acked: 0 }),
  initial: 'next',
  states: {
    next: {
      always: [{ guard: 'hasMore', target: 'waiting', actions: 'armTick' }, { target: 'finished' }],
    },
    waiting: {
      on: {
        'writer.tick': [
          { guard: 'isDrawn', target: 'choosing', actions: 'drawBlock' },
          { target: 'writing', actions: 'writePattern' },
        ],
      },
    },
    choosing: {
      on: { 'writer.chosen': { target: 'writing', actions: 'writeChosen' } },
    },
    // One write outstanding at a time, as a guest waiting for its disk: the filter holds at most this one.
    writing: {
      on: { 'writer.acked': { target: 'next', actions: 'countAck' } },
    },
    finished: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const diskWriterSampleEvents: readonly DiskWriterEvent[] = [
  { type: 'writer.tick' },
  { type: 'writer.chosen', value: 1 },
  { type: 'writer.acked', block: 1 },
];
