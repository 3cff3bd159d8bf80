// The hypervisor's checkpointer for one VM (M2, M3): every epoch it stuns the guest, has the cache log and the MMU
// capture, ships the parts to the backup's collector until each is acked, and resumes the guest after the copy.

import { assertEvent, assign, cancel, emit, enqueueActions, setup } from 'xstate';
import type { CaptureVariant, Transfer } from '../dataplane/capture.js';
import type {
  CacheEvent,
  CheckpointerEvent,
  CollectorEvent,
  MemGuestEvent,
  MemSend,
  NestedMmuEvent,
} from './memEvents.js';

export interface MemCheckpointerInput {
  readonly guest: string;
  readonly cache: string;
  readonly mmu: string;
  readonly collector: string;
  readonly variant: CaptureVariant;
  readonly epochUs: number;
  /** m3: a pre-copy of cold pages every this many µs while the guest runs (0: none). */
  readonly precopyUs: number;
  readonly retransmitUs: number;
  /** Retransmissions without an ack before the backup counts as lost (until it says hello again). */
  readonly maxRetransmits: number;
  /** Virtual ns to copy one byte while the guest is stunned. */
  readonly copyNsPerByte: number;
}

export interface MemCheckpointerStats {
  readonly checkpoints: number;
  /** Of them, full ones (seeding a backup that held nothing), and the bytes those took. */
  readonly fullCheckpoints: number;
  readonly fullBytes: number;
  readonly bytes: number;
  readonly stunBytes: number;
  readonly precopyBytes: number;
  readonly stunUs: number;
  readonly maxStunUs: number;
  readonly retransmits: number;
  readonly abandoned: number;
  /** Times the retransmissions ran out (the backup counted as lost until its next hello). */
  readonly gaveUp: number;
}

export interface MemCheckpointerContext extends MemCheckpointerInput {
  readonly epoch: number;
  /** The backup holds nothing usable: the next capture is full. */
  readonly needFull: boolean;
  /** Pages the backup says it holds (its feedback): only their changes need be sent (m3). */
  readonly holds: readonly number[];
  readonly seq: number;
  readonly unacked: readonly CollectorPart[];
  readonly retries: number;
  readonly halted: boolean;
  /** The backup restarted since this epoch's parts went out: they are gone, the epoch is abandoned. */
  readonly lost: boolean;
  /** The last epoch the backup committed. */
  readonly committed: number;
  /** This epoch's capture was a full one. */
  readonly fullNow: boolean;
  readonly stats: MemCheckpointerStats;
}

type CollectorPart = CollectorEvent;
type Emitted =
  | MemSend<MemGuestEvent>
  | MemSend<Extract<CacheEvent, { type: 'cache.checkpoint' }>>
  | MemSend<Extract<NestedMmuEvent, { type: 'nmmu.precopy' }>>
  | MemSend<CollectorEvent>;

const EPOCH_TIMER = 'ckpt.epoch';
const PRECOPY_TIMER = 'ckpt.precopy';
const RETRANSMIT_TIMER = 'ckpt.retransmit';
const COPY_TIMER = 'ckpt.copy';

function part(c: MemCheckpointerContext, transfer: Transfer, final: boolean): CollectorPart {
  const full = final && c.needFull;
  return { type: 'collector.part', epoch: c.epoch, seq: c.seq, full, final, count: c.seq + 1, transfer };
}

/** A part addressed to the collector, emitted as every machine emits a message for the kernel to deliver. */
function partTo(to: string, event: CollectorPart) {
  return { type: 'send' as const, to, event };
}

export const memCheckpointerMachine = setup({
  types: {
    context: {} as MemCheckpointerContext,
    events: {} as CheckpointerEvent,
    input: {} as MemCheckpointerInput,
    emitted: {} as Emitted,
  },
  actions: {
    armEpoch: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(EPOCH_TIMER);
      enqueue.raise({ type: 'ckpt.tick' }, { id: EPOCH_TIMER, delay: context.epochUs });
    }),
    armPrecopy: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel(PRECOPY_TIMER);
      if (context.variant === 'm3' && context.precopyUs > 0) {
        enqueue.raise({ type: 'ckpt.precopyTick' }, { id: PRECOPY_TIMER, delay: context.precopyUs });
      }
    }),
    cancelPrecopy: cancel(PRECOPY_TIMER),
    askPrecopy: emit(({ context }) => ({
      type: 'send' as const,
      to: context.mmu,
      event: { type: 'nmmu.precopy' as const, epoch: context.epoch, holds: context.holds },
    })),
    stunGuest: emit(({ context }) => ({
      type: 'send' as const,
      to: context.guest,
      event: { type: 'guest.stun' as const },
    })),
    unstunGuest: emit(({ context }) => ({
      type: 'send' as const,
      to: context.guest,
      event: { type: 'guest.unstun' as const },
    })),
    noteHalted: assign(({ event }) => {
      assertEvent(event, 'ckpt.stunned');
      return { halted: event.halted };
    }),
    askCapture: emit(({ context: c }) => ({
      type: 'send' as const,
      to: c.cache,
      event: {
        type: 'cache.checkpoint' as const,
        epoch: c.epoch,
        variant: c.variant,
        full: c.needFull,
        holds: c.holds,
      },
    })),
    shipPrecopy: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'ckpt.precopied');
      if (event.epoch !== c.epoch || event.transfer.bytes === 0 || c.needFull) return;
      const p = part(c, event.transfer, false);
      const s = c.stats;
      const stats = {
        ...s,
        bytes: s.bytes + event.transfer.bytes,
        precopyBytes: s.precopyBytes + event.transfer.bytes,
      };
      enqueue.assign({ seq: c.seq + 1, unacked: [...c.unacked, p], stats });
      enqueue.emit(partTo(c.collector, p));
      enqueue.cancel(RETRANSMIT_TIMER);
      enqueue.raise({ type: 'ckpt.retransmit' }, { id: RETRANSMIT_TIMER, delay: c.retransmitUs });
    }),
    // The capture's part goes out, and the guest stays stunned for the time its bytes take to copy.
    shipCapture: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'ckpt.captured');
      const p = part(c, event.transfer, true);
      const bytes = event.transfer.bytes;
      const stunUs = Math.max(1, Math.ceil((bytes * c.copyNsPerByte) / 1000));
      const s = c.stats;
      const stats = {
        ...s,
        bytes: s.bytes + bytes,
        stunBytes: s.stunBytes + bytes,
        stunUs: s.stunUs + stunUs,
        maxStunUs: Math.max(s.maxStunUs, stunUs),
        fullBytes: s.fullBytes + (p.full ? bytes : 0),
      };
      // Shipped after any hello: this epoch's parts are the ones the restarted backup gets.
      enqueue.assign({ seq: c.seq + 1, unacked: [...c.unacked, p], stats, fullNow: p.full, lost: false });
      enqueue.emit(partTo(c.collector, p));
      enqueue.cancel(RETRANSMIT_TIMER);
      enqueue.raise({ type: 'ckpt.retransmit' }, { id: RETRANSMIT_TIMER, delay: c.retransmitUs });
      enqueue.raise({ type: 'ckpt.copied' }, { id: COPY_TIMER, delay: stunUs });
    }),
    dropAcked: assign(({ context, event }) => {
      assertEvent(event, 'ckpt.partAcked');
      // The final part stays until the commit: only its retransmission makes a backup repeat a lost commit.
      const unacked = context.unacked.filter((p) => p.final || !(p.epoch === event.epoch && p.seq === event.seq));
      return { unacked, retries: unacked.length < context.unacked.length ? 0 : context.retries };
    }),
    retransmit: enqueueActions(({ context: c, enqueue }) => {
      if (c.unacked.length === 0) return;
      if (c.retries >= c.maxRetransmits) {
        // The backup counts as lost until it says hello again; the summary reports how often that happened.
        enqueue.assign({ stats: { ...c.stats, gaveUp: c.stats.gaveUp + 1 } });
        return;
      }
      for (const p of c.unacked) enqueue.emit(partTo(c.collector, p));
      enqueue.assign({
        retries: c.retries + 1,
        stats: { ...c.stats, retransmits: c.stats.retransmits + c.unacked.length },
      });
      enqueue.cancel(RETRANSMIT_TIMER);
      enqueue.raise({ type: 'ckpt.retransmit' }, { id: RETRANSMIT_TIMER, delay: c.retransmitUs });
    }),
    // The commit can overtake the stun-time copy (the part left before the copy ended): note it in any state.
    noteCommit: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'ckpt.committed');
      enqueue.cancel(RETRANSMIT_TIMER);
      enqueue.assign({ holds: event.holds, needFull: false, committed: event.epoch, unacked: [], retries: 0 });
    }),
    nextEpoch: assign(({ context: c }) => ({
      epoch: c.epoch + 1,
      seq: 0,
      stats: {
        ...c.stats,
        checkpoints: c.stats.checkpoints + 1,
        fullCheckpoints: c.stats.fullCheckpoints + (c.fullNow ? 1 : 0),
      },
    })),
    // The backup booted with nothing: whatever it staged is gone, and only a full capture can seed it.
    forgetBackup: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'ckpt.hello');
      enqueue.cancel(RETRANSMIT_TIMER);
      enqueue.assign({ holds: event.holds, needFull: true, seq: 0, unacked: [], retries: 0, lost: true });
    }),
    // The MMU answers in order, so a pre-copy answered after the capture found nothing dirty (the guest was
    // stunned). One with data here would go out after the final part and be lost: stop rather than lose writes.
    refuseLatePrecopy: ({ event }) => {
      if (event.type === 'ckpt.precopied' && event.transfer.bytes > 0) {
        throw new Error(`checkpointer: a pre-copy of epoch ${event.epoch} with data arrived after its final part`);
      }
    },
    abandonEpoch: assign(({ context: c }) => ({
      epoch: c.epoch + 1,
      seq: 0,
      lost: false,
      stats: { ...c.stats, abandoned: c.stats.abandoned + 1 },
    })),
  },
  guards: {
    // After a hello, a commit of this epoch can only come from the backup that restarted: it no longer holds it.
    isCurrentCommit: ({ context, event }) =>
      event.type === 'ckpt.committed' && event.epoch === context.epoch && !context.lost,
    isCommitted: ({ context }) => context.committed === context.epoch,
    isStaleCapture: ({ context, event }) => event.type === 'ckpt.captured' && context.needFull && !event.full,
    isHalted: ({ context }) => context.halted,
    isLost: ({ context }) => context.lost,
  },
}).createMachine({
  id: 'checkpointer',
  context: ({ input }) => ({
    ...input,
    epoch: 1,
    needFull: true,
    holds: [],
    seq: 0,
    unacked: [],
    retries: 0,
    halted: false,
    lost: false,
    committed: 0,
    fullNow: false,
    stats: {
      checkpoints: 0,
      fullCheckpoints: 0,
      fullBytes: 0,
      bytes: 0,
      stunBytes: 0,
      precopyBytes: 0,
      stunUs: 0,
      maxStunUs: 0,
      retransmits: 0,
      abandoned: 0,
      gaveUp: 0,
    },
  }),
  initial: 'running',
  on: {
    'ckpt.partAcked': { actions: 'dropAcked' },
    'ckpt.retransmit': { actions: 'retransmit' },
    'ckpt.hello': { actions: 'forgetBackup' },
    'ckpt.precopied': { actions: 'shipPrecopy' },
    'ckpt.committed': { guard: 'isCurrentCommit', actions: 'noteCommit' },
  },
  states: {
    running: {
      entry: ['armEpoch', 'armPrecopy'],
      exit: 'cancelPrecopy',
      on: {
        'ckpt.tick': { target: 'stunning', actions: 'stunGuest' },
        'ckpt.precopyTick': { actions: ['askPrecopy', 'armPrecopy'] },
      },
    },
    stunning: {
      on: { 'ckpt.stunned': { target: 'capturing', actions: ['noteHalted', 'askCapture'] } },
    },
    capturing: {
      on: {
        'ckpt.captured': [
          // The backup restarted after this capture was asked for: it needs everything, not a diff.
          { guard: 'isStaleCapture', actions: 'askCapture' },
          { target: 'copying', actions: 'shipCapture' },
        ],
      },
    },
    copying: {
      on: {
        'ckpt.copied': { target: 'committing', actions: 'unstunGuest' },
        'ckpt.precopied': { actions: 'refuseLatePrecopy' },
      },
    },
    committing: {
      on: { 'ckpt.precopied': { actions: 'refuseLatePrecopy' } },
      always: [
        { guard: 'isLost', target: 'running', actions: 'abandonEpoch' },
        { guard: 'isCommitted', target: 'deciding', actions: 'nextEpoch' },
      ],
    },
    deciding: {
      always: [{ guard: 'isHalted', target: 'done' }, { target: 'running' }],
    },
    done: {},
  },
});

/** Sample events for tests and test generation: one of each kind, with valid payloads. */
export const memCheckpointerSampleEvents: readonly CheckpointerEvent[] = [
  { type: 'ckpt.tick' },
  { type: 'ckpt.stunned', halted: false },
  { type: 'ckpt.captured', epoch: 1, full: true, transfer: { pages: [], pageData: [], pairs: [3, 7], bytes: 16 } },
  { type: 'ckpt.copied' },
  { type: 'ckpt.partAcked', epoch: 1, seq: 0 },
  { type: 'ckpt.committed', epoch: 1, holds: [0, 1] },
  { type: 'ckpt.precopyTick' },
  { type: 'ckpt.precopied', epoch: 2, transfer: { pages: [], pageData: [], pairs: [5, 9], bytes: 16 } },
  { type: 'ckpt.retransmit' },
  { type: 'ckpt.hello', holds: [] },
];
