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
