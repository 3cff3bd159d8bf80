// Ping accounting (kernel demo, no SPEC.md id): every finished ping was answered or given up, exactly once.
// Catches a pinger that counts a late or duplicated reply as the answer to its current ping.

import type { PingerContext } from '../../machines/pingerMachine.js';
import type { Spec } from './spec.js';

/** Builds the spec for the pinger at `pinger`. */
export function pingAccounting(pinger: string): Spec {
  return {
    name: 'ping-accounting',
    specId: 'kernel',
    description:
      'Every ping the pinger has finished with was either answered or given up, exactly once: replied + gaveUp = finished pings.',
    kind: 'always',
    check(kernel, state) {
      const snap = kernel.snapshotOf(state, pinger);
      const ctx = snap.context as PingerContext;
      const finished = snap.status === 'done' ? ctx.seq : ctx.seq - 1;
      const accounted = ctx.repliedCount + ctx.gaveUpCount;
      if (accounted !== finished) {
        return `${pinger}: ${ctx.repliedCount} replied + ${ctx.gaveUpCount} gave up = ${accounted}, but ${finished} ping(s) are finished (seq ${ctx.seq}, state ${JSON.stringify(snap.value)})`;
      }
      return null;
    },
  };
}
