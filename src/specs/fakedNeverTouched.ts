// Faked never touched (M15, safety): once the bus bridge has taken the fake-response mark for a resource, no access
// is ever forwarded to that resource again. Judged from the wire (the mark delivered, the accesses sent).

import type { FaultyPlan } from '../../actors/faultyDevice.js';
import { fail, type Monitor, payload } from './spec.js';

/**
 * Observes the marks the bridge receives and the accesses it sends to devices. A crash of the device host reboots
 * the bridge with plain entries, so the marks it had are forgotten with it (the MMU's own fake entries remain).
 */
export function fakedNeverTouched(plan: FaultyPlan): Monitor<readonly boolean[]> {
  const none: readonly boolean[] = plan.devices.map(() => false);
  return {
    name: 'faked-never-touched',
    specId: 'M15',
    description: 'Once the bus bridge has marked a resource fake-response, no access is forwarded to that resource.',
    observesText: 'the fake-response marks the bridge receives; the accesses the bridge sends to devices',
    observes: { deliver: ['bridge.mark'], send: ['dev.access'], faults: true },
    initial: () => none,
    on(marked, obs) {
      if (obs.kind === 'fault') {
        return obs.fault.kind === 'crash' && obs.fault.group === plan.deviceHost ? none : marked;
      }
      if (obs.kind === 'deliver') {
        if (obs.to !== plan.bridge) return marked;
        const { device, fake } = payload<{ device: number; fake: boolean }>(obs.event);
        return marked.map((m, i) => (i === device ? fake : m));
      }
      if (obs.kind !== 'send' || obs.from !== plan.bridge) return marked;
      const device = plan.devices.indexOf(obs.to);
      if (device >= 0 && marked[device] === true) {
        const { op } = payload<{ op: number }>(obs.event);
        return fail(
          `${plan.bridge} forwarded access op ${op} to ${obs.to} at ${obs.t} µs after marking it fake-response`,
        );
      }
      return marked;
    },
  };
}
