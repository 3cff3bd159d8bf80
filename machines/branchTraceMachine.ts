// The branch-trace unit of the RISC-V translator system (M17, M18) on `cpu/btrace`: it takes the translators' records
// of which fragment each process ran and only counts them, since the specs judge the records as they are sent.

import { assertEvent, assign, setup } from 'xstate';
import type { BranchTraceEvent } from './translatorEvents.js';

/** The unit needs no peers: it answers nothing. */
export type BranchTraceInput = Record<string, never>;

/** Per translator: how many `btrace.records` messages and how many fragment entries in them (summary figures). */
export interface BranchTraceCounts {
  readonly records: number;
  readonly entries: number;
}

export interface BranchTraceContext {
  /** Counters by tid; built immutably, never iterated by the machine. */
  readonly units: Readonly<Record<string, BranchTraceCounts>>;
}

/** The kernel tells every actor of a restarted host so; the trace buffer is durable, so it changes nothing here. */
type BranchTraceMachineEvent = BranchTraceEvent | { type: 'host.restarted' };

/** Most entries one record may carry: a translator sends one per fragment per slice, far fewer than this. */
export const BTRACE_ENTRIES_MAX = 1 << 16;

export const branchTraceMachine = setup({
  types: {
    context: {} as BranchTraceContext,
    events: {} as BranchTraceMachineEvent,
    input: {} as BranchTraceInput,
  },
  actions: {
    countRecord: assign({
      units: ({ context, event }) => {
        assertEvent(event, 'btrace.records');
        if (event.entries.length > BTRACE_ENTRIES_MAX) {
          throw new Error(`btrace: a record of unit ${event.tid} with ${event.entries.length} entries`);
        }
        const was = context.units[event.tid] ?? { records: 0, entries: 0 };
        const now = { records: was.records + 1, entries: was.entries + event.entries.length };
        return { ...context.units, [event.tid]: now };
      },
    }),
  },
}).createMachine({
  id: 'branchTrace',
  context: { units: {} },
  initial: 'recording',
  states: {
    recording: {
      on: { 'btrace.records': { actions: 'countRecord' } },
    },
  },
});

/** Sample events for tests and test generation: two units, one record with no entries, a restart. */
export const branchTraceSampleEvents: readonly BranchTraceMachineEvent[] = [
  {
    type: 'btrace.records',
    tid: 'a',
    pid: 1,
    entries: [
      { vaddr: 0x10074, phys: 0x10074, version: 0, len: 3, digest: 1, faults: 0 },
      { vaddr: 0x10080, phys: 0x10080, version: 0, len: 2, digest: 2, faults: 1 },
    ],
  },
  { type: 'btrace.records', tid: 'b', pid: 2, entries: [] },
  { type: 'host.restarted' },
  {
    type: 'btrace.records',
    tid: 'a',
    pid: 2,
    entries: [{ vaddr: 0x10074, phys: 0x20074, version: 1, len: 3, digest: 3, faults: 0 }],
  },
];
