// Bounded recovery (M4): the policy resumes a copy at most `maxAttempts` times, and by a deadline in virtual time the
// client has heard the outcome: the application finished, or its failure (a deterministic bug) is unrecoverable.

import type { AppFailurePlan } from '../../actors/appFailure.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  /** The highest attempt a resume command named. */
  readonly attempts: number;
  readonly outcome: boolean;
}

export function recoveryBounded(plan: AppFailurePlan, maxAttempts: number, byUs: number): Monitor<State> {
  return {
    name: 'recovery-bounded',
    specId: 'M4',
    description: `At most ${maxAttempts} recovery attempts, and by ${byUs} µs of virtual time the client knows the application finished or is unrecoverable.`,
    observesText: "the policy's resume commands; the outcomes delivered to the client",
    observes: { send: ['appVm.resume'], deliver: ['client.finished', 'client.unrecoverable'] },
    initial: () => ({ attempts: 0, outcome: false }),
    on(s, obs) {
      if (obs.kind === 'deliver') return obs.to === plan.client ? { ...s, outcome: true } : s;
      if (obs.kind !== 'send' || obs.from !== plan.policy) return s;
      const { attempt } = payload<{ attempt: number }>(obs.event);
      if (attempt > maxAttempts) {
        return fail(`the policy resumed attempt ${attempt} of at most ${maxAttempts}: recovery is not bounded`);
      }
      return attempt > s.attempts ? { ...s, attempts: attempt } : s;
    },
    deadline: (s) =>
      s.outcome ? null : { atUs: byUs, what: 'the client hears that the application finished or is unrecoverable' },
  };
}
