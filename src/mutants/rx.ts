// Planted bugs of the NIC receive path (M13): aggregation across destinations, a hash over the wrong fields, a flushed
// chain kept open, a queue drained from the wrong end; each caught by a spec of `rx-chains`.

import { enqueueActions } from 'xstate';
import { sourceOf } from '../../dataplane/packets.js';
import type { AggregateFlaws, TupleOf } from '../../machines/rxPathMachine.js';
import { receive, rxPathMachine } from '../../machines/rxPathMachine.js';
import { rxQueueMachine, takeBurst } from '../../machines/rxQueueMachine.js';
import type { Mutant } from '../scenarios/types.js';
import { m } from './define.js';

const RX = 'rx-chains';

function pathWith(flaws: AggregateFlaws, tupleOf?: TupleOf) {
  return rxPathMachine.provide({
    actions: {
      receive: enqueueActions(({ context: c, event, enqueue }) => {
        const { stats, out } = receive(c, event.packets, flaws, tupleOf);
        enqueue.assign({ stats });
        for (const o of out) enqueue.emit({ type: 'send', to: o.to, event: o.event });
      }),
    },
  });
}

export const rxMutants: readonly Mutant[] = [
  m(
    'aggregate-across-destinations',
    'rxPath',
    RX,
    'wire',
    'rx-same-queue',
    'Aggregation joins consecutive packets regardless of destination, so a chain steered by its first packet carries another destination',
    () => ({ rxPath: pathWith({ acrossDestinations: true }) }),
  ),
  m(
    'hash-wrong-fields',
    'rxPath',
    RX,
    'wire',
    'rx-same-queue',
    'The hash reads the source address and port instead of the destination, so two senders to one destination land on two queues',
    () => ({ rxPath: pathWith({}, sourceOf) }),
  ),
  m(
    'flushed-chain-kept',
    'rxPath',
    RX,
    'wire',
    'rx-exactly-once',
    'On a destination change the flushed chain is not cleared, so its packets go out again with the next chain',
    () => ({ rxPath: pathWith({ keepFlushed: true }) }),
  ),
  m(
    'queue-drains-newest',
    'rxQueue',
    RX,
    'wire',
    'rx-flow-order',
    'The queue hands its consumer the newest packets first (a stack, not a ring)',
    () => ({
      rxQueue: rxQueueMachine.provide({
        actions: {
          drain: enqueueActions(({ context: c, enqueue }) => {
            const { burst, ring } = takeBurst(c, true);
            enqueue.assign({ ring, stats: { ...c.stats, delivered: c.stats.delivered + burst.length } });
            enqueue.emit({
              type: 'send',
              to: c.client,
              event: { type: 'rxc.packets', queue: c.index, packets: burst },
            });
          }),
        },
      }),
    }),
  ),
];
