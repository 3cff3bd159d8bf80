// Per-flow order is kept (M13): the packets of one flow reach their consumer in the order the NIC took them off the
// wire (drops the queue reported are skipped); judged from the chains delivered to the NIC and the queues' bursts.

import type { RxPlan } from '../../actors/rx.js';
import { emptyLedger, followLedger, type Ledger, positionOf, without } from './rxObservations.js';
import { fail, type Monitor } from './spec.js';

export function rxFlowOrder(plan: RxPlan): Monitor<Ledger> {
  return {
    name: 'rx-flow-order',
    specId: 'M13',
    description: 'The packets of each flow reach the consumer in the order the NIC received them.',
    observesText:
      'chains delivered to the receive path; bursts and drop reports delivered to the consumers; NIC crashes',
    observes: { deliver: ['rx.chain', 'rxc.packets', 'rxc.overflow'], faults: true },
    initial: () => emptyLedger(plan),
    on(ledger, obs) {
      return followLedger(plan, ledger, obs, (out, p, queue) => {
        const at = positionOf(out, p.flow, p.seq);
        if (at > 0) {
          const first = (out[p.flow] as number[])[0];
          return fail(
            `flow ${p.flow}: packet ${p.seq} reached client${queue} before packet ${first}, which the NIC took first`,
          );
        }
        return at === 0 ? without(out, p.flow, 0) : out;
      });
    },
  };
}
