// Planted bugs of the plugged output buffer (M1): a release at the plug, one that takes the open epoch too, one that
// drops the last output it should send, and one an epoch late; each caught by a spec of `output-commit`.

import { assertEvent, enqueueActions } from 'xstate';
import { deliverSend, plugBufferMachine, releasableCount } from '../../machines/plugBufferMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

const OC = 'output-commit';
const BUFFER = 'plugBuffer';

/** Sends the held outputs of epochs up to `upTo`, in order, and returns what stays held. */
function letOut(
  c: Parameters<typeof deliverSend>[0],
  upTo: number,
  send: (s: ReturnType<typeof deliverSend>) => void,
): Parameters<typeof deliverSend>[0]['held'] {
  const n = releasableCount(c.held, upTo);
  for (const h of c.held.slice(0, n)) send(deliverSend(c, h));
  return c.held.slice(n);
}

/** The plug that ends epoch e also lets epoch e out, before its checkpoint ever reached the backup. */
const releaseAtPlug = plugBufferMachine.provide({
  actions: {
    openEpoch: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'buffer.plug');
      enqueue.assign({ openEpoch: event.epoch, held: letOut(c, event.epoch - 1, (s) => enqueue.emit(s)) });
    }),
  },
});

/** A release lets out everything held, the open epoch's outputs included. */
const releaseOpenEpoch = plugBufferMachine.provide({
  actions: {
    releaseHeld: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'buffer.release');
      for (const h of c.held) enqueue.emit(deliverSend(c, h));
      enqueue.assign({ held: [], releasedEpoch: event.epoch });
    }),
  },
});

/** An off-by-one: the release sends all but the last output of the released epochs, and forgets that one too. */
const releaseForgetsLast = plugBufferMachine.provide({
  actions: {
    releaseHeld: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'buffer.release');
      const n = releasableCount(c.held, event.epoch);
      for (const h of c.held.slice(0, Math.max(0, n - 1))) enqueue.emit(deliverSend(c, h));
      enqueue.assign({ held: c.held.slice(n), releasedEpoch: event.epoch });
    }),
  },
});

/**
 * An off-by-one the other way: a release of e lets out only epochs below e, so every output leaves one release late
 * (still committed, once and in order) and the last epoch's never leaves: only the liveness spec can see it.
 */
const releaseLagsOneEpoch = plugBufferMachine.provide({
  actions: {
    releaseHeld: enqueueActions(({ context: c, event, enqueue }) => {
      assertEvent(event, 'buffer.release');
      enqueue.assign({ held: letOut(c, event.epoch - 1, (s) => enqueue.emit(s)), releasedEpoch: event.epoch });
    }),
  },
});

export const outputCommitMutants: readonly Mutant[] = [
  m(
    'release-at-plug',
    BUFFER,
    OC,
    'lossy',
    'released-only-committed',
    'The buffer releases the epoch a plug ends as the plug arrives, before its checkpoint reached the backup',
    () => ({ plugBuffer: releaseAtPlug }),
  ),
  m(
    'release-open-epoch',
    BUFFER,
    OC,
    'jitter',
    'released-only-committed',
    "A release also sends the open epoch's outputs, whose checkpoint has not even been taken",
    () => ({ plugBuffer: releaseOpenEpoch }),
  ),
  m(
    'release-forgets-last',
    BUFFER,
    OC,
    'dup',
    'released-once-in-order',
    'A release sends all but the last held output of the released epochs and drops that one',
    () => ({ plugBuffer: releaseForgetsLast }),
  ),
  m(
    'release-lags-one-epoch',
    BUFFER,
    OC,
    'lossy',
    'committed-output-released',
    'A release lets out only the epochs before the one released: output leaves an epoch late, the last never',
    () => ({ plugBuffer: releaseLagsOneEpoch }),
  ),
];
