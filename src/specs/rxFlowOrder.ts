// Per-flow order is kept (M13): the packets of one flow reach their consumer in the order the NIC took them off the
// wire (drops the queue reported are skipped); judged from the chains delivered to the NIC and the queues' bursts.

import type { RxPlan } from '../../actors/rx.js';
import {
  classify,
  emptyLedger,
  judgeEach,
  type Ledger,
  type Named,
  positionOf,
  taken,
  without,
} from './rxObservations.js';
import { type Fail, fail, type Monitor } from './spec.js';

/**
 * The packets taken and not yet delivered, and per flow the sequence numbers reported dropped and not yet matched to
 * an entry. A drop report names a packet, not a copy: when a link duplicated a chain, either copy may be the one a
 * full ring refused, so the report is a credit that lets the consumer skip one copy of that packet, whichever it is.
 */
export interface FlowOrderState {
  readonly ledger: Ledger;
  readonly credits: readonly (readonly number[])[];
}

export function rxFlowOrder(plan: RxPlan): Monitor<FlowOrderState> {
  const empty = (): FlowOrderState => ({ ledger: emptyLedger(plan), credits: emptyLedger(plan).map(() => []) });
  return {
    name: 'rx-flow-order',
    specId: 'M13',
    description: 'The packets of each flow reach the consumer in the order the NIC received them.',
    observesText:
      'chains delivered to the receive path; bursts and drop reports delivered to the consumers; NIC crashes',
    observes: { deliver: ['rx.chain', 'rxc.packets', 'rxc.overflow'], faults: true },
    initial: empty,
    on(state, obs) {
      const o = classify(plan, obs);
      if (o === null) return state;
      if (o.kind === 'reset') return empty();
      if (o.kind === 'taken') return { ...state, ledger: taken(state.ledger, o.packets, obs.t) };
      if (o.kind === 'dropped') return { ...state, credits: credited(state.credits, o.packets) };
      return judgeEach(state, o.packets, o.queue, delivered);
    },
  };
}

function credited(credits: FlowOrderState['credits'], packets: readonly Named[]): FlowOrderState['credits'] {
  const out = credits.map((c) => [...c]);
  for (const p of packets) (out[p.flow] as number[]).push(p.seq);
  return out;
}

/**
 * A delivered packet must be its flow's first entry, once the entries before it that a drop report covers are
 * skipped. Skipping is forced (an entry passed over can never come in order later), so taking credits greedily
 * accepts exactly the deliveries some choice of dropped copies explains.
 */
function delivered(state: FlowOrderState, p: Named, queue: number): FlowOrderState | Fail {
  const at = positionOf(state.ledger, p.flow, p.seq);
  // A packet the NIC never took (or took fewer times) is rx-exactly-once's to judge.
  if (at < 0) return state;
  const entries = state.ledger[p.flow] as readonly number[];
  const credits = [...(state.credits[p.flow] as readonly number[])];
  for (let i = 0; i < at; i++) {
    const seq = entries[i * 2] as number;
    const c = credits.indexOf(seq);
    if (c < 0) {
      return fail(
        `flow ${p.flow}: packet ${p.seq} reached client${queue} before packet ${seq}, which the NIC took first`,
      );
    }
    credits.splice(c, 1);
  }
  let ledger = state.ledger;
  for (let i = at; i >= 0; i--) ledger = without(ledger, p.flow, i);
  return { ledger, credits: state.credits.map((c, f) => (f === p.flow ? credits : c)) };
}
