// Statistics: context keys a machine declares as counting what happened (for reports), deciding nothing. The explorer
// leaves them out of its state identity, as TLC's VIEW leaves out auxiliary variables: states that differ only in
// what they counted are one state. `src/check/auditStatistics.ts` checks a declaration against the behaviour.

import type { AnyStateMachine } from 'xstate';
import { KernelError } from './errors.js';

/** Where a machine declares them, on its root state node: `meta: { statevisor: { statistics: ['stats'] } }`. */
export const STATISTICS_FIELD = 'meta.statevisor.statistics';

/** The most keys one machine may declare: a declaration longer than that is more likely a mistake than a design. */
const MAX_STATISTICS = 64;

/**
 * The context keys `machine` declares as statistics, sorted; null when it declares none. Refuses a declaration that
 * is not a list of distinct non-empty strings, naming the machine and the field.
 */
export function statisticsOf(machine: AnyStateMachine): readonly string[] | null {
  const meta = (machine.root as { meta?: unknown }).meta;
  if (meta === undefined || meta === null || typeof meta !== 'object' || !Object.hasOwn(meta, 'statevisor')) {
    return null;
  }
  const own = (meta as { statevisor?: unknown }).statevisor;
  if (own === null || typeof own !== 'object' || !Object.hasOwn(own, 'statistics')) return null;
  const list = (own as { statistics?: unknown }).statistics;
  if (list === undefined) return null;
  const where = `machine '${machine.id}': ${STATISTICS_FIELD}`;
  if (!Array.isArray(list)) throw new KernelError(`${where} must be a list of context keys`);
  if (list.length > MAX_STATISTICS)
    throw new KernelError(`${where} lists ${list.length} keys (at most ${MAX_STATISTICS})`);
  const keys: string[] = [];
  for (const key of list) {
    if (typeof key !== 'string' || key.length === 0) throw new KernelError(`${where} must list non-empty strings`);
    if (keys.includes(key)) throw new KernelError(`${where} lists '${key}' twice`);
    keys.push(key);
  }
  return keys.length === 0 ? null : keys.sort();
}

/** Refuses statistics the machine's context does not have: a misspelt key would leave out nothing, silently. */
export function assertStatisticsIn(machine: AnyStateMachine, keys: readonly string[], context: unknown): void {
  for (const key of keys) {
    if (context === null || typeof context !== 'object' || !Object.hasOwn(context, key)) {
      throw new KernelError(
        `machine '${machine.id}': ${STATISTICS_FIELD} names '${key}', which its context does not have`,
      );
    }
  }
}
