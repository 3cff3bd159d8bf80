// Processes finish (M9, liveness): every guest process does all its work and exits by a deadline in virtual time,
// whatever the link loses or delays and whichever host crashes and restarts. A page-in never answered stalls one.

import type { LatencyPlan } from '../../actors/latency.js';
import { fail, type Monitor, payload } from './spec.js';

interface Exit {
  readonly pid: number;
  readonly units: number;
}

/** Observes the exits the guest sends the pager (`pager.exit`), each with the work the process did. */
export function processesFinish(plan: LatencyPlan, byUs: number): Monitor<readonly boolean[]> {
  const none: readonly boolean[] = Array.from({ length: plan.processes }, () => false);
  return {
    name: 'processes-finish',
    specId: 'M9',
    description: `All ${plan.processes} processes do their ${plan.workUnits} work units and exit within ${byUs} µs of virtual time.`,
    observesText: 'the exits the guest sends the pager, with the work each process did',
    observes: { send: ['pager.exit'], faults: true },
    initial: () => none,
    on(exited, obs) {
      // A crash of the VM host reboots the guest: its processes start their work again.
      if (obs.kind === 'fault') return obs.fault.kind === 'crash' && obs.fault.group === plan.vmHost ? none : exited;
      if (obs.kind !== 'send' || obs.from !== plan.guest) return exited;
      const { pid, units } = payload<Exit>(obs.event);
      if (units !== plan.workUnits) {
        return fail(`${plan.guest} says process ${pid} exited after ${units} work units; it had ${plan.workUnits}`);
      }
      return exited.map((x, i) => x || i === pid);
    },
    deadline(exited) {
      const left = exited.filter((x) => !x).length;
      if (left === 0) return null;
      return { atUs: byUs, what: `all ${plan.processes} processes exited (${left} still running or waiting)` };
    },
  };
}
