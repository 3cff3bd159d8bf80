// Reply matches ping (kernel demo, no SPEC.md id): the pinger accepts a reply only for the ping in flight.
// Catches a pinger that takes a late or duplicated reply to an earlier ping as the answer to the current one.

import type { PingerContext } from '../../machines/pingerMachine.js';
import type { Spec } from './spec.js';

export function replyMatchesPing(pinger: string): Spec {
  return {
    name: 'reply-matches-ping',
    specId: 'kernel',
    description: 'A reply the pinger accepts carries the sequence number of the ping it is taken to answer.',
    kind: 'always',
    check(kernel, state) {
      const { lastReply } = kernel.snapshotOf(state, pinger).context as PingerContext;
      if (lastReply.replySeq !== lastReply.pingSeq) {
        return `${pinger} accepted the reply to ping #${lastReply.replySeq} as the answer to ping #${lastReply.pingSeq}`;
      }
      return null;
    },
  };
}
