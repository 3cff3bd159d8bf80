// The live virtual disk a guest writes (M11): block contents in typed arrays, durable across host crashes. It
// applies writes in arrival order, answers reads with the block as it is now, and marks the snapshot instant.

import { assertEvent, emit, enqueueActions, setup } from 'xstate';
import { initialVolume } from '../dataplane/blocks.js';
import {
  type DiskWriterEvent,
  type SnapSend,
  type SnapshotCopierEvent,
  type SnapshotEvent,
  snapSend,
  type VolumeEvent,
} from './snapshotEvents.js';

export interface VolumeInput {
  readonly writer: string;
  readonly snapshot: string;
  readonly copier: string;
  readonly blocks: number;
  readonly blockBytes: number;
  /** Seeds the initial content (dataplane/blocks.ts `initialBlock`), which the specs know from the plan too. */
  readonly seed: number;
}

export interface VolumeContext extends VolumeInput {
  /** One typed array per block, never written in place: a write replaces its block, so old snapshots stay intact. */
  readonly data: readonly Uint8Array[];
  readonly stats: { readonly writes: number; readonly reads: number };
}

type Emitted = SnapSend<DiskWriterEvent> | SnapSend<SnapshotEvent> | SnapSend<SnapshotCopierEvent>;

function blockOf(c: VolumeContext, block: number): Uint8Array {
  const data = c.data[block];
  if (data === undefined) throw new Error(`volume: block ${block} is outside the volume's ${c.blocks} blocks`);
  return data;
}

export const volumeMachine = setup({
  types: {
    context: {} as VolumeContext,
    events: {} as VolumeEvent,
    input: {} as VolumeInput,
    emitted: {} as Emitted,
  },
  actions: {
    applyWrite: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'volume.write');
      blockOf(c, event.block);
      if (event.data.length !== c.blockBytes) {
        throw new Error(`volume: a write of ${event.data.length} bytes to a ${c.blockBytes}-byte block`);
      }
      const data = c.data.map((d, b) => (b === event.block ? event.data : d));
      enqueue.assign({ data, stats: { ...c.stats, writes: c.stats.writes + 1 } });
      enqueue.emit(snapSend(c.writer, { type: 'writer.acked', block: event.block }));
    }),
    answerRead: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'volume.read');
      const data = blockOf(c, event.block);
      enqueue.assign({ stats: { ...c.stats, reads: c.stats.reads + 1 } });
      if (event.for === 'snapshot') {
        enqueue.emit(snapSend(c.snapshot, { type: 'snapshot.read', block: event.block, data }));
      } else {
        enqueue.emit(snapSend(c.copier, { type: 'copier.read', block: event.block, data }));
      }
    }),
    // The snapshot filter's writes reach the volume in order, so every write it sent before this one has landed.
    markInstant: emit(({ context: c, event }) => {
      assertEvent(event, 'volume.begin');
      return snapSend(c.snapshot, { type: 'snapshot.begun', snap: event.snap });
    }),
  },
}).createMachine({
  id: 'volume',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    data: initialVolume(input.seed, input.blocks, input.blockBytes),
    stats: { writes: 0, reads: 0 },
  }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        'volume.write': { actions: 'applyWrite' },
        'volume.read': { actions: 'answerRead' },
        'volume.begin': { actions: 'markInstant' },
      },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads (for 2-byte blocks). */
export const volumeSampleEvents: readonly VolumeEvent[] = [
  { type: 'volume.begin', snap: 1 },
  { type: 'volume.read', block: 0, for: 'snapshot' },
  { type: 'volume.write', block: 0, data: new Uint8Array([0x81, 0x82]) },
  { type: 'volume.read', block: 0, for: 'copier' },
];
