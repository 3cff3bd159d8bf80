// Planted bugs ("mutants"): each a `machine.provide({...})` of a shipped machine, the scenario and check
// configuration whose exploration must catch it, and the spec that must. `statevisor mutants` runs them all.

import type { AnyStateMachine } from 'xstate';
import { InputError } from '../kernel/errors.js';
import { haMutants } from './ha.js';
import { pingPongMutants } from './pingPong.js';

export interface Mutant {
  readonly name: string;
  readonly description: string;
  /** The machine it plants a bug in (machine id). */
  readonly machine: string;
  /** The scenario and check configuration in which `statevisor check` must catch it, and the spec that must. */
  readonly scenario: string;
  readonly config?: string;
  readonly expectedSpec: string;
  /** Replacement machines by machine id. */
  overrides(): Readonly<Record<string, AnyStateMachine>>;
}

export const mutants: readonly Mutant[] = [...haMutants, ...pingPongMutants];

export function findMutant(name: string, field = '--mutant'): Mutant {
  const m = mutants.find((x) => x.name === name);
  if (m === undefined)
    throw new InputError(`${field}: unknown mutant '${name}' (known: ${mutants.map((x) => x.name).join(', ')})`);
  return m;
}

/** A scenario's family: the part of its name before the first '-' ('ha' for ha-steady, 'ping' for ping-pong). */
function familyOf(scenario: string): string {
  return scenario.split('-')[0] as string;
}

/**
 * A mutant that can change `scenario`: one registered for the same family of scenarios (an HA mutant in any
 * ha-* scenario). Any other pairing would plant a bug in a machine the scenario does not run, so the run
 * would silently be an unmutated one; that is refused, naming the field.
 */
export function findMutantFor(name: string, scenario: string, field = '--mutant'): Mutant {
  const m = findMutant(name, field);
  if (familyOf(m.scenario) !== familyOf(scenario)) {
    const fits = mutants.filter((x) => familyOf(x.scenario) === familyOf(scenario)).map((x) => x.name);
    throw new InputError(
      `${field}: '${name}' plants a bug in the ${familyOf(m.scenario)}-* scenarios (e.g. ${m.scenario}), not in '${scenario}' (mutants for it: ${fits.join(', ') || 'none'})`,
    );
  }
  return m;
}
