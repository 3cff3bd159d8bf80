// No recurrence (M4): once a copy has been resumed after an environment-triggered failure (memory exhaustion, a hung
// schedule, an assertion on a device's answer), no later copy fails that way again. Learned from reports on the wire.

import type { AppFailurePlan } from '../../actors/appFailure.js';
import type { FailureReport, GuestEnv } from '../../machines/appFailEvents.js';
import { fail, type Monitor, payload } from './spec.js';

/** The environment element each environment-triggered failure kind depends on; an unexplained assertion has none. */
const TRIGGERED_BY: Readonly<Record<string, keyof GuestEnv>> = {
  exhaustion: 'memPages',
  watchdog: 'schedSeed',
  deviceAssert: 'deviceEnabled',
};

interface Recovered {
  readonly kind: string;
  /** The attempt resumed after that failure, and the value of the trigger's element it was given. */
  readonly attempt: number;
  readonly value: number | boolean;
  readonly failedAt: number;
}

interface State {
  /** The first report of each attempt's failure: kind and environment, by attempt. */
  readonly failures: readonly (FailureReport | null)[];
  readonly recovered: readonly Recovered[];
}

function recordFailure(s: State, r: FailureReport): State {
  if ((s.failures[r.attempt] ?? null) !== null) return s;
  const failures = s.failures.slice();
  while (failures.length <= r.attempt) failures.push(null);
  failures[r.attempt] = r;
  return { ...s, failures };
}

function judgeFailure(s: State, r: FailureReport): string | null {
  const element = TRIGGERED_BY[r.kind];
  if (element === undefined) return null;
  const earlier = s.recovered.find((x) => x.kind === r.kind && x.attempt <= r.attempt);
  if (earlier === undefined) return null;
  return `${r.kind} recurred in attempt ${r.attempt} (${r.copy} at instruction ${r.atInstr}, ${element} ${r.env[element]}) after attempt ${earlier.attempt} was resumed from attempt ${earlier.attempt - 1}'s ${r.kind} at instruction ${earlier.failedAt} with ${element} ${earlier.value}`;
}

export function failureNotRecurring(plan: AppFailurePlan): Monitor<State> {
  return {
    name: 'failure-not-recurring',
    specId: 'M4',
    description:
      'After a copy is resumed from an environment-triggered failure (exhaustion, a hang, a device assertion), no copy fails that way again.',
    observesText: "the copies' failure reports (kind, failure point, environment) and the policy's resume commands",
    observes: { send: ['policy.failed', 'appVm.resume'] },
    initial: () => ({ failures: [], recovered: [] }),
    on(s, obs) {
      if (obs.kind !== 'send') return s;
      if (obs.event.type === 'policy.failed') {
        const { report } = payload<{ report: FailureReport }>(obs.event);
        const wrong = judgeFailure(s, report);
        return wrong === null ? recordFailure(s, report) : fail(wrong);
      }
      if (obs.from !== plan.policy) return s;
      const { attempt, env } = payload<{ attempt: number; env: GuestEnv }>(obs.event);
      const cause = s.failures[attempt - 1] ?? null;
      const element = cause === null ? undefined : TRIGGERED_BY[cause.kind];
      if (cause === null || element === undefined || s.recovered.some((x) => x.attempt === attempt)) return s;
      const recovered = [...s.recovered, { kind: cause.kind, attempt, value: env[element], failedAt: cause.atInstr }];
      return { ...s, recovered };
    },
  };
}
