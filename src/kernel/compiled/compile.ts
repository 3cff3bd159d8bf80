// Chooses each machine's stepper at registration: the compiled one when the chart stays inside what it compiles
// (all of XState's statecharts but history defaults given by id), the interpreter otherwise, the reason reported.

import type { AnyStateMachine } from 'xstate';
import { MachineStepper } from '../stepper.js';
import { CompiledStepper } from './compiledStepper.js';
import type { SNode } from './structure.js';

/** `compiled` (the default) or `xstate`: STATEVISOR_STEPPER=xstate runs every machine on XState's interpreter. */
export type StepperKind = 'compiled' | 'xstate';

export interface StepperNote {
  readonly machine: string;
  readonly compiled: boolean;
  /** Why the machine runs on the interpreter (null when compiled). */
  readonly reason: string | null;
}

/** What keeps a chart from compiling, or null: the compiled stepper ports XState's algorithms without these. */
export function compileProblem(machine: AnyStateMachine): string | null {
  const visit = (n: SNode): string | null => {
    if (n.type === 'history' && !plainHistoryTarget(n.config.target)) {
      return `history state '${n.id}' with a target by id`;
    }
    if (n.invoke.length > 0) return `invoke in '${n.id}'`;
    for (const child of Object.values(n.states)) {
      const problem = visit(child);
      if (problem !== null) return problem;
    }
    return null;
  };
  return visit(machine.root as unknown as SNode);
}

/** A history default the port resolves: none, or relative paths (XState also takes `#id` targets; those stay on XState). */
function plainHistoryTarget(target: unknown): boolean {
  const all = target === undefined ? [] : Array.isArray(target) ? target : [target];
  return all.every((t) => typeof t === 'string' && !t.includes('#'));
}

/** The stepper kind a process runs by default, from STATEVISOR_STEPPER (checked by the CLI before any run). */
export function defaultStepperKind(): StepperKind {
  // `process` is absent where the kernel runs in a page: there the default is compiled.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  return env?.STATEVISOR_STEPPER === 'xstate' ? 'xstate' : 'compiled';
}

export function makeStepper(
  machine: AnyStateMachine,
  input: unknown,
  kind: StepperKind,
): { stepper: MachineStepper; note: StepperNote } {
  const problem = kind === 'xstate' ? 'STATEVISOR_STEPPER=xstate' : compileProblem(machine);
  const stepper = problem === null ? new CompiledStepper(machine, input) : new MachineStepper(machine, input);
  return { stepper, note: { machine: machine.id, compiled: problem === null, reason: problem } };
}
