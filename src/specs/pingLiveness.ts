// Ping liveness (kernel demo, no SPEC id): every ping is finished — echoed or given up — within its retry budget
// of virtual time after its first send. A pinger that waits forever (a lost timer) stalls, and that is a violation.

import { type Monitor, payload } from './spec.js';

interface State {
  readonly current: number;
  /** Virtual time of the current ping's first send; -1 when no ping is open. */
  readonly openedAt: number;
  readonly sends: number;
  readonly pingerDown: boolean;
}

export function pingLiveness(pinger: string, timeoutUs: number, maxRetries: number): Monitor<State> {
  const boundUs = (maxRetries + 1) * timeoutUs;
  return {
    name: 'ping-liveness',
    specId: 'kernel',
    description: `Every ping is echoed or given up within ${boundUs} µs of virtual time after it is first sent.`,
    observesText: 'pings the pinger sends, echoes and timeouts delivered to it, crashes of its host',
    observes: { send: ['ping.echo'], deliver: ['ping.echoed', 'ping.timedOut'], faults: true },
    initial: () => ({ current: 0, openedAt: -1, sends: 0, pingerDown: false }),
    on(s, obs, view) {
      if (obs.kind === 'fault') return { ...s, pingerDown: view.isDown(view.groupOf(pinger)) };
      if (obs.kind === 'send' && obs.from === pinger) {
        const seq = payload<{ seq: number }>(obs.event).seq;
        return seq === s.current ? { ...s, sends: s.sends + 1 } : { ...s, current: seq, openedAt: obs.t, sends: 1 };
      }
      if (obs.kind !== 'deliver' || obs.to !== pinger || s.openedAt < 0) return s;
      // Echoed, or timed out after its last allowed send: either way the ping is finished.
      if (obs.event.type === 'ping.timedOut') return s.sends > maxRetries ? { ...s, openedAt: -1 } : s;
      return payload<{ seq: number }>(obs.event).seq === s.current ? { ...s, openedAt: -1 } : s;
    },
    deadline: (s) =>
      s.openedAt < 0 || s.pingerDown ? null : { atUs: s.openedAt + boundUs, what: `ping #${s.current} is still open` },
  };
}
