// Inflation completes (M10): by a deadline in virtual time the management plane has received, for every VM, either
// the driver's report that inflation completed or its refusal with a reason. A crash of the manager's host forgets.

import type { BalloonPlan } from '../../actors/balloon.js';
import { type Monitor, payload } from './spec.js';

/** Per VM: 1 once the manager has received an answer. */
type Answered = readonly number[];

export function inflationCompletes(plan: BalloonPlan, byUs: number): Monitor<Answered> {
  const none = plan.vms.map(() => 0);
  return {
    name: 'inflation-completes',
    specId: 'M10',
    description: `Every VM's inflation is reported complete or refused to the manager within ${byUs} µs.`,
    observesText: 'the inflation results and refusals delivered to the manager; crashes of its host',
    observes: { deliver: ['mgr.inflated', 'mgr.refused'], faults: true },
    initial: () => none,
    on(answered, obs) {
      if (obs.kind === 'fault')
        return obs.fault.kind === 'crash' && obs.fault.group === plan.mgmtHost ? none : answered;
      if (obs.kind !== 'deliver' || obs.to !== plan.manager) return answered;
      const { vm } = payload<{ vm: number }>(obs.event);
      return answered.map((a, i) => (i === vm ? 1 : a));
    },
    deadline: (answered) => {
      const vm = answered.indexOf(0);
      return vm < 0 ? null : { atUs: byUs, what: `VM ${vm}'s inflation reported to ${plan.manager}` };
    },
  };
}
