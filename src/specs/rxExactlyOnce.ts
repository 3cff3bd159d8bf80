// No packet lost or duplicated between the receive path and the queues (M13): every packet the NIC took off the
// wire reaches a consumer exactly once, or is reported dropped at a full ring, within a deadline of virtual time.

import type { RxPlan } from '../../actors/rx.js';
import { emptyLedger, followLedger, type Ledger, positionOf, without } from './rxObservations.js';
import { type Deadline, fail, type Monitor } from './spec.js';

export function rxExactlyOnce(plan: RxPlan, withinUs: number): Monitor<Ledger> {
  return {
    name: 'rx-exactly-once',
    specId: 'M13',
    description: `Every packet the NIC received reaches a consumer once (or is reported dropped) within ${withinUs} µs.`,
    observesText:
      'chains delivered to the receive path; bursts and drop reports delivered to the consumers; NIC crashes',
    observes: { deliver: ['rx.chain', 'rxc.packets', 'rxc.overflow'], faults: true },
    initial: () => emptyLedger(plan),
    on(ledger, obs) {
      return followLedger(plan, ledger, obs, (out, p, queue) => {
        const at = positionOf(out, p.flow, p.seq);
        if (at < 0)
          return fail(`flow ${p.flow}: packet ${p.seq} reached client${queue} more often than the NIC received it`);
        return without(out, p.flow, at);
      });
    },
    deadline(ledger): Deadline | null {
      let best: Deadline | null = null;
      ledger.forEach((l, flow) => {
        const t = l[1];
        if (t !== undefined && (best === null || t + withinUs < best.atUs)) {
          best = { atUs: t + withinUs, what: `flow ${flow}: packet ${l[0]} delivered to a consumer` };
        }
      });
      return best;
    },
  };
}
