// The guest workload of trusted file indirection (M12): it makes its planned file calls on the share one at a time,
// each after the previous one was answered or failed, and keeps what came back for the summary.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { type CallSpec, type FileGuestEvent, type FileProxyEvent, type FileSend, fsend } from './fileShareEvents.js';

export interface FileGuestInput {
  readonly proxy: string;
  readonly calls: readonly CallSpec[];
  readonly startUs: number;
  readonly gapUs: number;
}

export interface FileGuestContext extends FileGuestInput {
  readonly next: number;
  readonly stats: {
    readonly ok: number;
    readonly errors: number;
    readonly failed: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly listed: number;
  };
}

export const GUEST_NEXT_TIMER_ID = 'fguest.next';

export const fileGuestMachine = setup({
  types: {
    context: {} as FileGuestContext,
    events: {} as FileGuestEvent,
    input: {} as FileGuestInput,
    emitted: {} as FileSend<FileProxyEvent>,
  },
  actions: {
    arm: enqueueActions(({ context: c, enqueue }) => {
      if (c.next >= c.calls.length) return;
      enqueue.raise({ type: 'fguest.next' }, { id: GUEST_NEXT_TIMER_ID, delay: c.next === 0 ? c.startUs : c.gapUs });
    }),
    call: enqueueActions(({ context: c, enqueue }) => {
      const call = c.calls[c.next];
      if (call === undefined) throw new Error('fileGuest: no call left (guarded by hasCall)');
      enqueue.emit(fsend(c.proxy, { type: 'fproxy.call', ...call }));
    }),
    take: enqueueActions(({ context: c, event, enqueue }) => {
      const s = c.stats;
      const call = c.calls[c.next] as CallSpec;
      if (event.type === 'fguest.failed') {
        enqueue.assign({ next: c.next + 1, stats: { ...s, failed: s.failed + 1 } });
        return;
      }
      assertEvent(event, 'fguest.done');
      const ok = event.status === 0;
      enqueue.assign({
        next: c.next + 1,
        stats: {
          ...{ ok: s.ok + (ok ? 1 : 0), errors: s.errors + (ok ? 0 : 1), failed: s.failed },
          bytesIn: s.bytesIn + event.bytes.length,
          bytesOut: s.bytesOut + (ok && call.op === 'write' ? call.bytes.length : 0),
          listed: Math.max(s.listed, event.names.length),
        },
      });
    }),
  },
  guards: {
    isAllDone: ({ context: c }) => c.next >= c.calls.length,
    isAnswer: ({ context: c, event }) =>
      (event.type === 'fguest.done' || event.type === 'fguest.failed') && event.id === c.calls[c.next]?.id,
  },
}).createMachine({
  id: 'fileGuest',
  context: ({ input }) => ({
    ...input,
    next: 0,
    stats: { ok: 0, errors: 0, failed: 0, bytesIn: 0, bytesOut: 0, listed: 0 },
  }),
  initial: 'pausing',
  states: {
    pausing: {
      entry: 'arm',
      always: { guard: 'isAllDone', target: 'finished' },
      on: { 'fguest.next': { target: 'calling', actions: 'call' } },
    },
    calling: {
      on: {
        'fguest.done': { guard: 'isAnswer', target: 'pausing', actions: 'take' },
        'fguest.failed': { guard: 'isAnswer', target: 'pausing', actions: 'take' },
      },
    },
    finished: { type: 'final' },
  },
});

/** Sample events for tests and test generation. */
export const fileGuestSampleEvents: readonly FileGuestEvent[] = [
  { type: 'fguest.next' },
  { type: 'fguest.done', id: 1, status: 0, bytes: new Uint8Array(0), names: ['data.bin'] },
  { type: 'fguest.done', id: 2, status: 0, bytes: new Uint8Array([1, 2, 3]), names: [] },
  { type: 'fguest.failed', id: 3, reason: 'no response from Dom0 after 3 re-notifications' },
];
