// Every file call is answered (M12): each call the guest makes on the share is answered, or failed cleanly, within
// a bound of virtual time, whatever notifications are lost and however Dom0 restarts.

import type { FileSharePlan } from '../../actors/fileShare.js';
import { type Monitor, payload } from './spec.js';

type Open = readonly { readonly id: number; readonly atUs: number }[];

export function fileCallsAnswered(plan: FileSharePlan, withinUs: number): Monitor<Open> {
  return {
    name: 'file-calls-answered',
    specId: 'M12',
    description: `Every file call the guest makes is answered or failed within ${withinUs} µs.`,
    observesText: "the guest's calls delivered to its proxy; the answers and failures delivered back",
    observes: { deliver: ['fproxy.call', 'fguest.done', 'fguest.failed'] },
    initial: () => [],
    on(open, obs) {
      if (obs.kind !== 'deliver') return open;
      const { id } = payload<{ id: number }>(obs.event);
      if (obs.event.type === 'fproxy.call') return obs.to === plan.proxy ? [...open, { id, atUs: obs.t }] : open;
      return obs.to === plan.app ? open.filter((c) => c.id !== id) : open;
    },
    deadline: (open) => {
      const first = open[0];
      return first === undefined ? null : { atUs: first.atUs + withinUs, what: `call ${first.id} answered or failed` };
    },
  };
}
