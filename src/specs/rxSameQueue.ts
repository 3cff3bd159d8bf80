// Every packet of a flow reaches the same queue (M13). The NIC's flow key is the destination (address and port) it
// aggregates and hashes by, so every packet to one destination must reach one queue, whichever source sent it.

import type { RxPlan } from '../../actors/rx.js';
import { destinationOf } from '../../dataplane/packets.js';
import { fail, type Monitor, payload } from './spec.js';

/** The queue each destination's packets reached first, keyed `a.b.c.d:port`. */
type Seen = Readonly<Record<string, number>>;

function keyOf(frame: Uint8Array): string {
  const d = destinationOf(frame);
  return `${d[0]}.${d[1]}.${d[2]}.${d[3]}:${((d[4] as number) << 8) | (d[5] as number)}`;
}

export function rxSameQueue(plan: RxPlan): Monitor<Seen> {
  return {
    name: 'rx-same-queue',
    specId: 'M13',
    description: 'Every packet to one destination reaches the same client queue.',
    observesText: 'bursts delivered to the consumers (the queue is the consumer delivered to)',
    observes: { deliver: ['rxc.packets'] },
    initial: () => ({}),
    on(seen, obs) {
      if (obs.kind !== 'deliver') return seen;
      const queue = plan.clients.indexOf(obs.to);
      if (queue < 0) return seen;
      let out = seen;
      for (const frame of payload<{ packets: readonly Uint8Array[] }>(obs.event).packets) {
        const key = keyOf(frame);
        const first = out[key];
        if (first === undefined) out = { ...out, [key]: queue };
        else if (first !== queue) return fail(`packets to ${key} reached queue ${first} and then queue ${queue}`);
      }
      return out;
    },
  };
}
