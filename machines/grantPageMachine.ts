// The page the guest grants Dom0 for the file ring (M12): shared memory as an actor, so the guest's and Dom0's
// accesses interleave as messages do. An access outside the granted region is refused as a fault, never applied.

import { assertEvent, enqueueActions, setup } from 'xstate';
import { inRegion } from '../dataplane/ring.js';
import {
  type FileProxyEvent,
  type FileSend,
  type FileServerEvent,
  fsend,
  type GrantPageEvent,
} from './fileShareEvents.js';

export interface GrantPageInput {
  readonly bytes: number;
}

export interface GrantPageContext extends GrantPageInput {
  readonly memory: Uint8Array;
  readonly stats: { readonly accesses: number; readonly faults: number };
}

type Reply = Extract<FileServerEvent, { type: 'fsrv.ring' }> | Extract<FileProxyEvent, { type: 'fproxy.ring' }>;

export const grantPageMachine = setup({
  types: {
    context: {} as GrantPageContext,
    events: {} as GrantPageEvent,
    input: {} as GrantPageInput,
    emitted: {} as FileSend<Reply>,
  },
  actions: {
    access: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'gp.access');
      const spans = [...event.writes.map((w) => ({ offset: w.offset, length: w.bytes.length })), ...event.reads];
      const fault = !spans.every((s) => inRegion(c.bytes, s));
      let memory = c.memory;
      if (!fault && event.writes.length > 0) {
        memory = c.memory.slice();
        for (const w of event.writes) memory.set(w.bytes, w.offset);
      }
      const bytes = fault ? [] : event.reads.map((r) => memory.slice(r.offset, r.offset + r.length));
      const stats = { accesses: c.stats.accesses + 1, faults: c.stats.faults + (fault ? 1 : 0) };
      enqueue.assign({ memory, stats });
      enqueue.emit(fsend(event.replyTo, { type: event.reply, tag: event.tag, bytes, fault }));
    }),
  },
}).createMachine({
  id: 'grantPage',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({ ...input, memory: new Uint8Array(input.bytes), stats: { accesses: 0, faults: 0 } }),
  initial: 'granted',
  states: { granted: { on: { 'gp.access': { actions: 'access' } } } },
});

/** Sample events for tests and test generation (a region of ≥ 16 bytes). */
export const grantPageSampleEvents: readonly GrantPageEvent[] = [
  {
    type: 'gp.access',
    replyTo: 'dom0/server',
    reply: 'fsrv.ring',
    tag: 'header',
    writes: [],
    reads: [{ offset: 0, length: 16 }],
  },
  {
    type: 'gp.access',
    replyTo: 'guest/proxy',
    reply: 'fproxy.ring',
    tag: 'post',
    writes: [{ offset: 0, bytes: new Uint8Array([1, 0, 0, 0]) }],
    reads: [],
  },
  {
    type: 'gp.access',
    replyTo: 'dom0/server',
    reply: 'fsrv.ring',
    tag: 'slot',
    writes: [],
    reads: [{ offset: 1 << 30, length: 64 }],
  },
];
