// Answers match the mode (M15/M16, safety): every answer the guest receives is the resource's real value (from it
// or its replacement), the generated response only when faking and after the handler marked it, or the error only
// when neither is on. Judged from the wire against the pure definitions of the values (dataplane/busMap.ts).

import type { FaultyPlan } from '../../actors/faultyDevice.js';
import { ERROR_VALUE, FAKE_VALUE, realValue } from '../../dataplane/busMap.js';
import { fail, type Monitor, payload } from './spec.js';

interface Answer {
  readonly op: number;
  readonly resource: number;
  readonly value: number;
  readonly kind: string;
}

/** Observes the answers delivered to the guest and the fake marks the handler sends (to the bridge or the MMU). */
export function answersMatchMode(plan: FaultyPlan): Monitor<readonly boolean[]> {
  const none: readonly boolean[] = Array.from({ length: plan.resources }, () => false);
  return {
    name: 'answers-match-mode',
    specId: 'M15',
    description: `Every answer the guest gets is consistent with mode '${plan.mode}': real values, fakes only once marked when faking, errors only when neither.`,
    observesText: "the answers delivered to the guest; the handler's fake marks",
    observes: { deliver: ['io.answered'], send: ['bridge.mark', 'mmu.trapDone'] },
    initial: () => none,
    on(faked, obs) {
      if (obs.kind === 'send') {
        if (obs.from !== plan.handler) return faked;
        const e = payload<{ device?: number; resource?: number; fake?: boolean; serve?: { fake: boolean } | null }>(
          obs.event,
        );
        const r = e.device ?? e.resource ?? -1;
        const fake = e.fake === true || e.serve?.fake === true;
        return fake ? faked.map((f, i) => f || i === r) : faked;
      }
      if (obs.kind !== 'deliver' || obs.to !== plan.guest) return faked;
      const a = payload<Answer>(obs.event);
      const real = realValue(a.resource, a.op);
      const at = `op ${a.op} of resource ${a.resource} at ${obs.t} µs`;
      if (a.value === real && a.kind === 'real') return faked;
      if (a.value === FAKE_VALUE && a.kind === 'faked') {
        if (plan.mode === 'faking' && faked[a.resource] === true) return faked;
        return fail(`the guest got a generated response for ${at} in mode '${plan.mode}' without a fake mark`);
      }
      if (a.value === ERROR_VALUE && a.kind === 'error') {
        if (plan.mode === 'neither') return faked;
        return fail(`the guest got the faulty resource's error for ${at} in mode '${plan.mode}'`);
      }
      return fail(`the guest got value ${a.value} (${a.kind}) for ${at}; the real value is ${real}`);
    },
  };
}
