// The backup's collector for one VM (M2, M3): stages the parts of an epoch as they arrive, acks each, and applies
// the epoch to its guest-physical image only when every part is in and it follows the last one applied (or is full).

import { assertEvent, emit, enqueueActions, setup } from 'xstate';
import { applyTransfer, type Transfer } from '../dataplane/capture.js';
import { PAGE_WORDS } from '../dataplane/paging.js';
import type { CheckpointerEvent, CollectorEvent, MemSend } from './memEvents.js';

export interface MemCollectorInput {
  readonly checkpointer: string;
  readonly guestFrames: number;
}

interface Staged {
  readonly epoch: number;
  readonly full: boolean;
  /** Parts by sequence number; `count` once the final part is in, else -1. */
  readonly parts: Readonly<Record<string, Transfer>>;
  readonly count: number;
}

export interface MemCollectorContext extends MemCollectorInput {
  readonly image: Uint32Array;
  readonly applied: number;
  /** The image holds a full capture (and every epoch since): incremental parts apply to it. */
  readonly synced: boolean;
  readonly staged: Staged | null;
  readonly stats: { readonly commits: number; readonly refused: number; readonly duplicates: number };
}

type Part = CollectorEvent;

function stage(c: MemCollectorContext, e: Part): Staged {
  const s = c.staged?.epoch === e.epoch ? c.staged : { epoch: e.epoch, full: false, parts: {}, count: -1 };
  return {
    epoch: e.epoch,
    full: s.full || (e.final && e.full),
    parts: { ...s.parts, [String(e.seq)]: e.transfer },
    count: e.final ? e.count : s.count,
  };
}

function isComplete(s: Staged): boolean {
  if (s.count < 0) return false;
  for (let i = 0; i < s.count; i++) if (s.parts[String(i)] === undefined) return false;
  return true;
}

/** Applies every part in sequence order (a later part's words win) to a copy of the image; a missing one is skipped. */
export function applyStaged(c: MemCollectorContext, s: Staged): Uint32Array {
  const image = s.full ? new Uint32Array(c.guestFrames * PAGE_WORDS) : c.image.slice();
  for (let i = 0; i < s.count; i++) {
    const part = s.parts[String(i)];
    if (part !== undefined) applyTransfer(image, part);
  }
  return image;
}

function allFrames(c: MemCollectorContext): number[] {
  return Array.from({ length: c.guestFrames }, (_, gfn) => gfn);
}

function send(to: string, event: CheckpointerEvent): MemSend<CheckpointerEvent> {
  return { type: 'send', to, event };
}

/**
 * Takes one part: acks it, stages it, and applies the epoch once it is complete and applicable. `waitForAllParts`
 * is the rule that every part numbered below the final one's count must be in before the epoch applies.
 */
export function takePart(c: MemCollectorContext, e: Part, waitForAllParts: boolean) {
  const replies = [send(c.checkpointer, { type: 'ckpt.partAcked', epoch: e.epoch, seq: e.seq })];
  const duplicate = { stats: { ...c.stats, duplicates: c.stats.duplicates + 1 } };
  if (e.epoch <= c.applied) {
    // A retransmission of an epoch already applied: its commit may have been lost, so say it again.
    if (e.final && e.epoch === c.applied) replies.push(committed(c, c.applied));
    return { next: duplicate, replies };
  }
  // A late part of an epoch the checkpointer gave up must not displace the one being staged.
  if (c.staged !== null && e.epoch < c.staged.epoch) return { next: duplicate, replies };
  if (!e.full && !(c.synced && e.epoch === c.applied + 1)) {
    // Part of a diff against an image this backup does not have: ask for everything instead, at every such part
    // (the hello can be lost too, and the checkpointer's retransmissions bring the next chance to say it).
    replies.push(send(c.checkpointer, { type: 'ckpt.hello', holds: [] }));
    return { next: { stats: { ...c.stats, refused: c.stats.refused + 1 } }, replies };
  }
  const staged = stage(c, e);
  const complete = waitForAllParts ? isComplete(staged) : staged.count >= 0;
  if (!complete) return { next: { staged }, replies };
  const stats = { ...c.stats, commits: c.stats.commits + 1 };
  const next = { image: applyStaged(c, staged), applied: staged.epoch, synced: true, staged: null, stats };
  replies.push(committed(c, staged.epoch));
  return { next, replies };
}

function committed(c: MemCollectorContext, epoch: number) {
  return send(c.checkpointer, { type: 'ckpt.committed', epoch, holds: allFrames(c) });
}

export const memCollectorMachine = setup({
  types: {
    context: {} as MemCollectorContext,
    events: {} as CollectorEvent,
    input: {} as MemCollectorInput,
    emitted: {} as MemSend<CheckpointerEvent>,
  },
  actions: {
    sayHello: emit(({ context }) => send(context.checkpointer, { type: 'ckpt.hello', holds: [] })),
    takePart: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'collector.part');
      const { next, replies } = takePart(context, event, true);
      enqueue.assign(next);
      for (const r of replies) enqueue.emit(r);
    }),
  },
}).createMachine({
  id: 'collector',
  // Counted for reports; nothing reads them back: the explorer leaves them out of the state's identity.
  meta: { statevisor: { statistics: ['stats'] } },
  context: ({ input }) => ({
    ...input,
    image: new Uint32Array(input.guestFrames * PAGE_WORDS),
    applied: 0,
    synced: false,
    staged: null,
    stats: { commits: 0, refused: 0, duplicates: 0 },
  }),
  initial: 'collecting',
  states: {
    collecting: {
      entry: 'sayHello',
      on: { 'collector.part': { actions: 'takePart' } },
    },
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const memCollectorSampleEvents: readonly CollectorEvent[] = [
  {
    type: 'collector.part',
    epoch: 1,
    seq: 0,
    full: true,
    final: true,
    count: 1,
    transfer: { pages: [], pageData: [], pairs: [3, 7], bytes: 8 },
  },
];
