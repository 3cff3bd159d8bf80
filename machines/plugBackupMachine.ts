// The backup host's checkpoint store for output commit (M1, Remus): it keeps the newest checkpoint it was sent
// and acknowledges every save it receives, repeats included, so a lost or late ack is made good by the next save.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type CkptAck, type PlugBackupEvent, type PlugSend, plugSend } from './plugEvents.js';

export interface PlugBackupInput {
  /** Address the acks go to. */
  readonly coordinator: string;
}

export interface PlugBackupContext extends PlugBackupInput {
  /** The newest epoch saved (0: none); registered durable, so it survives a crash and restart. */
  readonly savedEpoch: number;
  readonly stats: { readonly saves: number; readonly repeats: number; readonly restarts: number };
}

export const plugBackupMachine = setup({
  types: {
    context: {} as PlugBackupContext,
    events: {} as PlugBackupEvent,
    input: {} as PlugBackupInput,
    emitted: {} as PlugSend<CkptAck>,
  },
  actions: {
    store: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'ckpt.save');
      const s = c.stats;
      const repeat = event.epoch <= c.savedEpoch;
      enqueue.emit(plugSend(c.coordinator, { type: 'ckpt.ack', epoch: event.epoch }));
      enqueue.assign({
        savedEpoch: Math.max(c.savedEpoch, event.epoch),
        stats: { ...s, saves: s.saves + 1, repeats: s.repeats + (repeat ? 1 : 0) },
      });
    }),
    countRestart: enqueueActions(({ context: c, enqueue }) => {
      enqueue.assign({ stats: { ...c.stats, restarts: c.stats.restarts + 1 } });
    }),
  },
}).createMachine({
  id: 'plugBackup',
  context: ({ input }) => ({ ...input, savedEpoch: 0, stats: { saves: 0, repeats: 0, restarts: 0 } }),
  initial: 'storing',
  states: {
    storing: { on: { 'ckpt.save': { actions: 'store' }, 'host.restarted': { actions: 'countRestart' } } },
  },
});

export const plugBackupSampleEvents: readonly PlugBackupEvent[] = [
  { type: 'ckpt.save', epoch: 1 },
  { type: 'ckpt.save', epoch: 1 },
  { type: 'host.restarted' },
  { type: 'ckpt.save', epoch: 2 },
];
