// The chart as a reference oracle: in every step, what the implementation sent must be what its chart sends at that
// point, per destination and in order. A mismatch names the first differing message of each side.

import type { StandInSend } from '../kernel/standIn.js';
import type { Address } from '../kernel/types.js';

/** JSON with object keys sorted, so two events with the same fields compare equal whatever their key order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v as object).sort()) out[key] = (v as Record<string, unknown>)[key];
    return out;
  });
}

function describe(s: StandInSend | undefined): string {
  if (s === undefined) return 'nothing';
  return `${s.event.type} ${canonical(s.event)}`;
}

/**
 * The first difference between the chart's sends and the implementation's for the stood-in `actors`, or null.
 * Destinations are compared apart (no order holds between two connections); messages to one destination in order.
 */
export function referenceMismatch(
  actors: readonly Address[],
  chart: readonly StandInSend[],
  real: readonly StandInSend[],
): string | null {
  for (const actor of actors) {
    const destinations = new Set<Address>();
    for (const s of [...chart, ...real]) if (s.from === actor) destinations.add(s.to);
    for (const to of [...destinations].sort()) {
      const want = chart.filter((s) => s.from === actor && s.to === to);
      const got = real.filter((s) => s.from === actor && s.to === to);
      const n = Math.max(want.length, got.length);
      for (let i = 0; i < n; i++) {
        const w = want[i];
        const g = got[i];
        if (w !== undefined && g !== undefined && canonical(w.event) === canonical(g.event)) continue;
        return (
          `${actor} → ${to}: the implementation sent ${describe(g)}` +
          ` where its chart sends ${describe(w)} (message ${i + 1} of this step)`
        );
      }
    }
  }
  return null;
}
