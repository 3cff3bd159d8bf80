// The backup's copy of a ballooned VM (M1 with M10): it applies each checkpoint image that arrives, newer epochs
// only: backed pages carry their bytes, reclaimed pages only their numbers, and the backup holds zeros for them.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { filledPage, NO_PAGE } from '../dataplane/balloon.js';
import type { BalloonBackupEvent } from './balloonEvents.js';

export interface BalloonBackupInput {
  readonly pages: number;
  readonly pageBytes: number;
}

export interface BalloonBackupContext extends BalloonBackupInput {
  /** The last image applied: page bytes by guest frame (`NO_PAGE`: zeros), and its epoch (0: none yet). */
  readonly image: readonly Uint8Array[];
  readonly epoch: number;
  readonly stats: { readonly applied: number; readonly stale: number; readonly pagesReceived: number };
}

export const balloonBackupMachine = setup({
  types: {
    context: {} as BalloonBackupContext,
    events: {} as BalloonBackupEvent,
    input: {} as BalloonBackupInput,
  },
  actions: {
    apply: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'bbackup.image');
      const st = c.stats;
      // A late image of an older epoch must not roll the copy back.
      if (event.epoch <= c.epoch) {
        enqueue.assign({ stats: { ...st, stale: st.stale + 1 } });
        return;
      }
      const image = c.image.slice();
      for (let i = 0; i < event.gfns.length; i++) {
        const g = event.gfns[i] as number;
        if (g >= 0 && g < c.pages) image[g] = filledPage(event.pages[i] as Uint8Array, c.pageBytes, 0, 0, 0);
      }
      for (const g of event.reclaimed) if (g >= 0 && g < c.pages) image[g] = NO_PAGE;
      const pagesReceived = st.pagesReceived + event.gfns.length;
      enqueue.assign({ image, epoch: event.epoch, stats: { applied: st.applied + 1, stale: st.stale, pagesReceived } });
    }),
  },
}).createMachine({
  id: 'balloonBackup',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    image: Array.from({ length: input.pages }, () => NO_PAGE),
    epoch: 0,
    stats: { applied: 0, stale: 0, pagesReceived: 0 },
  }),
  initial: 'copying',
  states: {
    copying: { on: { 'bbackup.image': { actions: 'apply' } } },
  },
});

/** Sample events for tests and test generation (a VM of ≥ 3 pages of 4 bytes). */
export const balloonBackupSampleEvents: readonly BalloonBackupEvent[] = [
  {
    type: 'bbackup.image',
    vm: 0,
    epoch: 2,
    gfns: [0, 1],
    pages: [new Uint8Array(4), new Uint8Array([0, 0, 0, 9])],
    reclaimed: [2],
  },
  { type: 'bbackup.image', vm: 0, epoch: 1, gfns: [2], pages: [new Uint8Array([1, 1, 1, 1])], reclaimed: [] },
];
