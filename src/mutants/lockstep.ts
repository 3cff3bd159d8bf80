// Planted bugs of quasi-lockstep FT (M5): an agreement sent before the comparison, a mismatch that skips the
// resync, a resent log record applied twice, and a failover that forgets agreed outputs; each caught by a spec.

import { assertEvent, enqueueActions } from 'xstate';
import { applyInput, applyIrq } from '../../dataplane/detGuest.js';
import { type AgreedOutput, lsend } from '../../machines/lockstepEvents.js';
import { lockstepPrimaryMachine } from '../../machines/lockstepPrimaryMachine.js';
import { ack, lockstepSecondaryMachine, takeLog } from '../../machines/lockstepSecondaryMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

const secondary = 'lockstepSecondary';
const primary = 'lockstepPrimary';

/** VMware FT's rule (release once the backup has the log entry) taken for quasi-lockstep's: no comparison awaited. */
const releaseOnReceipt = lockstepPrimaryMachine.provide({
  actions: {
    takeAck: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lsp.ack');
      for (const o of c.held) {
        enqueue.emit(lsend(c.client, { type: 'client.output', seq: o.seq, payload: o.payload, replyTo: c.self }));
      }
      const dispatched = c.held[c.held.length - 1]?.seq ?? c.dispatched;
      enqueue.assign({ log: c.log.filter((r) => r.seq > event.received), held: [], dispatched, peerDone: event.done });
    }),
  },
});

/** VMware FT acknowledges a log entry on receipt; taking that receipt for the agreement skips the comparison. */
const agreeOnReceipt = lockstepSecondaryMachine.provide({
  actions: {
    followLog: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.log');
      const early: AgreedOutput[] = event.records.flatMap((r) =>
        r.entry.kind === 'output' && r.seq >= c.next ? [{ seq: r.entry.seq, payload: r.entry.payload }] : [],
      );
      if (early.length > 0) enqueue.emit(ack({ ...c, agreed: [...c.agreed, ...early] }));
      const next = takeLog(c, event);
      enqueue.assign(next);
      if (next.mismatchAt === 0) enqueue.emit(ack(next, next.done));
    }),
  },
});

/** A mismatch is counted and the record skipped, as if replay noise: no resync, the secondary stays diverged. */
const skipResync = lockstepSecondaryMachine.provide({
  actions: {
    followLog: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.log');
      let next = takeLog(c, event);
      if (next.mismatchAt !== 0) next = { ...next, mismatchAt: 0, next: next.next + 1, early: [] };
      enqueue.assign(next);
      enqueue.emit(ack(next, next.done));
    }),
  },
});

/** A resent interrupt or input that was already applied is taken again at the current instruction. */
const applyTwice = lockstepSecondaryMachine.provide({
  actions: {
    followLog: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'lss.log');
      let guest = c.guest;
      for (const r of event.records) {
        if (r.seq >= c.next || r.entry.kind === 'output') continue;
        guest = r.entry.kind === 'irq' ? applyIrq(guest, r.entry.vector) : applyInput(guest, r.entry.value);
      }
      const next = takeLog({ ...c, guest }, event);
      enqueue.assign(next);
      if (next.mismatchAt === 0) enqueue.emit(ack(next, next.done));
    }),
  },
});

/** Going live, the secondary runs on from its log but forgets the agreed outputs the primary had not dispatched. */
const forgetAgreed = lockstepSecondaryMachine.provide({
  actions: {
    goLive: enqueueActions(({ enqueue }) => enqueue.assign({ agreed: [] })),
  },
});

export const lockstepSteadyMutants: readonly Mutant[] = [
  m(
    'log-entry-applied-twice',
    secondary,
    'lockstep-steady',
    'lossy',
    'lockstep-resync-on-divergence',
    'A resent log record the secondary already applied (its ack was late or lost) is applied again: the replay diverges',
    () => ({ [secondary]: applyTwice }),
  ),
  m(
    'primary-releases-on-receipt',
    primary,
    'lockstep-steady',
    'lossy',
    'lockstep-output-agreed',
    'The primary releases its held outputs on any acknowledgement from the secondary, without waiting for its agreement',
    () => ({ [primary]: releaseOnReceipt }),
  ),
];

export const lockstepDivergenceMutants: readonly Mutant[] = [
  m(
    'secondary-dispatches-before-compare',
    secondary,
    'lockstep-divergence',
    'diverge',
    'lockstep-output-agreed',
    'The secondary agrees on an output as soon as its log record arrives, before its own replay produced and compared it',
    () => ({ [secondary]: agreeOnReceipt }),
  ),
  m(
    'resync-skipped-on-mismatch',
    secondary,
    'lockstep-divergence',
    'diverge',
    'lockstep-output-live',
    'On a mismatch the secondary skips the record instead of asking for the primary state: that output is never agreed on',
    () => ({ [secondary]: skipResync }),
  ),
];

export const lockstepFailoverMutants: readonly Mutant[] = [
  m(
    'failover-skips-agreed',
    secondary,
    'lockstep-failover',
    'crash',
    'lockstep-exactly-once',
    'Going live, the secondary dispatches only what it runs from then on, not the agreed outputs the primary still held',
    () => ({ [secondary]: forgetAgreed }),
  ),
];
