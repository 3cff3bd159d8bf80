// Ponger never ahead (kernel demo, no SPEC id): the ponger never receives a ping the pinger has not sent.
// A message the kernel invented, or delivered from a future send, would break it. Judged from sends and deliveries.

import { fail, type Monitor, payload } from './spec.js';

export function pongerNeverAhead(pinger: string, ponger: string): Monitor<number> {
  return {
    name: 'ponger-never-ahead',
    specId: 'kernel',
    description: 'Every ping the ponger receives is one the pinger has already sent.',
    observesText: 'pings sent by the pinger; pings delivered to the ponger',
    observes: { send: ['ping.echo'], deliver: ['ping.echo'] },
    initial: () => 0,
    on(highestSent, obs) {
      if (obs.kind !== 'send' && obs.kind !== 'deliver') return highestSent;
      const seq = payload<{ seq: number }>(obs.event).seq;
      if (obs.kind === 'send' && obs.from === pinger) return Math.max(highestSent, seq);
      if (obs.kind === 'deliver' && obs.to === ponger && seq > highestSent) {
        return fail(`${ponger} received ping #${seq} but ${pinger} has only sent up to #${highestSent}`);
      }
      return highestSent;
    },
  };
}
