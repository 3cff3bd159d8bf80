// One copy at a time (M4): once a copy has resumed attempt n, no copy still runs an earlier attempt; judged from
// what the copies put on the wire (checkpoints and finishes are sent only by a copy that runs the application).

import type { AppFailurePlan } from '../../actors/appFailure.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  readonly copy: string;
  readonly attempt: number;
  /** Attempts whose finish was already sent: a retransmission of it is not a copy running. */
  readonly finished: readonly number[];
}

export function oneCopyRuns(plan: AppFailurePlan): Monitor<State> {
  return {
    name: 'one-copy-runs',
    specId: 'M4',
    description:
      'Only one copy runs the application at a time: none runs an attempt older than the newest resumed one.',
    observesText: "the copies' resume acknowledgements, checkpoints and finishes",
    observes: { send: ['policy.resumed', 'ckstore.put', 'client.finished'] },
    initial: () => ({ copy: plan.copies[0], attempt: 0, finished: [] }),
    on(s, obs) {
      if (obs.kind !== 'send' || !plan.copies.includes(obs.from)) return s;
      if (obs.event.type === 'policy.resumed') {
        const { attempt } = payload<{ attempt: number }>(obs.event);
        return attempt > s.attempt ? { ...s, copy: obs.from, attempt } : s;
      }
      const isPut = obs.event.type === 'ckstore.put';
      const attempt = isPut
        ? payload<{ checkpoint: { attempt: number } }>(obs.event).checkpoint.attempt
        : payload<{ attempt: number }>(obs.event).attempt;
      if (!isPut && s.finished.includes(attempt)) return s;
      const next = isPut ? s : { ...s, finished: [...s.finished, attempt] };
      if (attempt >= s.attempt) return next;
      return fail(
        `${obs.from} still runs attempt ${attempt} (it sent ${obs.event.type}) after ${s.copy} resumed attempt ${s.attempt}`,
      );
    },
  };
}
