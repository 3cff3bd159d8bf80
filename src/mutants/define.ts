// The shape every planted bug is written in: `m(name, machine, scenario, config, expectedSpec, description,
// overrides)`, and a do-nothing action for bugs that are a missing step. Shared by the mutant files.

import { type AnyStateMachine, assign } from 'xstate';
import type { Mutant } from '../scenarios/types.js';

export type Overrides = Readonly<Record<string, AnyStateMachine>>;
/** An action that does nothing, for bugs that are a missing step; typed loosely to fit any machine's slot. */
export const noop = assign({}) as never;
export const m = (
  name: string,
  machine: string,
  scenario: string,
  config: string,
  expectedSpec: string,
  description: string,
  overrides: () => Overrides,
): Mutant => ({ name, machine, scenario, config, expectedSpec, description, overrides });
