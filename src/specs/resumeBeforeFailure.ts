// Resume from a real checkpoint before the failure (M4): a copy resumes from boot or from a checkpoint the store
// really received, taken before the failure point of the attempt that took it and of the failure being recovered.

import type { AppFailurePlan } from '../../actors/appFailure.js';
import type { AppCheckpoint, FailureReport } from '../../machines/appFailEvents.js';
import { fail, type Monitor, payload } from './spec.js';

interface State {
  /** Checkpoints delivered to the store, as [attempt, instr, digest]. */
  readonly stored: readonly (readonly [number, number, number])[];
  /** Each attempt's failure point, by attempt (-1: not failed). */
  readonly failedAt: readonly number[];
}

function withFailure(failedAt: readonly number[], r: FailureReport): readonly number[] {
  if ((failedAt[r.attempt] ?? -1) >= 0) return failedAt;
  const out = failedAt.slice();
  while (out.length <= r.attempt) out.push(-1);
  out[r.attempt] = r.atInstr;
  return out;
}

function judgeResume(s: State, attempt: number, c: AppCheckpoint | null): string | null {
  if (c === null) return null;
  const name = `attempt ${attempt} resumed from attempt ${c.attempt}'s checkpoint at instruction ${c.instr}`;
  const known = s.stored.some(([a, i, d]) => a === c.attempt && i === c.instr && d === c.state.digest);
  if (!known || c.state.instr !== c.instr) return `${name}, which the store never received`;
  const own = s.failedAt[c.attempt] ?? -1;
  if (own >= 0 && c.instr >= own) {
    return `${name}, not before attempt ${c.attempt}'s own failure point (instruction ${own}): it may hold the failure`;
  }
  const recovering = s.failedAt[attempt - 1] ?? -1;
  if (recovering >= 0 && c.instr >= recovering) {
    return `${name}, not before the failure point ${recovering} it recovers from`;
  }
  return null;
}

export function resumeBeforeFailure(plan: AppFailurePlan): Monitor<State> {
  return {
    name: 'resume-before-failure',
    specId: 'M4',
    description:
      'A copy resumes from boot or from a checkpoint the store received, taken strictly before the failure point it recovers from.',
    observesText: "the checkpoints delivered to the store; the copies' failure reports; the policy's resume commands",
    observes: { deliver: ['ckstore.put'], send: ['policy.failed', 'appVm.resume'] },
    initial: () => ({ stored: [], failedAt: [] }),
    on(s, obs) {
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.store) return s;
        const { checkpoint: c } = payload<{ checkpoint: AppCheckpoint }>(obs.event);
        if (s.stored.some(([a, i, d]) => a === c.attempt && i === c.instr && d === c.state.digest)) return s;
        return { ...s, stored: [...s.stored, [c.attempt, c.instr, c.state.digest] as const] };
      }
      if (obs.kind !== 'send') return s;
      if (obs.event.type === 'policy.failed') {
        return { ...s, failedAt: withFailure(s.failedAt, payload<{ report: FailureReport }>(obs.event).report) };
      }
      if (obs.from !== plan.policy) return s;
      const { attempt, from } = payload<{ attempt: number; from: AppCheckpoint | null }>(obs.event);
      const wrong = judgeResume(s, attempt, from);
      return wrong === null ? s : fail(wrong);
    },
  };
}
