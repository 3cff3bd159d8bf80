// Reply matches ping (kernel demo, no SPEC id): the pinger moves on from a ping only once that ping was answered
// or given up. Judged from the wire: the pings it sends, the echoes and timeouts delivered to it.

import { fail, type Monitor, payload } from './spec.js';

interface State {
  /** The ping in flight (0 before the first send). */
  readonly current: number;
  /** Times the current ping was sent. */
  readonly sends: number;
  /** An echo of the current ping reached the pinger. */
  readonly answered: boolean;
  /** Timeouts delivered to the pinger since the current ping was last sent. */
  readonly timeoutsSinceSend: number;
}

/**
 * Catches a pinger that takes a late or duplicated echo of an earlier ping as the answer to the current one:
 * it moves on to ping n+1 without echo n ever having arrived and without having given ping n up.
 */
export function replyMatchesPing(pinger: string, maxRetries: number): Monitor<State> {
  return {
    name: 'reply-matches-ping',
    specId: 'kernel',
    description: 'The pinger moves on to its next ping, or stops, only after the current one was echoed or given up.',
    observesText: 'pings the pinger sends; echoes and timeouts delivered to it; whether it has stopped',
    observes: { send: ['ping.echo'], deliver: ['ping.echoed', 'ping.timedOut'] },
    initial: () => ({ current: 0, sends: 0, answered: false, timeoutsSinceSend: 0 }),
    on(s, obs, view) {
      if (obs.kind === 'send' && obs.from === pinger) {
        const seq = payload<{ seq: number }>(obs.event).seq;
        if (seq === s.current) return { ...s, sends: s.sends + 1, timeoutsSinceSend: 0 };
        if (s.current > 0 && !s.answered && !gaveUp(s, maxRetries)) {
          return fail(
            `${pinger} moved on to ping #${seq} but ping #${s.current} was neither echoed nor given up (${s.sends} send(s))`,
          );
        }
        return { current: seq, sends: 1, answered: false, timeoutsSinceSend: 0 };
      }
      if (obs.kind !== 'deliver' || obs.to !== pinger) return s;
      const next =
        obs.event.type === 'ping.timedOut'
          ? { ...s, timeoutsSinceSend: s.timeoutsSinceSend + 1 }
          : payload<{ seq: number }>(obs.event).seq === s.current
            ? { ...s, answered: true }
            : s;
      // Stopping is moving on too: a pinger that finishes must have finished its last ping.
      if (view.snapshot(pinger).status === 'done' && !next.answered && !gaveUp(next, maxRetries)) {
        return fail(`${pinger} finished with ping #${next.current} neither echoed nor given up`);
      }
      return next;
    },
  };
}

function gaveUp(s: State, maxRetries: number): boolean {
  return s.sends === maxRetries + 1 && s.timeoutsSinceSend > 0;
}
