// The replay host's state-save disk (M6): holds the VM state the replayer saved when it paused for a replay-only
// function, hands it back to restore it, and survives a crash, so a restarted replayer resumes from it.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { savedBytes } from '../dataplane/replayFunction.js';
import { type ReplayerEvent, type ReplaySend, replaySend, type SavedVm, type StateSaveEvent } from './replayEvents.js';

export interface ReplayStateSaveInput {
  readonly replayer: string;
}

export interface ReplayStateSaveContext extends ReplayStateSaveInput {
  /** The last state saved (one slot: a pause restores what it saved before the next pause saves). */
  readonly save: SavedVm | null;
  readonly stats: {
    readonly saves: number;
    readonly restores: number;
    readonly bytesSaved: number;
    readonly bytesRestored: number;
  };
}

export const replayStateSaveMachine = setup({
  types: {
    context: {} as ReplayStateSaveContext,
    events: {} as StateSaveEvent,
    input: {} as ReplayStateSaveInput,
    emitted: {} as ReplaySend<ReplayerEvent>,
  },
  actions: {
    save: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'vm.save');
      const bytesSaved = c.stats.bytesSaved + savedBytes(event.save.guest);
      enqueue.assign({ save: event.save, stats: { ...c.stats, saves: c.stats.saves + 1, bytesSaved } });
      enqueue.emit(replaySend(c.replayer, { type: 'replay.saved', point: event.save.point }));
    }),
    restore: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'vm.restore');
      if (c.save === null || c.save.point !== event.point) {
        throw new Error(
          `replayStateSave: a restore of point ${event.point}, but the disk holds ${c.save?.point ?? 'none'}`,
        );
      }
      const bytesRestored = c.stats.bytesRestored + savedBytes(c.save.guest);
      enqueue.assign({ stats: { ...c.stats, restores: c.stats.restores + 1, bytesRestored } });
      enqueue.emit(replaySend(c.replayer, { type: 'replay.restored', point: event.point, guest: c.save.guest }));
    }),
    answerLatest: enqueueActions(({ context: c, enqueue }) => {
      enqueue.emit(replaySend(c.replayer, { type: 'replay.latest', save: c.save }));
    }),
  },
}).createMachine({
  id: 'replayStateSave',
  context: ({ input }) => ({
    ...input,
    save: null,
    stats: { saves: 0, restores: 0, bytesSaved: 0, bytesRestored: 0 },
  }),
  initial: 'holding',
  states: {
    holding: {
      on: {
        'vm.save': { actions: 'save' },
        'vm.restore': { actions: 'restore' },
        'vm.latest': { actions: 'answerLatest' },
        // A disk: the host's restart changes nothing it holds.
        'host.restarted': {},
      },
    },
  },
});

const SAMPLE_GUEST = { icount: 3, acc: 1, outSeq: 0, mem: [1, 2, 3, 4], pt: [0], tlb: [-1] };

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const replayStateSaveSampleEvents: readonly StateSaveEvent[] = [
  { type: 'vm.latest' },
  { type: 'vm.save', save: { point: 3, pointIndex: 0, index: 1, guest: SAMPLE_GUEST } },
  { type: 'vm.restore', point: 3 },
  { type: 'vm.latest' },
  { type: 'host.restarted' },
];
